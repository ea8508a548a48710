/**
 * How the lifecycle answers differ by the release hanzod stands beside (`--compat`), without a legacy:
 * 2026.9.6 adds `writeCustody` to suspension answers (after `blockers`, before a draining answer's
 * `retryAfterMs`) and restarts on SIGUSR2 (SIGUSR1 is left to Node's inspector); 2026.9.1 has neither.
 * Every answer is validated against its own release's contract. (The live comparison with the default
 * legacy is stateful-parity.test.ts.)
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, releaseValidator, validateResult } from "../../protocol/index.js";
import { exited, freePort } from "../../scripts/legacy/index.js";
import { answerAs } from "../core/compat.js";
import { ActiveWork } from "../core/lifecycle/active-work.js";
import { SuspensionCoordinator } from "../core/lifecycle/suspension.js";
import { connectFrame, isRes, openRaw, useTestHanzod, type Frame, type RawSession } from "./helpers.js";

const RELEASES = [
  { release: "2026.9.1", custody: false, signal: "SIGUSR1" },
  { release: "2026.9.6", custody: true, signal: "SIGUSR2" },
] as const;

let n = 0;
async function call(s: RawSession, method: string, params?: unknown): Promise<Frame> {
  const id = `lc${++n}`;
  s.send({ type: "req", id, method, ...(params === undefined ? {} : { params }) });
  return s.next(isRes(id));
}

async function admin(url: string, token: string): Promise<{ s: RawSession; bootId: string }> {
  const s = await openRaw(url);
  s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token } }));
  const hello = await s.next(isRes("c1"));
  if (!hello.ok) throw new Error(`connect failed: ${JSON.stringify(hello.error)}`);
  return { s, bootId: (hello.payload as { server: { bootId: string } }).server.bootId };
}

describe.each(RELEASES)("gateway lifecycle answers as $release", ({ release, custody, signal }) => {
  const contract = releaseValidator(release);
  const custodyKey = (keys: string[]) => (custody ? keys : keys.filter((k) => k !== "writeCustody"));

  it("suspension answers (busy, draining, ready; status draining, ready) in the release's shape and key order", () => {
    const work = new ActiveWork();
    const c = new SuspensionCoordinator(work, () => undefined, () => false);
    const prepare = (r: unknown) => answerAs("res:gateway.suspend.prepare", r, { release }) as Record<string, unknown>;
    const status = (r: unknown) => answerAs("res:gateway.suspend.status", r, { release }) as Record<string, unknown>;
    work.begin("ws:logs.tail");

    const busy = prepare(c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: false, callerOrigin: "x" }));
    expect(Object.keys(busy)).toEqual(custodyKey(["status", "reason", "retryAfterMs", "activeCount", "blockers", "writeCustody"]));
    const draining = prepare(c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: true, callerOrigin: "x" }));
    expect(Object.keys(draining)).toEqual(custodyKey(["status", "suspensionId", "expiresAtMs", "activeCount", "blockers", "writeCustody", "retryAfterMs"]));
    const id = draining.suspensionId as string;
    const statusDraining = status(c.status(id));
    expect(Object.keys(statusDraining)).toEqual(custodyKey(["status", "expiresAtMs", "activeCount", "blockers", "writeCustody", "retryAfterMs"]));
    work.end("ws:logs.tail");
    const statusReady = status(c.status(id));
    expect(Object.keys(statusReady)).toEqual(custodyKey(["status", "expiresAtMs", "writeCustody"]));
    const ready = prepare(c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: true, callerOrigin: "x" }));
    expect(Object.keys(ready)).toEqual(custodyKey(["status", "suspensionId", "expiresAtMs", "activeCount", "blockers", "writeCustody"]));
    // Running / resumed answers are the same in both releases.
    expect(status(c.status("other"))).toEqual({ status: "conflict", expiresAtMs: ready.expiresAtMs });
    c.resume(id);
    expect(status(c.status(id))).toEqual({ status: "running" });

    const answers = { busy, draining, ready };
    for (const [name, a] of Object.entries(answers)) {
      expect(a.status, name).toBe(name);
      expect(validateResult("gateway.suspend.prepare", a, contract)?.valid, name).toBe(true);
      if (custody) expect(a.writeCustody, name).toEqual([]);
    }
    for (const a of [statusDraining, statusReady]) expect(validateResult("gateway.suspend.status", a, contract)?.valid).toBe(true);
    c.stop();
  });

  it("checked against the other release's contract: 2026.9.1 forbids writeCustody, 2026.9.6 takes it as optional", () => {
    const c = new SuspensionCoordinator(new ActiveWork(), () => undefined, () => false);
    const ready = answerAs("res:gateway.suspend.prepare", c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: false, callerOrigin: "x" }), { release });
    const other = releaseValidator(custody ? "2026.9.1" : "2026.9.6");
    expect(validateResult("gateway.suspend.prepare", ready, other)?.valid).toBe(!custody);
    c.stop();
  });

  describe("live hanzod", () => {
    const hz = useTestHanzod({ compat: release });

    it("prepare and status carry writeCustody only as 2026.9.6, valid for the release's contract", async () => {
      const { s } = await admin(hz.url, hz.token);
      try {
        const prep = (await call(s, "gateway.suspend.prepare", { requestId: `op-${release}` })).payload as Record<string, unknown>;
        const st = (await call(s, "gateway.suspend.status", { suspensionId: prep.suspensionId })).payload as Record<string, unknown>;
        expect(prep.status).toBe("ready");
        expect(st.status).toBe("ready");
        for (const a of [prep, st]) custody ? expect(a.writeCustody).toEqual([]) : expect(a).not.toHaveProperty("writeCustody");
        expect(validateResult("gateway.suspend.prepare", prep, contract)?.valid).toBe(true);
        expect(validateResult("gateway.suspend.status", st, contract)?.valid).toBe(true);
        expect((await call(s, "gateway.suspend.resume", { suspensionId: prep.suspensionId })).payload).toEqual({ ok: true, status: "running", resumed: true });
      } finally {
        s.close();
      }
    });

    it(`gateway.restart.request names ${signal}, the signal hanzod restarts on`, async () => {
      expect(hz.restartSignal).toBe(signal);
      const { s } = await admin(hz.url, hz.token);
      const booted = hz.nextBoot();
      const res = await call(s, "gateway.restart.request", { reason: "compat test" });
      expect(res.payload).toMatchObject({ ok: true, status: "scheduled", restart: { signal, mode: "emit", reason: "compat test" } });
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      await booted;
    });
  });

  it(`the hanzod CLI restarts in-process on ${signal}`, async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "hanzod-signal-"));
    const token = `hz-${Math.random().toString(36).slice(2)}`;
    const port = await freePort();
    const args = ["--import", "tsx", join(REPO_ROOT, "hanzod", "cli.ts"), "--port", String(port), "--auth", "token", "--state-dir", stateDir, "--compat", release, "--restart-mode", "in-process"];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] });
    const gone = exited(child);
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on("line", (line) => {
          const m = /^hanzod listening on (ws:\/\/\S+)/.exec(line);
          if (m) resolve(m[1]!);
        });
        void gone.then(() => reject(new Error(`hanzod exited before listening: ${stderr}`)));
      });
      const { s, bootId } = await admin(url, token);
      child.kill(signal);
      const shutdown = await s.next((f) => f.event === "shutdown");
      expect(shutdown.payload).toMatchObject({ reason: "gateway restarting", restartExpectedMs: 1500 });
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      let again: { s: RawSession; bootId: string } | undefined;
      for (const deadline = Date.now() + 60_000; !again && Date.now() < deadline; ) {
        again = await admin(url, token).catch(() => undefined);
        if (!again) await new Promise((r) => setTimeout(r, 100));
      }
      expect(again?.bootId).toBeDefined();
      expect(again?.bootId).not.toBe(bootId);
      again?.s.close();
      expect(child.exitCode).toBeNull();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await gone;
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 180_000); // a hanzod start under tsx and its restart, on a loaded machine
});
