/** Faults and event merging: hanzod killed mid-traffic, and seq renumbering over two legs. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, maybePayload, payloadOf, waitFor, type ResponseFrame } from "./ws-client.js";
import { CollectingSink, HANZOD_TOKEN, checklistFile, metricValue, spawnHanzod, startTestHanzod, type TestHanzod } from "./support.js";

const legacy = inject("legacy");

describe("killing hanzod mid-traffic", () => {
  let hanzod: Awaited<ReturnType<typeof spawnHanzod>>;
  let proxy: RunningProxy;
  const sink = new CollectingSink();
  const file = checklistFile(["version: 1", "methods:", "  health: { route: hanzod, fallback: legacy }", "  status: shadow"].join("\n"));

  beforeAll(async () => {
    hanzod = await spawnHanzod();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, shadowSink: sink, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await hanzod.kill();
    file.dispose();
  });

  it("shadowed methods see no failure; fallback methods answer from legacy at once, not after hanzod's deadline", async () => {
    const c = await connectClient(proxy.url, { token: legacy.token });
    const health: Array<{ f: ResponseFrame; at: number }> = [];
    const status: ResponseFrame[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const [h, s] = await Promise.all([c.call("health"), c.call("status")]);
        health.push({ f: h, at: Date.now() });
        status.push(s);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitFor(() => health.filter((h) => maybePayload(h.f)?.answeredBy === "hanzod").length >= 5, 30_000, "health from hanzod");
    await waitFor(() => sink.observations.some((o) => o.method === "status" && !("failed" in o.actual)), 30_000, "a shadow comparison");
    const healthTimeouts = (): Promise<number> => metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "timeout" });
    const timeoutsBeforeKill = await healthTimeouts();
    const killedAt = Date.now();
    await hanzod.kill();
    await waitFor(() => health.find((h) => h.at >= killedAt && h.f.ok && maybePayload(h.f)?.answeredBy === undefined), 30_000, "health from legacy after the kill");
    const afterKill = health.length;
    await waitFor(() => health.length >= afterKill + 10, 60_000, "more health calls");
    stop = true;
    await loop;
    // The proxy noticed the lost leg and sent health to legacy at once: no health call waited out hanzod's
    // deadline (a wall-clock bound would measure the loaded machine, not the proxy).
    expect(await healthTimeouts()).toBe(timeoutsBeforeKill);
    expect(health.filter((h) => !h.f.ok).map((h) => h.f.error)).toEqual([]);
    expect(status.filter((s) => !s.ok).map((s) => s.error)).toEqual([]);
    expect(status.every((s) => maybePayload(s)?.answeredBy === undefined)).toBe(true);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    await c.close();
  }, 180_000);
});

describe("events from two legs", () => {
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  const file = checklistFile(["version: 1", "authOwner: hanzod", "default: hanzod", "methods:", "  health: legacy"].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod({ tickIntervalMs: 100 });
    proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await hanzod.close();
    file.dispose();
  });

  it("with hanzod owning auth: ticks from hanzod only, one gap-free seq, legacy answers health over its backend leg", async () => {
    const c = await connectClient(proxy.url, { token: HANZOD_TOKEN });
    expect(c.hello.ok).toBe(true);
    const h = await c.call("health");
    expect(h.ok).toBe(true);
    expect(payloadOf(h).answeredBy).toBeUndefined();
    const s = await c.call("status");
    expect(payloadOf(s).answeredBy).toBe("hanzod");
    await waitFor(() => c.events.filter((e) => e.event === "tick").length >= 10, 20_000, "ticks");
    const seqs = c.events.map((e) => e.seq).filter((x): x is number => typeof x === "number");
    seqs.forEach((x, i) => expect(x).toBe((seqs[0] ?? 1) + i));
    await c.close();
  });
});
