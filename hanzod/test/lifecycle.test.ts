/**
 * Lifecycle behaviour hanzod alone can show deterministically: the suspension coordinator's drain and
 * expiry on real ActiveWork, the targeted restart that crosses a prepared lease, and restartMode "exit".
 * (Wire parity with the legacy is in stateful-parity.test.ts.)
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { validateResult } from "../../protocol/index.js";
import { ActiveWork } from "../core/lifecycle/active-work.js";
import { SUSPEND_LEASE_TTL_MS, SuspensionCoordinator, type SuspensionPhase } from "../core/lifecycle/suspension.js";
import { connectFrame, isRes, openRaw, startTestHanzod, type Frame, type RawSession } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

function coordinator() {
  const work = new ActiveWork();
  const phases: SuspensionPhase[] = [];
  let restarting = false;
  const c = new SuspensionCoordinator(work, (p) => phases.push(p), () => restarting);
  return { work, phases, c, setRestarting: (v: boolean) => (restarting = v) };
}

describe("suspension coordinator", () => {
  it("refuses (busy, admission reopened) without drain while work runs; the asking request does not count", () => {
    const { work, phases, c } = coordinator();
    work.begin("ws:gateway.suspend.prepare");
    work.begin("ws:status");
    work.begin("ws:status");
    const r = c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: false, callerOrigin: "ws:gateway.suspend.prepare" });
    expect(r).toEqual({ status: "busy", reason: "active-work", retryAfterMs: 20_000, activeCount: 2, blockers: [{ kind: "root-request", count: 2, message: "2 active gateway request(s): ws:status (2)" }] });
    expect(validateResult("gateway.suspend.prepare", r)?.valid).toBe(true);
    expect(phases).toEqual(["preparing", "accepting"]);
  });

  it("drains, turns ready when asked after the work ended, and expires back to accepting after two minutes", () => {
    vi.useFakeTimers();
    const { work, phases, c } = coordinator();
    work.begin("ws:logs.tail");
    const r = c.prepare({ requestId: "a", terminalPolicy: "terminate", drain: true, callerOrigin: "ws:gateway.suspend.prepare" });
    expect(r).toMatchObject({ status: "draining", activeCount: 1, retryAfterMs: 20_000 });
    expect(validateResult("gateway.suspend.prepare", r)?.valid).toBe(true);
    const id = (r as { suspensionId: string }).suspensionId;
    expect(c.status(id)).toMatchObject({ status: "draining", activeCount: 1 });
    work.end("ws:logs.tail");
    expect(c.phase).toBe("draining");
    const ready = c.status(id);
    expect(ready).toMatchObject({ status: "ready" });
    expect(validateResult("gateway.suspend.status", ready)?.valid).toBe(true);
    expect(c.phase).toBe("prepared");
    vi.advanceTimersByTime(SUSPEND_LEASE_TTL_MS + 1);
    expect(c.phase).toBe("accepting");
    expect(phases).toEqual(["preparing", "draining", "prepared", "accepting"]);
    expect(c.status(id)).toEqual({ status: "running" });
  });

  it("answers busy/gateway-draining while a restart owns admission", () => {
    const { c, setRestarting } = coordinator();
    setRestarting(true);
    expect(c.prepare({ requestId: "a", terminalPolicy: "preserve", drain: false, callerOrigin: "x" })).toMatchObject({ status: "busy", reason: "gateway-draining" });
    expect(c.phase).toBe("accepting");
  });
});

let n = 0;
async function call(s: RawSession, method: string, params?: unknown): Promise<Frame> {
  const id = `l${++n}`;
  s.send({ type: "req", id, method, ...(params === undefined ? {} : { params }) });
  return s.next(isRes(id));
}

async function admin(url: string, token: string) {
  const s = await openRaw(url);
  s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token } }));
  const hello = await s.next(isRes("c1"));
  return { s, bootId: (hello.payload as { server: { bootId: string } }).server.bootId };
}

describe("restart", () => {
  it("a targeted restart naming this hanzod crosses a prepared lease and restarts in-process on the same port", async () => {
    const hz = await startTestHanzod();
    try {
      const { s, bootId } = await admin(hz.url, hz.token);
      const prep = await call(s, "gateway.suspend.prepare", { requestId: "update-1", terminalPolicy: "terminate" });
      expect(prep.payload).toMatchObject({ status: "ready" });
      const untargeted = await call(s, "gateway.restart.request", {});
      expect(untargeted.error).toMatchObject({ code: "UNAVAILABLE", details: { reason: "gateway-suspending", phase: "prepared" } });
      const booted = hz.nextBoot();
      const res = await call(s, "gateway.restart.request", { target: { pid: process.pid, ownerId: bootId, port: hz.port }, reason: "update" });
      expect(res.payload).toEqual({ ok: true, status: "scheduled", pid: process.pid });
      expect(s.frames.filter((f) => f.event === "gateway.suspension").map((f) => (f.payload as { phase: string }).phase)).toContain("accepting");
      await s.next((f) => f.event === "shutdown");
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      await booted;
      const again = await admin(hz.url, hz.token);
      expect(again.bootId).not.toBe(bootId);
      const hello = again.s.frames.find(isRes("c1")) as Frame;
      expect((hello.payload as { snapshot: { suspension: unknown } }).snapshot.suspension).toEqual({ phase: "accepting" });
      again.s.close();
    } finally {
      await hz.stop();
    }
  });

  it("restartMode exit hands over to the supervisor after shutdown + 1012 instead of listening again", async () => {
    let exited: string | undefined;
    const hz = await startTestHanzod({ restartMode: "exit", onRestartExit: (reason: string) => (exited = reason) });
    try {
      const { s } = await admin(hz.url, hz.token);
      const res = await call(s, "gateway.restart.request", { reason: "roll" });
      expect(res.payload).toMatchObject({ ok: true, status: "scheduled" });
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      await vi.waitFor(() => expect(exited).toBe("roll"), { timeout: 10_000 });
      await expect(openRaw(hz.url)).rejects.toThrow();
    } finally {
      await hz.stop();
    }
  });
});
