/**
 * `hanzonode up`, the README's main job, as a user runs it: the real CLI entry in its own process, in front of
 * the shared legacy gateway and, without --legacy, in front of a pinned legacy gateway it starts itself.
 * What it prints is what the user follows: where clients connect, the metrics URL, the report command.
 * Ctrl-C (SIGINT) must stop every part it started.
 */
import { DEFAULT_LEGACY_VERSION } from "../../scripts/legacy/index.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, connectRaw } from "../../protocol/index.js";
import { freePort } from "../../scripts/legacy/index.js";
import { runHanzonode } from "../../parity/test/support/cli.js";
import { metricValue } from "./support.js";

const legacy = inject("legacy");

interface UpProcess {
  child: ChildProcess;
  stdout(): string;
  /** Resolves with the first stdout match (the process prints its addresses once everything listens). */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function startUp(args: string[]): UpProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "cli", "hanzonode.ts"), "up", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: "1", HANZONODE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    exited,
    printed: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(out);
          if (m === null) return;
          finish();
          resolve(m);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`up did not print ${String(pattern)} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        void exited.then(() => {
          if (!waiters.has(check)) return;
          finish();
          reject(new Error(`up exited before printing ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err}`));
        });
        waiters.add(check);
        check();
      }),
  };
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** True when something accepts TCP connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("hanzonode up", () => {
  let running: UpProcess | undefined;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), "hanzonode-up-"));
    dirs.push(d);
    return d;
  };

  afterEach(async () => {
    // A failed test must not leave the CLI (and what it started) behind.
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill("SIGINT");
      await Promise.race([running.exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (running.child.exitCode === null) running.child.kill("SIGKILL");
    }
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("in front of a given legacy: prints where to connect, routes by the checklist, records shadow comparisons, stops on Ctrl-C", async () => {
    const stateDir = tempDir();
    const checklist = join(stateDir, "checklist.yaml");
    writeFileSync(checklist, ["version: 1", "methods:", "  health: hanzod", "  status: shadow"].join("\n"));
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir, "--checklist", checklist]);

    const clientUrl = (await running.printed(/clients connect to:\s+(ws:\/\/\S+)/))[1]!;
    const metricsUrl = (await running.printed(/metrics:\s+(http:\/\/\S+)/))[1]!;
    const hanzodUrl = (await running.printed(/hanzod:\s+(ws:\/\/\S+)/))[1]!;
    const reportCommand = (await running.printed(/parity report:\s+(npx hanzonode parity report .*)/))[1]!;
    expect(clientUrl).toBe(`ws://127.0.0.1:${listen}`);
    expect(new URL(metricsUrl).port).toBe(String(admin));
    // Given --legacy, up starts no gateway and writes no token file.
    expect(running.stdout()).not.toMatch(/no --legacy given/);

    const { socket, hello } = await connectRaw(clientUrl, { token: legacy.token, scopes: ["operator.read"] });
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

    running.child.kill("SIGINT");
    expect(await running.exited).toBe(0);
    expect(await listening(listen)).toBe(false);
    expect(await listening(admin)).toBe(false);
    expect(await listening(portOf(hanzodUrl))).toBe(false);
  });

  it("without --legacy: starts the pinned legacy gateway itself, keeps its token in a private file, stops it on Ctrl-C", async () => {
    const stateDir = tempDir();
    const [listen, admin] = [await freePort(), await freePort()];
    running = startUp(["--listen", String(listen), "--admin-port", String(admin), "--state-dir", stateDir]);

    const started = await running.printed(/legacy gateway: (ws:\/\/\S+) \(pid (\d+); clients authenticate with the token in (\S+)\)/);
    const legacyPid = Number(started[2]);
    const tokenFile = started[3]!;
    await running.printed(/clients connect to:\s+ws:\/\//);
    // hanzod stands beside the legacy up started: it read the release from the legacy's hello-ok.
    expect(running.stdout()).toMatch(new RegExp(`hanzod:\\s+ws://\\S+\\s+\\(answers as openclaw ${DEFAULT_LEGACY_VERSION.replace(/\./g, "\\.")}\\)`));
    expect(tokenFile).toBe(join(stateDir, "legacy-token"));
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    // The token reaches the user through the file only, never through what up prints.
    expect(running.stdout()).not.toContain(token);

    const { socket, hello } = await connectRaw(`ws://127.0.0.1:${listen}`, { token, scopes: ["operator.read"] });
    try {
      expect(hello.ok).toBe(true);
      expect((await socket.request("health")).ok).toBe(true);
    } finally {
      await socket.close();
    }

    running.child.kill("SIGINT");
    expect(await running.exited).toBe(0);
    expect(alive(legacyPid)).toBe(false);
    expect(await listening(listen)).toBe(false);
    expect(await listening(portOf(started[1]!))).toBe(false);
  });
});
