/**
 * `hanzonode up`, the README's main job, as a user runs it: the real CLI entry in its own process, in front of
 * the shared legacy gateway and, without --legacy, in front of a pinned legacy gateway it starts itself.
 * What it prints is what the user follows: where clients connect, the metrics URL, the report command.
 * However up ends (SIGINT, SIGTERM, SIGHUP, its stdout closing, an uncaught error), every process it
 * started must be gone and every throwaway folder it made removed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, connectRaw } from "../../protocol/index.js";
import { DEFAULT_LEGACY_VERSION, LEGACY_READY_TIMEOUT_MS, freePort } from "../../scripts/legacy/index.js";
import { runHanzonode } from "../../parity/test/support/cli.js";
import { metricValue } from "./support.js";
import { alive, listening, portOf, startUp, stopUp, upReady, type UpParts, type UpProcess } from "./up-process.js";

const legacy = inject("legacy");

/** Everything `parts` names has gone: both hanzod PIDs, their ports, the proxy's ports, the throwaway dir. */
async function expectAllGone(parts: UpParts, listen: number, admin: number): Promise<void> {
  await expect.poll(() => alive(parts.hanzodPid), { timeout: 5000 }).toBe(false);
  await expect.poll(() => alive(parts.isolatedPid), { timeout: 5000 }).toBe(false);
  expect(existsSync(parts.isolatedDir)).toBe(false);
  for (const port of [listen, admin, portOf(parts.hanzodUrl), portOf(parts.isolatedUrl)]) expect(await listening(port)).toBe(false);
}

// up starts itself and two hanzod children under tsx: on a busy 2-core machine (the whole suite running) that
// alone can take most of vitest's default 60 s.
const UP_TEST_MS = 180_000;

describe("hanzonode up", () => {
  let running: UpProcess | undefined;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), "hanzonode-up-"));
    dirs.push(d);
    return d;
  };

  afterEach(async () => {
    await stopUp(running);
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("in front of a given legacy: prints where to connect, routes by the checklist, records shadow comparisons, stops on Ctrl-C", async () => {
    const stateDir = tempDir();
    const checklist = join(stateDir, "checklist.yaml");
    writeFileSync(checklist, ["version: 1", "methods:", "  health: hanzod", "  status: shadow"].join("\n"));
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir, "--checklist", checklist]);

    const parts = await upReady(running);
    const reportCommand = (await running.printed(/parity report:\s+(npx hanzonode parity report .*)/))[1]!;
    expect(parts.clientUrl).toBe(`ws://127.0.0.1:${listen}`);
    expect(parts.adminPort).toBe(admin);
    // hanzod runs in processes of its own, not in up's.
    expect(parts.hanzodPid).not.toBe(running.child.pid);
    expect(parts.isolatedPid).not.toBe(running.child.pid);
    expect(alive(parts.hanzodPid) && alive(parts.isolatedPid)).toBe(true);
    // Given --legacy, up starts no gateway and writes no token file.
    expect(running.stdout()).not.toMatch(/no --legacy given/);
    // Both hanzod children answer as the given legacy's release, read from its hello-ok (--compat).
    for (const url of [parts.hanzodUrl, parts.isolatedUrl]) {
      const direct = await connectRaw(url, { token: legacy.token, scopes: ["operator.read"] });
      try {
        expect((direct.hello.payload as { server?: { version?: string } }).server?.version, url).toBe(legacy.version);
      } finally {
        await direct.socket.close();
      }
    }

    const { socket, hello } = await connectRaw(parts.clientUrl, { token: legacy.token, scopes: ["operator.read"] });
    try {
      expect(hello.ok).toBe(true);
      expect((await socket.request("health")).ok).toBe(true);
      const status = await socket.request("status");
      expect(status.ok).toBe(true);
    } finally {
      await socket.close();
    }
    expect(await metricValue(admin, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "ok" })).toBe(1);
    expect(await metricValue(admin, "hanzonode_proxy_requests_total", { method: "status", backend: "legacy", outcome: "ok" })).toBe(1);
    await expect.poll(() => metricValue(admin, "hanzonode_proxy_shadow_compared_total", {}), { timeout: 15_000 }).toBe(1);

    // The report command it printed reads the comparison the proxy stored in the state dir.
    const args = reportCommand.replace(/^npx hanzonode /, "").split(" ");
    const report = await runHanzonode([...args, "--json"]);
    expect(report.code, report.stderr).toBe(0);
    const rows = (JSON.parse(report.stdout) as { phases: Array<{ methods: Array<{ method: string; shadowCalls: number }> }> }).phases.flatMap((p) => p.methods);
    expect(rows.find((r) => r.method === "status")?.shadowCalls).toBe(1);
    // hanzod's logs come through up's stderr, tagged with their origin.
    expect(running.stderr()).toMatch(/\[hanzod\] hanzod listening on ws:\/\//);

    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
    await expectAllGone(parts, listen, admin);
  }, UP_TEST_MS);

  /** One way up can end, applied to a running up in front of the shared legacy; what it started must go. */
  async function endsCleanly(end: (up: UpProcess) => void | Promise<void>, expectedCode: number, opts: Parameters<typeof startUp>[1] = {}): Promise<void> {
    const stateDir = tempDir();
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir], opts);
    const parts = await upReady(running);
    expect(alive(parts.hanzodPid) && alive(parts.isolatedPid) && existsSync(parts.isolatedDir)).toBe(true);
    await end(running);
    const { code } = await running.exited;
    expect(code, running.stderr().slice(-2000)).toBe(expectedCode);
    await expectAllGone(parts, listen, admin);
  }

  it("SIGTERM stops every child and removes the throwaway state", () => endsCleanly((up) => void up.child.kill("SIGTERM"), 0), UP_TEST_MS);

  it("SIGHUP (the terminal closed) stops every child and removes the throwaway state", () => endsCleanly((up) => void up.child.kill("SIGHUP"), 0), UP_TEST_MS);

  it("a closed stdout (`up | head`): the next line up writes fails with EPIPE, and up stops every child", () =>
    endsCleanly(async (up) => {
      const before = up.stdout().length;
      up.child.stdout!.destroy();
      // Something up reports on stdout: the hanzod child dying (it would restart it) is written there.
      const pid = Number(/\nhanzod:\s+\S+\s+\(pid (\d+),/.exec(up.stdout())![1]);
      process.kill(pid, "SIGKILL");
      expect(before).toBeGreaterThan(0);
    }, 0), UP_TEST_MS);

  it("an uncaught error stops every child, removes the throwaway state and exits 1", () =>
    endsCleanly((up) => void up.child.kill("SIGUSR2"), 1, { nodeArgs: ["--import", join(REPO_ROOT, "proxy", "test", "fixtures", "throw-on-sigusr2.mjs")] }), UP_TEST_MS);

  it("without --legacy: starts the pinned legacy gateway itself, keeps its token in a private file; `up | tee` then Ctrl-C stops it and removes its home", async () => {
    const stateDir = tempDir();
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir]);

    const started = await running.printed(/legacy gateway: (ws:\/\/\S+) \(pid (\d+); clients authenticate with the token in (\S+); throwaway home (\S+)\)/, LEGACY_READY_TIMEOUT_MS + 60_000);
    const legacyPid = Number(started[2]);
    const tokenFile = started[3]!;
    const legacyHome = started[4]!;
    const parts = await upReady(running);
    expect(tokenFile).toBe(join(stateDir, "legacy-token"));
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    // The token reaches the user through the file only, never through what up prints.
    expect(running.stdout()).not.toContain(token);
    expect(existsSync(legacyHome)).toBe(true);

    const { socket, hello } = await connectRaw(`ws://127.0.0.1:${listen}`, { token, scopes: ["operator.read"] });
    try {
      expect(hello.ok).toBe(true);
      expect((await socket.request("health")).ok).toBe(true);
    } finally {
      await socket.close();
    }
    // hanzod stands beside the legacy up started: up read the release from the legacy's hello-ok and
    // started hanzod with --compat, so hanzod reports that release as its own.
    expect(running.stdout()).toMatch(new RegExp(`\\nhanzod:\\s+\\S+\\s+\\(pid \\d+, [^\\n]*answers as openclaw ${DEFAULT_LEGACY_VERSION.replace(/\./g, "\\.")}\\)`));
    const direct = await connectRaw(parts.hanzodUrl, { token, scopes: ["operator.read"] });
    try {
      expect((direct.hello.payload as { server?: { version?: string } }).server?.version).toBe(DEFAULT_LEGACY_VERSION);
    } finally {
      await direct.socket.close();
    }

    // `up | tee up.log` and Ctrl-C: tee is gone (stdout's reader closed), then up gets SIGINT and its
    // "stopping" line meets EPIPE. The legacy gateway must stop anyway and its home must go.
    running.child.stdout!.destroy();
    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(0);
    await expect.poll(() => alive(legacyPid), { timeout: 5000 }).toBe(false);
    expect(existsSync(legacyHome)).toBe(false);
    expect(await listening(portOf(started[1]!))).toBe(false);
    await expectAllGone(parts, listen, admin);
  }, LEGACY_READY_TIMEOUT_MS + 180_000); // up waits for its legacy (openclaw 2026.9.6: 50-130 s on a busy 2-core machine), then starts hanzod
});
