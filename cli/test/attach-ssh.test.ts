/**
 * `hanzonode attach --ssh` against a real sshd (Debian's openssh-server, own config, throwaway keys, a
 * free loopback port, stopped by PID): the tunnel reaches a hanzod listening on loopback "over there";
 * the openclaw CLI in remote mode (the config attach writes) works through it; the ssh child is killed
 * and the tunnel comes back on the same URL, the client needing one reconnect; a changed host key,
 * a refused key and a closed remote port each end in their own message.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectRaw } from "../../protocol/index.js";
import { freePort } from "../../scripts/legacy/free-port.js";
import { ensureLegacyInstalled, runOpenclawCli } from "../../scripts/legacy/index.js";
import { startTestHanzod, type TestHanzod } from "../../hanzod/test/helpers.js";
import { startSshd, sshdUnavailable, type TestSshd } from "../../test/sshd.js";

const legacy = inject("legacy");
const REPO = join(import.meta.dirname, "..", "..");
const skip = sshdUnavailable();

interface Attach {
  child: ChildProcess;
  out: string[];
  err: string[];
  /** How many lines were seen so far (a starting point for `line`). */
  mark(): number;
  /**
   * Resolves with the first stdout/stderr line matching `re`, from line `from` (default: after the line the
   * previous `line` call matched, since one output chunk can carry several lines before the test looks).
   */
  line(re: RegExp, ms?: number, from?: number): Promise<string>;
  stop(): Promise<number | null>;
}

function startAttach(args: string[], home: string): Attach {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "cli", "hanzonode.ts"), "attach", ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: home, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { re: RegExp; resolve: (index: number) => void }[] = [];
  const all: string[] = [];
  let cursor = 0;
  const feed = (sink: string[]) => (c: Buffer) => {
    for (const l of c.toString().split("\n").filter(Boolean)) {
      sink.push(l);
      all.push(l);
      for (const w of [...waiters]) if (w.re.test(l)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(all.length - 1);
    }
  };
  child.stdout!.on("data", feed(out));
  child.stderr!.on("data", feed(err));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  // "close" comes once its stdout and stderr have ended too: every line it printed has been fed by then.
  const outputDone = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return {
    child,
    out,
    err,
    mark: () => all.length,
    line: (re, ms = 60_000, from = cursor) =>
      new Promise((resolve, reject) => {
        const found = (index: number) => {
          cursor = index + 1;
          resolve(all[index]!);
        };
        const earlier = all.findIndex((l, i) => i >= from && re.test(l));
        if (earlier >= 0) return found(earlier);
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; saw:\n${all.join("\n")}`)), ms);
        waiters.push({ re, resolve: (index) => (clearTimeout(t), found(index)) });
        void outputDone.then((code) => reject(new Error(`attach exited ${code} before ${re}; saw:\n${all.join("\n")}`)));
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

async function health(url: string, token: string): Promise<boolean> {
  const { socket } = await connectRaw(url, { token });
  try {
    return (await socket.request("health")).ok;
  } finally {
    await socket.close();
  }
}

describe.skipIf(skip !== undefined)(`hanzonode attach --ssh through a real sshd${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let sshd: TestSshd;
  let remote: TestHanzod;
  let home: string;
  beforeAll(async () => {
    sshd = await startSshd();
    remote = await startTestHanzod({ host: "127.0.0.1" });
    home = mkdtempSync(join(tmpdir(), "hanzonode-attach-home-"));
  }, 60_000);
  afterAll(async () => {
    await remote?.stop();
    await sshd?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const base = () => ["--ssh", sshd.target, "--identity", sshd.userKey, "--known-hosts", sshd.knownHosts, "--ssh-config", "/dev/null", "--remote-port", String(remote.port)];

  it("reaches the remote loopback hanzod, the openclaw CLI in remote mode works through it, and a cut tunnel comes back on the same URL", async () => {
    const localPort = await freePort();
    const config = join(home, "client", "openclaw.json");
    const a = startAttach([...base(), "--local-port", String(localPort), "--write-config", config, "--token", remote.token], home);
    try {
      const up = await a.line(/^tunnel up \(ssh pid (\d+)\)/);
      const sshPid = Number(/ssh pid (\d+)/.exec(up)![1]);
      const url = `ws://127.0.0.1:${localPort}`;
      expect(up).toContain(url);
      await a.line(/^client config: /);
      const written = JSON.parse(readFileSync(config, "utf8")) as { gateway: { mode: string; remote: Record<string, unknown> } };
      expect(written.gateway).toMatchObject({ mode: "remote", remote: { url, transport: "ssh", sshTarget: sshd.target, token: remote.token } });
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(await health(url, remote.token)).toBe(true);

      // The legacy's own CLI, configured only by that file (no --url/--token): remote mode.
      const install = await ensureLegacyInstalled(legacy.version);
      const cli = await runOpenclawCli(install, ["gateway", "call", "health", "--json"], { env: { OPENCLAW_CONFIG_PATH: config }, timeoutMs: 90_000 });
      expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true });

      // Cut: kill the ssh child. A connected client is dropped; it reconnects to the same URL.
      const { socket } = await connectRaw(url, { token: remote.token });
      const dropped = socket.closed;
      const cut = a.mark(); // lines after the kill may arrive while the test awaits the drop
      process.kill(sshPid, "SIGKILL");
      await dropped;
      await a.line(/^tunnel down: .*reconnecting in/, 60_000, cut);
      const again = await a.line(/^tunnel up \(ssh pid (\d+)\)/, 60_000, cut);
      expect(Number(/ssh pid (\d+)/.exec(again)![1])).not.toBe(sshPid);
      expect(again).toContain(url);
      expect(await health(url, remote.token)).toBe(true);
      const after = await runOpenclawCli(install, ["gateway", "call", "health", "--json"], { env: { OPENCLAW_CONFIG_PATH: config }, timeoutMs: 90_000 });
      expect(after.code, after.stderr).toBe(0);
      expect(a.err.filter((l) => l.startsWith("tunnel down")).length).toBe(1);
    } finally {
      expect(await a.stop()).toBe(0);
    }
  }, 240_000);

  it("refuses a changed host key and does not retry", async () => {
    const a = startAttach(["--ssh", sshd.target, "--identity", sshd.userKey, "--known-hosts", sshd.wrongKnownHosts, "--ssh-config", "/dev/null", "--remote-port", String(remote.port), "--local-port", String(await freePort())], home);
    const line = await a.line(/host key changed/);
    expect(line).toMatch(/different host key than known_hosts/);
    expect(await a.stop()).toBe(1);
    expect(a.out.some((l) => l.startsWith("tunnel up"))).toBe(false);
  }, 60_000);

  it("names a refused key, and a remote port where nothing listens", async () => {
    const refused = startAttach(["--ssh", sshd.target, "--identity", sshd.strangerKey, "--known-hosts", sshd.knownHosts, "--ssh-config", "/dev/null", "--remote-port", String(remote.port), "--local-port", String(await freePort())], home);
    await refused.line(/authentication refused by/);
    expect(await refused.stop()).toBe(1);

    const closedPort = await freePort();
    const closed = startAttach(["--ssh", sshd.target, "--identity", sshd.userKey, "--known-hosts", sshd.knownHosts, "--ssh-config", "/dev/null", "--remote-port", String(closedPort), "--local-port", String(await freePort())], home);
    try {
      await closed.line(/remote port closed: .*nothing listens on the remote gateway port/);
    } finally {
      expect(await closed.stop()).toBe(0);
    }
  }, 90_000);

  it("says unreachable and keeps retrying with backoff while the ssh server is down", async () => {
    const dead = await freePort();
    const a = startAttach(["--ssh", `${sshd.user}@127.0.0.1:${dead}`, "--identity", sshd.userKey, "--known-hosts", sshd.knownHosts, "--ssh-config", "/dev/null", "--local-port", String(await freePort())], home);
    try {
      await a.line(/tunnel down: unreachable: .*Connection refused.*reconnecting in 0\.5 s/);
      await a.line(/tunnel down: unreachable: .*reconnecting in 1\.0 s/);
    } finally {
      expect(await a.stop()).toBe(0);
    }
  }, 60_000);
});
