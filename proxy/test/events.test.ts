/**
 * Event merging when BOTH legs deliver events to one client: one monotonic client seq, owned events only,
 * upstream gaps (slow-consumer drops) kept as gaps, events dropped on purpose (non-owner) not turned into gaps.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, maybePayload, payloadOf, waitFor, type EventFrame, type TestClient } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";
import { startScriptedBackend, type ScriptedBackend } from "./scripted-backend.js";

const legacy = inject("legacy");

function sequenced(c: TestClient): EventFrame[] {
  return c.events.filter((e) => typeof e.seq === "number");
}

/** Keeps a non-cli client joining and leaving the legacy, so it broadcasts presence to operators. */
function presenceChurn(): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const other = await connectClient(legacy.url, { token: legacy.token, clientId: "test", mode: "test" });
      await new Promise((r) => setTimeout(r, 150));
      await other.close();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe("hanzod owns auth (tick, presence, health), legacy owns the sessions family", () => {
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  const file = checklistFile(["version: 1", "authOwner: hanzod", "default: hanzod", "methods:", '  "sessions.*": legacy'].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod({ tickIntervalMs: 200 });
    proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await hanzod.close();
    file.dispose();
  });

  it("ticks from hanzod and sessions.changed from legacy merge into one gap-free seq", async () => {
    const c = await connectClient(proxy.url, { token: HANZOD_TOKEN, scopes: ["operator.read", "operator.write"] });
    try {
      expect(c.hello.ok).toBe(true);
      const sub = await c.call("sessions.subscribe", {});
      expect(sub.ok, JSON.stringify(sub.error)).toBe(true);
      let n = 0;
      const changed = (): number => c.events.filter((e) => e.event === "sessions.changed").length;
      while (changed() < 4) {
        const r = await c.call("sessions.patch", { key: "agent:main:main", label: `proxy-events-${process.pid}-${++n}` });
        expect(r.ok, JSON.stringify(r.error)).toBe(true);
        if (n > 100) throw new Error("legacy sent no sessions.changed");
        await new Promise((r) => setTimeout(r, 150));
      }
      await waitFor(() => c.events.filter((e) => e.event === "tick").length >= 10, 20_000, "ticks from hanzod");
      // A tick after the first sessions.changed: waited for, not assumed to have come while the patches ran.
      const tickAfterChange = (): boolean => {
        const seen = sequenced(c);
        return seen.slice(seen.findIndex((e) => e.event === "sessions.changed")).some((e) => e.event === "tick");
      };
      await waitFor(tickAfterChange, 20_000, "a tick after the first sessions.changed");
      const events = sequenced(c);
      const names = new Set(events.map((e) => e.event));
      expect(names.has("tick")).toBe(true);
      expect(names.has("sessions.changed")).toBe(true);
      // Interleaved, not one stream after the other.
      const firstChange = events.findIndex((e) => e.event === "sessions.changed");
      expect(events.slice(firstChange).some((e) => e.event === "tick")).toBe(true);
      // Neither backend dropped anything here, so the merged numbering has no gap at all.
      events.forEach((e, i) => expect(e.seq).toBe(i + 1));
    } finally {
      await c.close();
    }
  });
});

describe("legacy owns auth, a hanzod stand-in owns the cron family and drops events upstream", () => {
  let backend: ScriptedBackend;
  let proxy: RunningProxy;
  const file = checklistFile(["version: 1", "methods:", '  "cron.*": hanzod'].join("\n"));

  beforeAll(async () => {
    backend = await startScriptedBackend();
    proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, hanzodUrl: backend.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    file.dispose();
  });

  it("keeps the upstream gap as a gap and the non-owner's events out of the numbering", async () => {
    const c = await connectClient(proxy.url, { token: legacy.token });
    const churn = presenceChurn();
    try {
      const list = await c.call("cron.list", {});
      expect(payloadOf(list).answeredBy).toBe("scripted");
      await waitFor(() => backend.sockets.size === 1, 10_000, "the proxy's leg to the stand-in");
      const presence = (): number => c.events.filter((e) => e.event === "presence").length;
      const cron = (): EventFrame[] => c.events.filter((e) => e.event === "cron");
      const morePresence = async (): Promise<void> => {
        const had = presence();
        await waitFor(() => presence() > had, 20_000, "a presence event from legacy");
      };

      await morePresence();
      backend.emit("cron", { upstreamSeq: 1 }, 1);
      backend.emit("cron", { upstreamSeq: 2 }, 2);
      await waitFor(() => cron().length === 2, 10_000, "cron 1-2");
      await morePresence();
      // The stand-in "dropped" its seq 3 and 4 for this consumer (slow-consumer): a real gap of two.
      backend.emit("cron", { upstreamSeq: 5 }, 5);
      backend.emit("cron", { upstreamSeq: 6 }, 6);
      await waitFor(() => cron().length === 4, 10_000, "cron 5-6");
      await morePresence();
      // Its seq 7 is an event it does not own (legacy owns presence): dropped by the proxy, not a gap.
      backend.emit("presence", { presence: [], fromStandIn: true }, 7);
      backend.emit("cron", { upstreamSeq: 8 }, 8);
      await waitFor(() => cron().length === 5, 10_000, "cron 8");
      await morePresence();

      const events = sequenced(c);
      expect(events.some((e) => maybePayload(e)?.fromStandIn === true)).toBe(false);
      const steps = events.slice(1).map((e, i) => ({ event: e.event, upstreamSeq: maybePayload(e)?.upstreamSeq as number | undefined, step: (e.seq as number) - (events[i]!.seq as number) }));
      // Strictly monotonic; exactly one hole, of the upstream's size, right where the upstream had it.
      expect(steps.every((s) => s.step >= 1)).toBe(true);
      expect(steps.filter((s) => s.step !== 1)).toEqual([{ event: "cron", upstreamSeq: 5, step: 3 }]);
      expect(events[0]!.seq).toBe(1);
    } finally {
      await churn.stop();
      await c.close();
    }
  });
});

describe("split sessions family: legacy owns auth and sessions.patch, a hanzod stand-in answers the subscription calls and emits for writes of its own", () => {
  let backend: ScriptedBackend;
  let proxy: RunningProxy;
  const file = checklistFile(["version: 1", "methods:", '  "sessions.subscribe": hanzod', '  "sessions.messages.subscribe": hanzod'].join("\n"));

  beforeAll(async () => {
    backend = await startScriptedBackend();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: backend.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
    file.dispose();
  });

  it("the subscription reaches both backends, the client gets one answer, and each backend's sessions.changed reaches it once, in order; a disagreeing copy is counted", async () => {
    const c = await connectClient(proxy.url, { token: legacy.token, scopes: ["operator.read", "operator.write"] });
    const bystander = await connectClient(proxy.url, { token: legacy.token, scopes: ["operator.read", "operator.write"] });
    try {
      const sub = await c.call("sessions.subscribe", {});
      // The routed owner's answer (the stand-in's), once; the legacy's answer to the proxy's copy never reaches the client.
      expect(payloadOf(sub)).toEqual({ answeredBy: "scripted" });
      await waitFor(() => backend.sockets.size === 2, 10_000, "the proxy's legs to the stand-in");
      const tag = `split-${process.pid}`;
      const mine = (): EventFrame[] => c.events.filter((e) => e.event === "sessions.changed" && JSON.stringify(e.payload).includes(tag));
      // The stand-in's legs are the two clients' (it emits to both, unfiltered): only the subscriber's calls matter below.
      backend.emit("sessions.changed", { from: "hanzod", tag, n: 1 }, 1);
      await waitFor(() => mine().length === 1, 10_000, "the stand-in's first sessions.changed");
      const r = await c.call("sessions.patch", { key: "agent:main:main", label: `${tag}-legacy` });
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      // Sent by the legacy only because the proxy's copy subscribed this connection there.
      await waitFor(() => mine().length === 2, 20_000, "the legacy's sessions.changed");
      backend.emit("sessions.changed", { from: "hanzod", tag, n: 3 }, 2);
      await waitFor(() => mine().length === 3, 10_000, "the stand-in's second sessions.changed");
      await new Promise((res) => setTimeout(res, 300));
      expect(mine().map((e) => maybePayload(e)?.from ?? "legacy")).toEqual(["hanzod", "legacy", "hanzod"]);
      const seqs = sequenced(c).map((e) => e.seq as number);
      seqs.forEach((s, i) => expect(s).toBe(i + 1));
      // One answer per client request; none of the proxy's own ids reached the client.
      const answers = c.frames.filter((f) => f.type === "res").map((f) => (f as { id: string }).id);
      expect(new Set(answers).size).toBe(answers.length);
      expect(answers.some((id) => id.startsWith("hanzonode-proxy:"))).toBe(false);
      // The stand-in's answer is not the legacy's: counted as a disagreement, by method and verdict only.
      await expect.poll(() => metricValue(proxy.adminPort!, "hanzonode_proxy_mirror_total", { method: "sessions.subscribe", verdict: "disagree" }), { timeout: 10_000 }).toBe(1);
      // The bystander never subscribed on the legacy: none of its sessions.changed.
      expect(bystander.events.filter((e) => e.event === "sessions.changed" && maybePayload(e)?.from === undefined)).toEqual([]);
    } finally {
      await bystander.close();
      await c.close();
    }
  });
});
