/**
 * The ShadowSink implementation: never throws into or blocks the caller, drops and counts when full,
 * writes comparisons in batches, learns noise from real legacy-vs-legacy probes, compares events.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { ParityShadowSink } from "../shadow/sink.js";
import { align } from "../shadow/event-windows.js";
import { DiffStore } from "../store/diff-store.js";
import { NoiseModel } from "../noise/model.js";
import { analyzeGroups } from "../report/analyze.js";
import type { BackendAnswer, ShadowObservation } from "../shadow-sink.js";
import { connectRawClient, type RawClient, type TimedResponse } from "./support/raw-client.js";
import { tempDir, type TempDir } from "./support/env.js";

const legacy = inject("legacy");
const NO_DETECTORS = () => ({ global: { volatile: [] }, methods: {}, events: {} });

function answer(r: TimedResponse): BackendAnswer {
  const a: BackendAnswer = { ok: r.frame.ok, latencyMs: r.latencyMs };
  if (r.frame.payload !== undefined) a.payload = r.frame.payload;
  if (r.frame.error !== undefined) a.error = r.frame.error;
  return a;
}

function observation(kind: ShadowObservation["kind"], method: string, expected: BackendAnswer, actual: ShadowObservation["actual"], i = 0): ShadowObservation {
  return { kind, at: Date.now(), method, connectionId: "conn-1", requestId: `r${i}`, params: {}, expected, actual };
}

describe("ParityShadowSink", () => {
  let dir: TempDir;
  let client: RawClient;
  beforeAll(async () => {
    client = await connectRawClient(legacy.url, legacy.token);
  });
  afterAll(async () => {
    await client?.close();
  });
  afterEach(() => dir?.dispose());

  it("drops and counts when the queue is full, and swallows bad input instead of throwing", async () => {
    dir = tempDir("parity-sink-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    const sink = new ParityShadowSink({ store, queueLimit: 3, rules: NO_DETECTORS });
    const ok: BackendAnswer = { ok: true, payload: { a: 1 }, latencyMs: 1 };
    // One synchronous burst: the drain timer cannot run in between, so 7 of 10 must be dropped.
    for (let i = 0; i < 10; i++) sink.submit(observation("shadow", "status", ok, ok, i));
    expect(sink.stats()).toMatchObject({ queued: 3, dropped: 7 });
    await sink.close();
    expect(() => sink.submit(observation("shadow", "status", ok, ok))).not.toThrow();
    const reopened = DiffStore.open(dir.file("parity.sqlite"), { mustExist: true });
    expect(reopened.counters()["dropped.observations"]).toBe(7);
    expect(reopened.signatureGroups("shadow", 0).reduce((n, g) => n + g.count, 0)).toBe(3);
    reopened.close();

    // A malformed observation (what a buggy caller might pass) is counted, never thrown into the caller.
    const second = new ParityShadowSink({ store: DiffStore.open(dir.file("parity.sqlite")), ownsStore: true, rules: NO_DETECTORS });
    expect(() => second.submit({ kind: "shadow", method: "status" } as unknown as ShadowObservation)).not.toThrow();
    expect(() => second.recordLatency("status", "legacy", Number.NaN, true)).not.toThrow();
    await second.flush();
    expect(second.stats().compareErrors).toBe(1);
    await second.close();
  });

  it("learns noise from real legacy-vs-legacy probes and discounts only those paths", async () => {
    dir = tempDir("parity-sink-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    const sink = new ParityShadowSink({ store, rules: NO_DETECTORS });
    // system.info's uptimeMs changes between two identical requests; nothing else should.
    const answers: BackendAnswer[] = [];
    for (let i = 0; i < 8; i++) answers.push(answer(await client.call("system.info", {})));
    for (let i = 1; i < answers.length; i++) sink.submit(observation("noise-probe", "system.info", answers[i - 1]!, answers[i]!, i));
    // A "hanzod" answer that differs in uptimeMs (noise) and in a real field (pid).
    for (let i = 1; i < answers.length; i++) {
      const a = answers[i]!;
      const changed = { ...a, payload: { ...(a.payload as object), pid: -1 } };
      sink.submit(observation("shadow", "system.info", answers[i - 1]!, changed, i));
    }
    await sink.close();
    const reader = DiffStore.open(dir.file("parity.sqlite"), { mustExist: true });
    const noise = new NoiseModel(reader.noiseProbeCounts(), reader.noisePaths());
    expect(noise.probes("system.info")).toBe(7);
    expect(noise.learned("system.info").paths.map((p) => p.path)).toContain("/uptimeMs");
    const m = analyzeGroups(reader.signatureGroups("shadow", 0), noise).get("system.info")!;
    expect(m.calls).toBe(7);
    expect(m.paths.find((p) => p.path === "/uptimeMs")?.discounted).toBe(true);
    expect(m.paths.find((p) => p.path === "/pid")).toMatchObject({ discounted: false, count: 7 });
    expect(m.matchesAfterNoise).toBe(0);
    expect(noise.rulesFor("system.info").ignore).toContain("/uptimeMs");
    reader.close();
  });

  it("compares events per connection window: order, missing, extra and payloads", async () => {
    dir = tempDir("parity-sink-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    const sink = new ParityShadowSink({ store, rules: NO_DETECTORS, events: { windowMs: 60_000 } });
    const t = Date.now();
    const ev = (backend: "legacy" | "hanzod", event: string, payload: unknown, dt: number) => sink.submitEvent({ at: t + dt, connectionId: "c", backend, event, payload });
    ev("legacy", "chat", { state: "delta", text: "hi" }, 0);
    ev("legacy", "tick", { ts: 1 }, 1);
    ev("legacy", "agent", { stream: "lifecycle" }, 2);
    ev("legacy", "chat", { state: "final" }, 3);
    ev("hanzod", "chat", { state: "delta", text: "ho" }, 5);
    ev("hanzod", "chat", { state: "final" }, 6);
    ev("hanzod", "presence", {}, 7);
    await sink.close();
    const reader = DiffStore.open(dir.file("parity.sqlite"), { mustExist: true });
    const events = analyzeGroups(reader.signatureGroups("event", 0), undefined);
    expect([...events.keys()].sort()).toEqual(["agent", "chat", "presence"]);
    expect(events.get("chat")).toMatchObject({ calls: 2, exactMatches: 1 });
    expect(events.get("chat")!.paths.map((p) => [p.kind, p.path])).toEqual([["value", "/text"]]);
    expect(events.get("agent")!.paths.map((p) => [p.kind, p.path])).toEqual([["missing", "/event"]]);
    expect(events.get("presence")!.paths.map((p) => [p.kind, p.path])).toEqual([["extra", "/event"]]);
    expect(reader.samples({ method: "chat" })[0]?.actual).toEqual({ event: "chat", payload: { state: "delta", text: "ho" } });
    reader.close();
  });

  it("aligns event name sequences by longest common subsequence", () => {
    expect(align(["a", "b", "c"], ["a", "c"])).toEqual([{ legacy: 0, hanzod: 0 }, { legacy: 1 }, { legacy: 2, hanzod: 1 }]);
    expect(align(["a"], ["b"])).toEqual([{ legacy: 0 }, { hanzod: 0 }]);
  });
});
