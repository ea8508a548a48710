/**
 * A hung hanzod (process stopped with SIGSTOP: its sockets stay open, nothing is answered) must not stall
 * clients: after the per-request deadline `fallback: legacy` reads are answered by legacy, the rest get the
 * legacy-shaped retryable UNAVAILABLE, the breaker opens, and hanzod's late answers never reach the client.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, maybePayload, payloadOf, type ResponseFrame, type TestClient } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, metricValue, spawnHanzod, type SpawnedHanzod } from "./support.js";

const legacy = inject("legacy");
const DEADLINE_MS = 1500;
const BREAKER_OPEN_MS = 1000;
/** Well past the deadline yet under the client's own 30 s call timeout: an answer later than this was stalled. */
const STALLED_MS = DEADLINE_MS + 20_000;
/**
 * The quick-probe proxy's deadline: long enough that the test sees the half-open probe and thaws hanzod
 * before the probe's own deadline passes, however loaded the machine (the first request still times out).
 */
const QUICK_PROBE_DEADLINE_MS = 8000;

/** Every `res` the client received for one request id (a late answer would make it two). */
function answersTo(c: TestClient, id: string | undefined): ResponseFrame[] {
  return c.frames.filter((f): f is ResponseFrame => f.type === "res" && f.id === id);
}

async function timed(p: Promise<ResponseFrame>): Promise<{ f: ResponseFrame; ms: number }> {
  const started = Date.now();
  const f = await p;
  return { f, ms: Date.now() - started };
}

describe("a hung hanzod", () => {
  let hanzod: SpawnedHanzod;
  let proxy: RunningProxy;
  let hanzodAuthProxy: RunningProxy;
  let quickProbeProxy: RunningProxy;
  const file = checklistFile(["version: 1", "methods:", "  health: { route: hanzod, fallback: legacy }", "  status: hanzod"].join("\n"));
  const hanzodAuth = checklistFile(["version: 1", "authOwner: hanzod", "default: hanzod", "methods:", "  health: legacy"].join("\n"));

  beforeAll(async () => {
    hanzod = await spawnHanzod();
    const common = { listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, logLevel: "silent" as const, hanzodDeadlineMs: DEADLINE_MS, breakerOpenMs: BREAKER_OPEN_MS };
    proxy = await startProxy({ ...common, checklistPath: file.path });
    hanzodAuthProxy = await startProxy({ ...common, checklistPath: hanzodAuth.path, legacyToken: legacy.token });
    // The breaker half-opens at once, so a retry reaches the stopped hanzod while the old answer is owed.
    quickProbeProxy = await startProxy({ ...common, checklistPath: file.path, breakerOpenMs: 1, hanzodDeadlineMs: QUICK_PROBE_DEADLINE_MS });
  });
  afterAll(async () => {
    hanzod?.thaw();
    await proxy?.close();
    await hanzodAuthProxy?.close();
    await quickProbeProxy?.close();
    await hanzod?.kill();
    file.dispose();
    hanzodAuth.dispose();
  });

  it("fallback reads go to legacy, others get a retryable UNAVAILABLE, the breaker opens, late answers are dropped", async () => {
    const c = await connectClient(proxy.url, { token: legacy.token });
    try {
      expect(payloadOf(await c.call("health")).answeredBy).toBe("hanzod");
      expect(payloadOf(await c.call("status")).answeredBy).toBe("hanzod");

      hanzod.freeze();
      try {
        const [health, status] = await Promise.all([timed(c.call("health")), timed(c.call("status"))]);
        // Answered by legacy after the deadline, not stalled until the client's own timeout.
        expect(health.f.ok, JSON.stringify(health.f.error)).toBe(true);
        expect(payloadOf(health.f).answeredBy).toBeUndefined();
        expect(health.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
        expect(health.ms).toBeLessThan(STALLED_MS);
        expect(status.f.ok).toBe(false);
        expect(status.f.error).toMatchObject({ code: "UNAVAILABLE", retryable: true, details: { reason: "backend-unavailable" } });
        expect(status.f.error?.message).toMatch(/did not answer within 1500 ms/);
        expect(status.ms).toBeLessThan(STALLED_MS);

        expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "status", backend: "hanzod", outcome: "timeout" })).toBe(1);
        expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "timeout" })).toBe(1);
        expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_circuit_state", { backend: "hanzod" })).toBe(2);

        // While the circuit is open nothing waits for the deadline: legacy answers the read at once.
        const again = await c.call("health");
        expect(again.ok).toBe(true);
        expect(payloadOf(again).answeredBy).toBeUndefined();
        expect(c.ws.readyState).toBe(c.ws.OPEN);

        // Keep hanzod stopped past the open window: the half-open probe misses its deadline too.
        await new Promise((r) => setTimeout(r, BREAKER_OPEN_MS));
        const probe = await timed(c.call("health"));
        expect(probe.f.ok).toBe(true);
        expect(payloadOf(probe.f).answeredBy).toBeUndefined();
      } finally {
        hanzod.thaw();
      }

      // hanzod wakes up and answers its backlog: every one of those answers is dropped.
      await expect.poll(() => metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { backend: "hanzod", outcome: "late" }), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      // Once the circuit closes again (the next probe answered in time) hanzod answers as before.
      await expect
        .poll(async () => maybePayload(await c.call("health"))?.answeredBy, { timeout: 20_000, interval: 200 })
        .toBe("hanzod");
      const ids = c.frames.filter((f) => f.type === "res").map((f) => f.id);
      expect(ids.length).toBe(new Set(ids).size);
      for (const id of ids) expect(answersTo(c, id)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it("with hanzod owning auth, its late answer on the client's own leg is dropped too", async () => {
    const c = await connectClient(hanzodAuthProxy.url, { token: HANZOD_TOKEN });
    try {
      expect(c.hello.ok).toBe(true);
      expect(payloadOf(await c.call("status")).answeredBy).toBe("hanzod");
      let timedOut: ResponseFrame;
      hanzod.freeze();
      try {
        timedOut = await c.call("status");
        expect(timedOut.error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
        // Legacy-routed methods are not held up by the hung auth owner.
        const h = await c.call("health");
        expect(h.ok).toBe(true);
        expect(payloadOf(h).answeredBy).toBeUndefined();
      } finally {
        hanzod.thaw();
      }
      await expect.poll(() => metricValue(hanzodAuthProxy.adminPort!, "hanzonode_proxy_requests_total", { backend: "hanzod", outcome: "late" }), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
      expect(answersTo(c, timedOut.id)).toHaveLength(1);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      await c.close();
    }
  });

  it("a retry that reuses the timed-out id gets the answer to itself, never the late answer to the first", async () => {
    const c = await connectClient(quickProbeProxy.url, { token: legacy.token });
    try {
      expect(payloadOf(await c.call("status")).answeredBy).toBe("hanzod");
      hanzod.freeze();
      try {
        const first = await c.socket.request("status", undefined, { id: "reused-1" });
        expect(first.error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
        // The same id again, now for health: hanzod still owes its status answer under this id.
        c.socket.send({ type: "req", id: "reused-1", method: "health" });
        await expect.poll(() => metricValue(quickProbeProxy.adminPort!, "hanzonode_proxy_circuit_state", { backend: "hanzod" }), { timeout: QUICK_PROBE_DEADLINE_MS / 2 }).toBe(1);
      } finally {
        hanzod.thaw();
      }
      await c.socket.until(() => answersTo(c, "reused-1").length >= 2, 15_000, "the answer to the retry");
      const second = answersTo(c, "reused-1")[1]!;
      expect(second.ok, JSON.stringify(second.error)).toBe(true);
      const payload = payloadOf(second);
      expect(payload.answeredBy).toBe("hanzod");
      // A health answer, not the status one that hanzod sent first under the same id.
      expect(payload.heartbeat).toBeUndefined();
      expect(typeof payload.durationMs).toBe("number");
      await expect.poll(() => metricValue(quickProbeProxy.adminPort!, "hanzonode_proxy_requests_total", { method: "status", backend: "hanzod", outcome: "late" }), { timeout: 15_000 }).toBe(1);
      expect(answersTo(c, "reused-1")).toHaveLength(2);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      await c.close();
    }
  });
});
