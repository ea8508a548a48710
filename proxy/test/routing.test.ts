/** Per-method routing through the proxy with the real legacy gateway and a real hanzod behind it. */
import { describe, expect, inject, it } from "vitest";
import { startProxy } from "../index.js";
import { connectClient, maybePayload, payloadOf, waitFor, type ResponseFrame } from "./ws-client.js";
import { CollectingSink, checklistFile, metricValue, useProxyBesideHanzod } from "./support.js";

const legacy = inject("legacy");

describe("routing with legacy owning auth", () => {
  const sink = new CollectingSink();
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "methods:", "  health: hanzod", "  status: shadow", "  system-presence: { route: hanzod, fallback: legacy }"], { shadowSink: sink });

  it("health routed to hanzod is answered by hanzod, and the metrics say so", async () => {
    const before = await metricValue(env.proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "ok" });
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    const h = await c.call("health");
    expect(h.ok).toBe(true);
    expect(payloadOf(h).answeredBy).toBe("hanzod");
    // config.get stays on legacy (phase default): the same connection talks to both backends.
    const cfg = await c.call("config.get", {});
    expect(cfg.ok).toBe(true);
    expect(payloadOf(cfg).answeredBy).toBeUndefined();
    expect(await metricValue(env.proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "ok" })).toBe(before + 1);
    await c.close();
  });

  it("status in shadow gives the client the legacy answer and the comparison reaches the sink", async () => {
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    const s = await c.call("status");
    expect(s.ok).toBe(true);
    expect(payloadOf(s).answeredBy).toBeUndefined();
    const obs = await waitFor(() => sink.observations.find((o) => o.kind === "shadow" && o.method === "status" && o.requestId === s.id), 15_000, "shadow observation");
    expect(obs.expected.ok).toBe(true);
    expect("failed" in obs.actual).toBe(false);
    expect((obs.actual as { payload: { answeredBy?: string } }).payload.answeredBy).toBe("hanzod");
    expect(sink.latencies.some((l) => l.method === "status" && l.backend === "legacy")).toBe(true);
    await c.close();
  });

  it("a client that leaves right after its answer (as the CLI does) still gets its shadow copy compared", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // A fresh connection each time: its hanzod leg is opened only for the copy, after the answer.
      const c = await connectClient(env.proxy.url, { token: legacy.token });
      const s = await c.call("status");
      expect(s.ok).toBe(true);
      ids.push(s.id);
      await c.close();
    }
    const observations = await waitFor(() => {
      const found = ids.map((id) => sink.observations.find((o) => o.kind === "shadow" && o.requestId === id));
      return found.every((o) => o !== undefined) ? found : undefined;
    }, 20_000, "a comparison for every status call");
    for (const o of observations) {
      expect("failed" in o!.actual, JSON.stringify(o!.actual)).toBe(false);
      expect((o!.actual as { payload: { answeredBy?: string } }).payload.answeredBy).toBe("hanzod");
    }
  });

  it("refuses a checklist that shadows a side-effecting method, naming the line", async () => {
    const bad = checklistFile("version: 1\nmethods:\n  config.set: shadow\n");
    try {
      await expect(startProxy({ listenPort: 0, legacyUrl: legacy.url, checklistPath: bad.path, logLevel: "silent" })).rejects.toThrow(/checklist\.yaml:3: methods\.config\.set: shadows side-effecting/);
    } finally {
      bad.dispose();
    }
  });

  it("flipping health hanzod -> legacy -> hanzod mid-traffic: no failed call, no drop, gap-free seq", async () => {
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    const answers: ResponseFrame[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        answers.push(await c.call("health"));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // Real broadcasts during the flips: a non-cli client (mode "test") joining and leaving the legacy
    // makes it broadcast presence (and health) to every operator.read socket, this client's included.
    const churn = (async () => {
      while (!stop) {
        const other = await connectClient(legacy.url, { token: legacy.token, clientId: "test", mode: "test" });
        await new Promise((r) => setTimeout(r, 150));
        await other.close();
      }
    })();
    const byHanzod = (): number => answers.filter((a) => maybePayload(a)?.answeredBy === "hanzod").length;
    const byLegacy = (): number => answers.filter((a) => a.ok && maybePayload(a)?.answeredBy === undefined).length;
    const presences = (): number => c.events.filter((e) => e.event === "presence").length;
    // Each phase lasts until it has seen both answers and broadcasts, however slow the machine: presence
    // broadcasts arrive under every routing state, so the gap-free check below covers all three.
    const phase = async (answered: () => boolean, what: string): Promise<void> => {
      const presenceBefore = presences();
      await waitFor(answered, 30_000, what);
      await waitFor(() => presences() >= presenceBefore + 2, 30_000, `presence broadcasts while ${what}`);
    };
    await phase(() => byHanzod() >= 5, "answers come from hanzod");
    env.file.write(["version: 1", "methods:", "  health: legacy", "  status: shadow"].join("\n"));
    await phase(() => byLegacy() >= 5, "answers come from legacy after the flip");
    const hanzodBefore = byHanzod();
    env.file.write(["version: 1", "methods:", "  health: hanzod", "  status: shadow"].join("\n"));
    await phase(() => byHanzod() >= hanzodBefore + 5, "answers come from hanzod after the flip back");
    stop = true;
    await Promise.all([loop, churn]);
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    const sequenced = c.events.filter((e) => typeof e.seq === "number");
    // hanzod's leg got its own broadcasts (health after each connect); it does not own them, so none
    // reached a client and none left a hole in the numbering.
    expect(await metricValue(env.proxy.adminPort!, "hanzonode_proxy_events_total", { backend: "hanzod", fate: "dropped" })).toBeGreaterThan(0);
    expect(await metricValue(env.proxy.adminPort!, "hanzonode_proxy_events_total", { backend: "hanzod", fate: "delivered" })).toBe(0);
    const seqs = sequenced.map((e) => e.seq as number);
    expect(seqs[0]).toBe(1);
    seqs.forEach((s, i) => expect(s).toBe(i + 1));
    await c.close();
  }, 240_000);
});

describe("the shadow budget", () => {
  const sink = new CollectingSink();
  const RATE = 3;
  const CALLS = 40;
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "methods:", "  system-presence: shadow", `shadow: { noiseSampleRate: 0, maxPerSecond: ${RATE} }`], { shadowSink: sink });

  it("a burst beyond maxPerSecond is answered by legacy in full, and only the budget is copied to hanzod", async () => {
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    try {
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: CALLS }, () => c.call("system-presence")));
      const seconds = (performance.now() - started) / 1000;
      expect(answers.every((a) => a.ok && Array.isArray(a.payload))).toBe(true);
      const shadowTotal = (result: string): Promise<number> => metricValue(env.proxy.adminPort!, "hanzonode_proxy_shadow_total", { result });
      // Every call is accounted for: copied (then compared or failed) or over the budget.
      await expect.poll(async () => (await shadowTotal("submitted")) + (await shadowTotal("failed")) + (await shadowTotal("over-budget")), { timeout: 15_000 }).toBe(CALLS);
      const copies = sink.observations.filter((o) => o.method === "system-presence");
      // One second's worth as the burst, plus what the bucket refilled while the burst was answered.
      expect(copies.length).toBeGreaterThanOrEqual(RATE);
      expect(copies.length).toBeLessThanOrEqual(RATE + Math.ceil(seconds * RATE));
      expect(await shadowTotal("over-budget")).toBe(CALLS - copies.length);
      const ids = new Set(answers.map((a) => a.id));
      for (const o of copies) {
        expect(ids.has(o.requestId)).toBe(true);
        expect("failed" in o.actual).toBe(false);
      }
    } finally {
      await c.close();
    }
  });
});
