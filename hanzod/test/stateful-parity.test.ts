/**
 * Behaviour that changes gateway state, compared against a THROWAWAY legacy gateway (started here,
 * stopped by PID): device tokens across reconnects, the gateway.suspend.* lifecycle with its admission
 * fence, gateway.suspend.handoff (2026.9.6) and gateway.restart.request (shutdown + 1012 + a new boot).
 * Runs in order; the restart is last.
 * The throwaway legacy runs the shared legacy's release and hanzod answers as that release (--compat);
 * results are validated against that release's contract.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { compareReleases, releaseValidator, validateResult } from "../../protocol/index.js";
import { LEGACY_READY_TIMEOUT_MS, startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { connectFrame, connectOperator, isRes, newDeviceKey, openRaw, request, signedDevice, startTestHanzod, type Frame, type RawSession, type TestHanzod } from "./helpers.js";

const release = inject("legacy").version;
const contract = releaseValidator(release);
let legacy: LegacyGateway;
let hz: TestHanzod;
beforeAll(async () => {
  // ownsProcessExit: this hanzod stands for the CLI's, as the legacy here is `gateway run` (it owns process exit).
  [legacy, hz] = await Promise.all([startLegacyGateway({ version: release }), startTestHanzod({ compat: release, ownsProcessExit: true })]);
}, LEGACY_READY_TIMEOUT_MS + 60_000);
afterAll(async () => {
  await Promise.all([legacy?.stop(), hz?.stop()]);
});

interface Side {
  name: "legacy" | "hanzod";
  url: string;
  httpUrl: string;
  token: string;
}
const sides = (): [Side, Side] => [
  { name: "legacy", url: legacy.url, httpUrl: legacy.httpUrl, token: legacy.token },
  { name: "hanzod", url: hz.url, httpUrl: hz.httpUrl, token: hz.token },
];
const cli = { id: "cli", version: "2026.9.1", platform: "linux", mode: "cli" };

async function operator(url: string, token: string, scopes: string[]): Promise<{ s: RawSession; hello: Frame }> {
  return connectOperator(url, token, scopes, cli);
}

const call = request;

/** The error with the clock-dependent retry delay reduced to its presence. */
function errorOf(res: Frame): unknown {
  const e = res.error as Record<string, unknown> | undefined;
  if (!e) return { ok: res.ok };
  const details = e.details as Record<string, unknown> | undefined;
  return { ...e, ...(typeof e.retryAfterMs === "number" ? { retryAfterMs: "<ms>" } : {}), ...(details?.expiresAtMs ? { details: { ...details, expiresAtMs: "<ms>" } } : {}) };
}

describe("device tokens across reconnects", () => {
  it("hello-ok carries the same deviceToken/issuedAtMs on connect, device-token reconnect and shared-token reconnect; a wider scope re-issues", async () => {
    const run = async (side: Side) => {
      const key = newDeviceKey();
      const connect = async (auth: Record<string, string>, scopes = ["operator.read"]) => {
        const s = await openRaw(side.url);
        const signed = auth.token ?? auth.deviceToken;
        s.send(connectFrame({ scopes, auth, device: signedDevice({ key, scopes, ...(signed ? { token: signed } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
        const res = await s.next(isRes("c1"));
        s.close();
        return res;
      };
      const authOf = (res: Frame) => (res.payload as { auth: { deviceToken?: string; issuedAtMs?: number } } | undefined)?.auth;
      const first = await connect({ token: side.token });
      const token = authOf(first)?.deviceToken as string;
      const issuedAt = authOf(first)?.issuedAtMs;
      // The reference client reconnects with the stored token in both fields (selectGatewayConnectAuth).
      const viaDeviceToken = await connect({ token, deviceToken: token });
      const viaDeviceTokenOnly = await connect({ deviceToken: token });
      const viaShared = await connect({ token: side.token });
      const wider = await connect({ token: side.token }, ["operator.admin"]);
      const oldAfterWider = await connect({ deviceToken: token });
      const shape = (res: Frame) => ({
        ok: res.ok,
        hasDeviceToken: typeof authOf(res)?.deviceToken === "string",
        hasIssuedAtMs: typeof authOf(res)?.issuedAtMs === "number",
        sameToken: authOf(res)?.deviceToken === token,
        sameIssuedAt: authOf(res)?.issuedAtMs === issuedAt,
      });
      return {
        first: shape(first),
        viaDeviceToken: shape(viaDeviceToken),
        viaDeviceTokenOnly: shape(viaDeviceTokenOnly),
        viaShared: shape(viaShared),
        wider: shape(wider),
        oldAfterWider: errorOf(oldAfterWider),
      };
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
    expect(a?.viaShared).toEqual({ ok: true, hasDeviceToken: true, hasIssuedAtMs: true, sameToken: true, sameIssuedAt: true });
    expect(a?.wider).toMatchObject({ ok: true, hasDeviceToken: true, sameToken: false });
  });
});

/** The legacy runs startup/idle background work for a while; prepare needs it idle to become `ready`. */
async function untilIdleThenPrepare(s: RawSession): Promise<Frame> {
  await untilIdle(s);
  return call(s, "gateway.suspend.prepare", { requestId: "host-op-1" });
}

async function untilIdle(s: RawSession): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const p = await call(s, "gateway.restart.preflight");
    if ((p.payload as { safe?: boolean }).safe) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("gateway never became idle");
}

describe("gateway.suspend.* against the legacy", () => {
  it("rejects malformed params with the legacy's messages", async () => {
    const run = async (side: Side) => {
      const { s } = await operator(side.url, side.token, ["operator.admin"]);
      const out: unknown[] = [];
      for (const p of [{}, { requestId: "" }, { requestId: "   " }, { requestId: "x", extra: 1 }, { requestId: "x", terminalPolicy: "bad" }, { requestId: "x".repeat(129) }]) out.push(errorOf(await call(s, "gateway.suspend.prepare", p)));
      out.push(errorOf(await call(s, "gateway.suspend.status", {})));
      out.push(errorOf(await call(s, "gateway.suspend.resume", { suspensionId: 5 })));
      out.push(await call(s, "gateway.suspend.status", { suspensionId: "none-held" }).then((r) => r.payload));
      out.push(await call(s, "gateway.suspend.resume", { suspensionId: "none-held" }).then((r) => r.payload));
      s.close();
      return out;
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
  });

  it("prepare -> prepared (events, hello snapshot, fence, readyz, node connects fenced) -> resume, as the legacy", async () => {
    const run = async (side: Side) => {
      const { s: admin } = await operator(side.url, side.token, ["operator.admin"]);
      const { s: watcher } = await operator(side.url, side.token, []);
      const before = watcher.frames.length;
      // A host retries a "busy" prepare (work began between the idle check and the prepare: each runtime's
      // own background work, seen under CI load); the phases compared are then the last attempt's.
      let prep = await untilIdleThenPrepare(admin);
      for (let attempt = 1; attempt < 20 && (prep.payload as { status?: string } | undefined)?.status === "busy"; attempt++) {
        await new Promise((r) => setTimeout(r, 250));
        prep = await untilIdleThenPrepare(admin);
      }
      const p = prep.payload as { status: string; suspensionId: string; expiresAtMs: number; activeCount: number; blockers: unknown[]; writeCustody?: unknown[] };
      const prepValid = validateResult("gateway.suspend.prepare", p, contract)?.valid;
      const renew = (await call(admin, "gateway.suspend.prepare", { requestId: "host-op-1" })).payload as { suspensionId: string };
      const conflict = errorOf(await call(admin, "gateway.suspend.prepare", { requestId: "other" }));
      const conflictDrain = errorOf(await call(admin, "gateway.suspend.prepare", { requestId: "host-op-1", drain: true }));
      const status = (await call(admin, "gateway.suspend.status", { suspensionId: p.suspensionId })).payload as Record<string, unknown>;
      const statusValid = validateResult("gateway.suspend.status", status, contract)?.valid;
      const statusOther = errorOf(await call(admin, "gateway.suspend.status", { suspensionId: "other" }));
      const fenced = {
        health: errorOf(await call(admin, "health")),
        status: errorOf(await call(admin, "status")),
        unknown: errorOf(await call(admin, "no.such.method")),
        preflight: errorOf(await call(admin, "gateway.restart.preflight")),
        restartUntargeted: errorOf(await call(admin, "gateway.restart.request", {})),
        restartTargetedElsewhere: errorOf(await call(admin, "gateway.restart.request", { target: { pid: 1, ownerId: "someone-else", port: 1 } })),
        wrongRole: errorOf(await call(admin, "node.event", { event: "x" })),
      };
      const readyz = await fetch(`${side.httpUrl}/readyz`);
      const readyBody = (await readyz.json()) as { ready: boolean; failing: string[] };
      const late = await operator(side.url, side.token, ["operator.read"]);
      const lateSuspension = (late.hello.payload as { snapshot: { suspension: unknown } }).snapshot.suspension;
      late.s.close();
      const node = await openRaw(side.url);
      node.send(connectFrame({ role: "node", client: { id: "node-host", version: "1", platform: "linux", mode: "node" }, auth: { token: side.token } }));
      const nodeRes = errorOf(await node.next(isRes("c1")));
      const nodeClose = await node.closed;
      const resumeWrong = errorOf(await call(admin, "gateway.suspend.resume", { suspensionId: "other" }));
      const resume = (await call(admin, "gateway.suspend.resume", { suspensionId: p.suspensionId })).payload;
      const resumeValid = validateResult("gateway.suspend.resume", resume, contract)?.valid;
      const resumeAgain = (await call(admin, "gateway.suspend.resume", { suspensionId: p.suspensionId })).payload;
      await watcher.next((f) => f.event === "gateway.suspension" && (f.payload as { phase: string }).phase === "accepting");
      const allPhases = watcher.frames.slice(before).filter((f) => f.event === "gateway.suspension").map((f) => ({ phase: (f.payload as { phase: string }).phase, hasSeq: typeof f.seq === "number" }));
      const phases = allPhases.slice(Math.max(0, allPhases.map((x) => x.phase).lastIndexOf("preparing")));
      const healthAfter = (await call(admin, "health")).ok;
      admin.close();
      watcher.close();
      return {
        prepare: { status: p.status, activeCount: p.activeCount, blockers: p.blockers, writeCustody: p.writeCustody, keys: Object.keys(p).sort(), valid: prepValid, renewedSameId: renew.suspensionId === p.suspensionId },
        conflict,
        conflictDrain,
        status: { status: status.status, writeCustody: status.writeCustody, keys: Object.keys(status).sort(), valid: statusValid },
        statusOther,
        fenced,
        readyz: { status: readyz.status, ready: readyBody.ready, failing: readyBody.failing },
        lateSuspension,
        node: { error: nodeRes, close: nodeClose },
        resumeWrong,
        resume,
        resumeValid,
        resumeAgain,
        phases,
        healthAfter,
      };
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
    expect(a?.prepare).toMatchObject({ status: "ready", valid: true, renewedSameId: true });
    expect(a?.phases.map((x) => x.phase)).toEqual(["preparing", "prepared", "accepting"]);
    expect(a?.node.close).toEqual({ code: 1013, reason: "gateway suspension in progress" });
  }, 180_000); // untilIdle alone may take a minute on a loaded machine
});

describe("gateway.suspend.handoff against the legacy", () => {
  const HANDOFF_SINCE = "2026.9.6";
  const target = async (s: RawSession) => {
    const info = (await call(s, "system.info")).payload as { pid: number; processInstanceId: string };
    return { pid: info.pid, processInstanceId: info.processInstanceId };
  };

  it("params, target, lease and the armed result, as the legacy (from 2026.9.6; before, an unknown method)", async () => {
    const run = async (side: Side) => {
      const { s } = await operator(side.url, side.token, ["operator.admin"]);
      if (compareReleases(release, HANDOFF_SINCE) < 0) {
        const unknown = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: "x", target: { pid: 1, processInstanceId: "x" } }));
        s.close();
        return { unknown };
      }
      const here = await target(s);
      const out: Record<string, unknown> = {};
      const bad = [{}, { suspensionId: "x" }, { suspensionId: " ", target: here }, { suspensionId: "x", target: { pid: 0, processInstanceId: "x" } }, { suspensionId: "x", target: { ...here, extra: 1 } }, { suspensionId: "x", target: here, extra: 1 }];
      out.malformed = [];
      for (const p of bad) (out.malformed as unknown[]).push(errorOf(await call(s, "gateway.suspend.handoff", p)));
      out.otherPid = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: "x", target: { ...here, pid: here.pid + 1 } }));
      out.otherInstance = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: "x", target: { ...here, processInstanceId: "someone-else" } }));
      out.noneHeld = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: "x", target: here }));
      await untilIdle(s);
      const prep = (await call(s, "gateway.suspend.prepare", { requestId: "handoff-1" })).payload as { status: string; suspensionId: string; expiresAtMs: number };
      out.prepared = prep.status;
      out.wrongId = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: "other", target: here }));
      const armed = (await call(s, "gateway.suspend.handoff", { suspensionId: ` ${prep.suspensionId} `, target: here })).payload as Record<string, unknown>;
      out.armed = { ...armed, suspensionId: armed.suspensionId === prep.suspensionId, expiresAtMs: armed.expiresAtMs === prep.expiresAtMs, valid: validateResult("gateway.suspend.handoff", armed, contract)?.valid };
      // The same host arming again is the same owner: armed again.
      out.again = ((await call(s, "gateway.suspend.handoff", { suspensionId: prep.suspensionId, target: here })).payload as { status?: string }).status;
      out.resume = (await call(s, "gateway.suspend.resume", { suspensionId: prep.suspensionId })).payload;
      out.afterResume = errorOf(await call(s, "gateway.suspend.handoff", { suspensionId: prep.suspensionId, target: here }));
      s.close();
      return out;
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
    if (compareReleases(release, HANDOFF_SINCE) < 0) return;
    expect(a).toMatchObject({ prepared: "ready", armed: { status: "armed", suspensionId: true, expiresAtMs: true, valid: true }, again: "armed" });
    expect(a?.otherPid).toEqual({ code: "UNAVAILABLE", message: "gateway process changed after preflight" });
  }, 180_000);

  it("hanzod: only a host that owns process exit may arm it; SIGTERM's stop (handle.terminate) is then a planned restart", async () => {
    const shutdownOf = async (ownsProcessExit: boolean, arm: boolean) => {
      const h = await startTestHanzod({ compat: HANDOFF_SINCE, ownsProcessExit });
      try {
        const { s } = await operator(h.url, h.token, ["operator.admin"]);
        // Read before prepare: system.info is fenced while a suspension is held.
        const here = await target(s);
        const prep = (await call(s, "gateway.suspend.prepare", { requestId: "host-1" })).payload as { suspensionId: string };
        const handoff = arm ? await call(s, "gateway.suspend.handoff", { suspensionId: prep.suspensionId, target: here }) : undefined;
        await h.terminate();
        const shutdown = await s.next((f) => f.event === "shutdown");
        return { handoff: handoff === undefined ? undefined : handoff.ok ? (handoff.payload as { status: string }).status : errorOf(handoff), shutdown: shutdown.payload, closed: await s.closed };
      } finally {
        await h.stop();
      }
    };
    // The legacy's run loop (dist run-*.mjs): an armed handoff turns SIGTERM into "external-restart", whose
    // server close says "gateway restarting" with restartExpectedMs 1500; the process exits either way.
    expect(await shutdownOf(true, true)).toEqual({ handoff: "armed", shutdown: { reason: "gateway restarting", restartExpectedMs: 1500 }, closed: { code: 1012, reason: "service restart" } });
    expect(await shutdownOf(true, false)).toEqual({ handoff: undefined, shutdown: { reason: "gateway stopping" }, closed: { code: 1012, reason: "service restart" } });
    expect(await shutdownOf(false, true)).toEqual({ handoff: { code: "UNAVAILABLE", message: "gateway host does not own process exit" }, shutdown: { reason: "gateway stopping" }, closed: { code: 1012, reason: "service restart" } });
  }, 60_000);
});

describe("gateway.restart.request against the legacy", () => {
  it("rejects malformed targeted requests with the legacy's messages", async () => {
    const target = { pid: 1, ownerId: "x", port: 1 };
    const run = async (side: Side) => {
      const { s } = await operator(side.url, side.token, ["operator.admin"]);
      const out: unknown[] = [];
      for (const p of [[1], { target: 5 }, { target: { ...target, port: 70000 } }, { target, safe: "yes" }, { target, safe: true, restartIntent: {} }, { target, restartIntent: { force: 1 } }, { target, restartIntent: { force: true, waitMs: 5 } }, { target }]) {
        out.push(errorOf(await call(s, "gateway.restart.request", p)));
      }
      s.close();
      return out;
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
  });

  it("answers with the legacy's result shape, then sends shutdown, closes 1012 and comes back with a new bootId", async () => {
    const run = async (side: Side) => {
      const { s, hello } = await operator(side.url, side.token, ["operator.admin"]);
      await untilIdle(s);
      const res = await call(s, "gateway.restart.request", { reason: "parity test" });
      const payload = res.payload as { ok: boolean; status: string; preflight: Record<string, unknown>; restart: Record<string, unknown> };
      const shutdown = await s.next((f) => f.event === "shutdown", 60_000);
      const closed = await s.closed;
      const bootBefore = (hello.payload as { server: { bootId: string } }).server.bootId;
      let bootAfter: string | undefined;
      // The legacy restarts in-process; on a loaded machine that can take far longer than its 1.5 s estimate.
      for (const deadline = Date.now() + 120_000; !bootAfter && Date.now() < deadline; ) {
        try {
          const again = await operator(side.url, side.token, ["operator.read"]);
          bootAfter = (again.hello.payload as { server: { bootId: string } }).server.bootId;
          again.s.close();
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      return {
        ok: payload.ok,
        status: payload.status,
        keys: Object.keys(payload).sort(),
        preflightKeys: Object.keys(payload.preflight).sort(),
        restartKeys: Object.keys(payload.restart).sort(),
        restart: { ...payload.restart, pid: typeof payload.restart.pid },
        shutdown: { payload: shutdown.payload, hasSeq: typeof shutdown.seq === "number" },
        closed,
        newBoot: Boolean(bootAfter) && bootAfter !== bootBefore,
      };
    };
    const [a, b] = await Promise.all(sides().map(run));
    expect(b).toEqual(a);
    expect(a).toMatchObject({ ok: true, status: "scheduled", shutdown: { payload: { reason: "gateway restarting", restartExpectedMs: 1500 } }, closed: { code: 1012, reason: "service restart" }, newBoot: true });
  }, 300_000);
});
