/** Gate checks on fixed samples against a real SQLite store: pass, fail, inconclusive, with what is missing. */
import { afterEach, describe, expect, it } from "vitest";
import { DiffStore } from "../store/diff-store.js";
import { encodeSignature } from "../noise/signature.js";
import { NoiseModel } from "../noise/model.js";
import { DEFAULT_NOISE_THRESHOLDS } from "../noise/thresholds.js";
import { analyzeGroups } from "../report/analyze.js";
import { methodLatencies } from "../report/latency.js";
import { evaluateGate, matchRateCheck } from "../gates/evaluate.js";
import { DEFAULT_GATE, type GateCheck, type GateConfig, type ShiftEvidence } from "../gates/types.js";
import type { MethodComparisons } from "../report/analyze.js";
import type { ComparisonRow } from "../store/types.js";
import { tempDir, type TempDir } from "./support/env.js";

const GATE: GateConfig = { ...DEFAULT_GATE, minShadowCalls: 100, requireContractReplay: false };
const DIFF = encodeSignature([{ kind: "value", path: "/x" }]);

/** A fixed pseudo-random stream (the samples are the same on every run and machine). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal-ish latencies around `median` ms (a realistic right skew). */
function latencies(n: number, median: number, seed: number, spread = 0.25): number[] {
  const r = stream(seed);
  return Array.from({ length: n }, () => {
    const g = (r() + r() + r() + r() - 2) * 1.7; // ~N(0,1)
    return median * Math.exp(spread * g);
  });
}

function rows(n: number, make: (i: number) => Partial<ComparisonRow>): ComparisonRow[] {
  return Array.from({ length: n }, (_, i) => ({
    at: Date.now(),
    kind: "shadow" as const,
    method: "m",
    connectionId: "c",
    expectedOk: true,
    actualOk: true,
    expectedMs: 10,
    actualMs: 10,
    failure: null,
    signature: "",
    differenceCount: 0,
    ...make(i),
  }));
}

function paired(legacy: number[], hanzod: number[]): ComparisonRow[] {
  return rows(legacy.length, (i) => ({ expectedMs: legacy[i]!, actualMs: hanzod[i]! }));
}

function check(g: { checks: GateCheck[] }, name: string): GateCheck {
  const c = g.checks.find((x) => x.check === name);
  if (!c) throw new Error(`no ${name} check`);
  return c;
}

function comparisons(calls: number, matches: number): MethodComparisons {
  return { method: "m", calls, exactMatches: matches, matchesAfterNoise: matches, noAnswer: 0, expectedErrors: 0, actualErrors: 0, paths: [] };
}

describe("gates", () => {
  let dir: TempDir;
  let store: DiffStore;
  afterEach(() => {
    store?.close();
    dir?.dispose();
  });
  function open(): DiffStore {
    dir = tempDir("parity-gates-");
    return (store = DiffStore.open(dir.file("parity.sqlite")));
  }
  function gateOf(config: GateConfig = GATE) {
    const noise = new NoiseModel(store.noiseProbeCounts(), store.noisePaths());
    const replay = store.latestReplay().find((r) => r.target === "hanzod" && r.method === "m");
    return evaluateGate("m", "hanzod", config, { comparisons: analyzeGroups(store.signatureGroups("shadow", 0), noise).get("m"), latency: methodLatencies(store, 0).get("m"), replay });
  }

  it("the issue's case: hanzod faster at the median with a noisy tail passes both latency checks", () => {
    // 1,200 calls: legacy ~0.39 ms, hanzod ~0.08 ms, but 1 % of hanzod's calls hit a 3.2 ms scheduling stall,
    // so its p99 is 1.8x legacy's: the old p99-ratio rule failed this.
    const legacy = latencies(1200, 0.39, 1);
    const hanzod = latencies(1200, 0.08, 2).map((v, i) => (i % 100 === 7 || i % 100 === 61 ? 3.2 : v));
    open().writeBatch({ comparisons: paired(legacy, hanzod) });
    const lat = methodLatencies(store, 0).get("m")!;
    expect(lat.p99Ratio).toBeGreaterThan(1.5);
    const g = gateOf();
    const median = check(g, "latency");
    const tail = check(g, "tail-latency");
    expect(median.verdict, median.detail).toBe("pass");
    expect(tail.verdict, tail.detail).toBe("pass");
    const e = median.evidence as ShiftEvidence;
    expect(e.estimateMs).toBeLessThan(-0.25);
    expect(e.highMs!).toBeLessThan(e.toleranceMs);
    expect(median.detail).toMatch(/95% interval/);
    // 1,200 all-matching calls cannot show 99.9 % with confidence (see below); at 99 % the whole gate passes.
    expect(gateOf({ ...GATE, minMatchRate: 0.99 }).verdict).toBe("pass");
  });

  it("a truly slower hanzod fails, at the median and in the tail", () => {
    const legacy = latencies(400, 10, 3);
    const hanzod = latencies(400, 14, 4);
    open().writeBatch({ comparisons: paired(legacy, hanzod) });
    const g = gateOf();
    expect(check(g, "latency").verdict, check(g, "latency").detail).toBe("fail");
    expect(check(g, "tail-latency").verdict, check(g, "tail-latency").detail).toBe("fail");
    expect(check(g, "latency").detail).toContain("slower with confidence");
    expect(g.verdict).toBe("fail");
  });

  it("a slower tail alone fails the tail check, not the median one", () => {
    const legacy = latencies(1000, 5, 5, 0.1);
    // The slowest 15 % of hanzod's calls take 3x as long: a real regression, not one noisy sample.
    const hanzod = latencies(1000, 5, 6, 0.1).map((v, i) => (i % 20 < 3 ? v * 3 : v));
    open().writeBatch({ comparisons: paired(legacy, hanzod) });
    const g = gateOf();
    expect(check(g, "latency").verdict, check(g, "latency").detail).toBe("pass");
    expect(check(g, "tail-latency").verdict, check(g, "tail-latency").detail).toBe("fail");
  });

  it("too few samples is inconclusive, naming what is missing", () => {
    open().writeBatch({ comparisons: paired(latencies(3, 1, 7), latencies(3, 1.2, 8)) });
    const g = gateOf();
    expect(g.verdict).toBe("inconclusive");
    for (const name of ["shadow-calls", "match-rate", "latency", "tail-latency"]) {
      const c = check(g, name);
      expect(c.verdict, `${name}: ${c.detail}`).toBe("inconclusive");
      expect(c.lacking, name).toBeTruthy();
    }
    expect(check(g, "shadow-calls").moreCalls).toBe(97);
    expect(check(g, "latency").detail).toMatch(/too few samples for a 95% interval|too few/);
  });

  it("below the minimum calls nothing fails yet: what is seen so far is reported as inconclusive", () => {
    open().writeBatch({ comparisons: rows(50, () => ({ signature: DIFF, expectedMs: 1, actualMs: 9 })) });
    const g = gateOf();
    expect(check(g, "match-rate").verdict).toBe("inconclusive");
    expect(check(g, "match-rate").detail).toMatch(/^so far 0\.00% match/);
    expect(check(g, "latency").verdict).toBe("inconclusive");
    expect(g.verdict).toBe("inconclusive");
    // The same evidence over enough calls fails.
    store.writeBatch({ comparisons: rows(50, () => ({ signature: DIFF, expectedMs: 1, actualMs: 9 })) });
    expect(gateOf().verdict).toBe("fail");
  });

  it("too similar (the shift sits on the tolerance) is inconclusive, with the calls that would settle it", () => {
    // legacy ~10 ms; hanzod ~2 ms slower = exactly the 20 % tolerance.
    const legacy = latencies(300, 10, 9);
    const hanzod = latencies(300, 12, 10);
    open().writeBatch({ comparisons: paired(legacy, hanzod) });
    const c = check(gateOf(), "latency");
    expect(c.verdict, c.detail).toBe("inconclusive");
    const e = c.evidence as ShiftEvidence;
    expect(e.lowMs!).toBeLessThan(e.toleranceMs);
    expect(e.highMs!).toBeGreaterThan(e.toleranceMs);
    expect(c.lacking).toContain("within");
    expect(c.detail).toMatch(/straddles the tolerance/);
  });

  it("a slightly slower hanzod within the tolerance passes; the same shift over few calls does not", () => {
    const legacy = latencies(2000, 10, 11, 0.1);
    const hanzod = latencies(2000, 10.5, 12, 0.1);
    open().writeBatch({ comparisons: paired(legacy, hanzod) });
    const g = gateOf();
    expect(check(g, "latency").verdict, check(g, "latency").detail).toBe("pass");
    expect((check(g, "latency").evidence as ShiftEvidence).estimateMs).toBeGreaterThan(0);
  });

  it("binned (routed) latencies are judged by the same test", () => {
    open().writeBatch({ comparisons: [] });
    const legacy = latencies(500, 4, 13);
    const hanzod = latencies(500, 1, 14);
    const { latencyBin } = { latencyBin: (ms: number) => Math.floor(Math.log(ms / 0.05) / Math.log(1.04)) + 1 };
    const bins = (backend: "legacy" | "hanzod", v: number[]) => {
      const m = new Map<number, number>();
      for (const x of v) m.set(latencyBin(x), (m.get(latencyBin(x)) ?? 0) + 1);
      return [...m].map(([bin, count]) => ({ method: "m", backend, hour: 0, bin, count, errors: 0 }));
    };
    store.writeBatch({ latency: [...bins("legacy", legacy), ...bins("hanzod", hanzod)] });
    const lat = methodLatencies(store, 0).get("m")!;
    expect(lat.source).toBe("routed");
    const g = gateOf();
    expect(check(g, "latency").verdict).toBe("pass");
    expect((check(g, "latency").evidence as ShiftEvidence).estimateMs).toBeCloseTo(-3, 0);
  });

  it("fails on match rate and on a red replay; fail wins over inconclusive", () => {
    open().writeBatch({ comparisons: rows(200, (i) => ({ signature: i % 10 === 0 ? DIFF : "", expectedMs: 10 + (i % 7), actualMs: 10 + (i % 5) })) });
    store.recordReplayRun({ at: Date.now(), target: "hanzod", results: [{ method: "m", passed: 1, failed: 2, firstFailure: "missing /sessions" }] });
    const g = gateOf({ ...GATE, requireContractReplay: true });
    expect(check(g, "match-rate").verdict).toBe("fail");
    expect(check(g, "contract-replay").verdict).toBe("fail");
    expect(check(g, "contract-replay").detail).toContain("missing /sessions");
    expect(g.verdict).toBe("fail");
  });

  it("counts a hanzod that did not answer as a mismatch", () => {
    open().writeBatch({ comparisons: rows(1000, (i) => (i < 50 ? { actualOk: null, actualMs: null, failure: "timeout", signature: encodeSignature([{ kind: "no-answer", path: "" }]) } : {})) });
    expect(check(gateOf(), "match-rate")).toMatchObject({ verdict: "fail", value: 0.95 });
  });

  it("moving to shadow needs no evidence", () => {
    expect(evaluateGate("m", "shadow", DEFAULT_GATE, { comparisons: undefined, latency: undefined, replay: undefined }).verdict).toBe("pass");
  });
});

describe("match rate by its Wilson lower bound", () => {
  const at = (minMatchRate: number): GateConfig => ({ ...GATE, minMatchRate });

  it("1,000 calls with one mismatch and 1,000,000 calls with 1,000 mismatches are told apart", () => {
    const few = matchRateCheck(at(0.995), comparisons(1000, 999));
    const many = matchRateCheck(at(0.995), comparisons(1_000_000, 999_000));
    expect(few.verdict, few.detail).toBe("inconclusive");
    expect(few.moreCalls).toBeGreaterThan(0);
    expect(many.verdict, many.detail).toBe("pass");
  });

  it("all of 1,200 calls matching does not yet prove 99.9 %: inconclusive, with roughly the calls needed", () => {
    const c = matchRateCheck(at(0.999), comparisons(1200, 1200));
    expect(c.verdict).toBe("inconclusive");
    // n/(n + z^2) >= 0.999 needs n >= 3,838 with z = 1.96: about 2,640 more.
    expect(c.moreCalls).toBeGreaterThan(2500);
    expect(c.moreCalls).toBeLessThan(2800);
    expect(c.detail).toMatch(/about 2,[67]00 more calls would settle it/);
    expect(matchRateCheck(at(0.999), comparisons(1200 + c.moreCalls!, 1200 + c.moreCalls!)).verdict).toBe("pass");
  });

  it("confidently below fails; close to the threshold is inconclusive; exactly on it cannot be settled", () => {
    expect(matchRateCheck(at(0.999), comparisons(10_000, 9_900)).verdict).toBe("fail");
    const near = matchRateCheck(at(0.999), comparisons(2_000, 1_997));
    expect(near.verdict).toBe("inconclusive");
    expect(near.lacking).toContain("below");
    const on = matchRateCheck(at(0.999), comparisons(1000, 999));
    expect(on.verdict).toBe("inconclusive");
    expect(on.moreCalls).toBeNull();
    expect(on.detail).toContain("will not settle it");
  });

  it("no calls at all is inconclusive and says how many all-matching calls it would take", () => {
    const c = matchRateCheck(at(0.999), undefined);
    expect(c).toMatchObject({ verdict: "inconclusive", value: null });
    expect(c.moreCalls).toBeGreaterThan(3800);
  });
});

describe("noise thresholds (Diffy-style)", () => {
  const model = new NoiseModel(
    [{ method: "m", probes: 100 }, { method: "few", probes: 4 }],
    [
      { method: "m", path: "/ts", kind: "value", differences: 90 },
      { method: "m", path: "/count", kind: "value", differences: 20 },
      { method: "m", path: "/optional", kind: "missing", differences: 20 },
      { method: "m", path: "/rare", kind: "value", differences: 2 },
      { method: "few", path: "/ts", kind: "value", differences: 4 },
    ],
  );

  it("a volatile path (noise rate >= volatileRate) is discounted whatever hanzod's rate", () => {
    expect(model.judge("m", { path: "/ts", kind: "value" }, 1).discounted).toBe(true);
  });

  it("a scalar legacy does not reproduce (learned value noise) is discounted whatever hanzod's rate", () => {
    expect(model.judge("m", { path: "/count", kind: "value" }, 1).discounted).toBe(true);
  });

  it("structural noise below volatileRate: hanzod's rate must stay within noise * (1 + relative) + absolute", () => {
    const limit = 0.2 * (1 + DEFAULT_NOISE_THRESHOLDS.relative) + DEFAULT_NOISE_THRESHOLDS.absolute;
    expect(model.judge("m", { path: "/optional", kind: "missing" }, limit - 0.001).discounted).toBe(true);
    expect(model.judge("m", { path: "/optional", kind: "missing" }, limit + 0.001).discounted).toBe(false);
  });

  it("rare noise (under minNoiseRate), another difference kind, or too few probes is never discounted", () => {
    expect(model.judge("m", { path: "/rare", kind: "value" }, 0.01).discounted).toBe(false);
    expect(model.judge("m", { path: "/ts", kind: "type" }, 1).discounted).toBe(false);
    expect(model.judge("few", { path: "/ts", kind: "value" }, 1).discounted).toBe(false);
    expect(model.judge("m", { path: "/unknown", kind: "value" }, 0.001).discounted).toBe(false);
  });
});
