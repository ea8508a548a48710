/** Gate checks and noise thresholds against a real SQLite store: pass, fail, inconclusive. */
import { afterEach, describe, expect, it } from "vitest";
import { DiffStore } from "../store/diff-store.js";
import { encodeSignature } from "../noise/signature.js";
import { NoiseModel } from "../noise/model.js";
import { DEFAULT_NOISE_THRESHOLDS } from "../noise/thresholds.js";
import { analyzeGroups } from "../report/analyze.js";
import { methodLatencies } from "../report/latency.js";
import { evaluateGate } from "../gates/evaluate.js";
import { DEFAULT_GATE, type GateConfig } from "../gates/types.js";
import type { ComparisonRow } from "../store/types.js";
import { tempDir, type TempDir } from "./support/env.js";

const GATE: GateConfig = { ...DEFAULT_GATE, minShadowCalls: 100 };
const DIFF = encodeSignature([{ kind: "value", path: "/x" }]);

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

function gateOf(store: DiffStore, config: GateConfig = GATE) {
  const noise = new NoiseModel(store.noiseProbeCounts(), store.noisePaths());
  const replay = store.latestReplay().find((r) => r.target === "hanzod" && r.method === "m");
  return evaluateGate("m", "hanzod", config, { comparisons: analyzeGroups(store.signatureGroups("shadow", 0), noise).get("m"), latency: methodLatencies(store, 0).get("m"), replay });
}

function verdicts(g: ReturnType<typeof gateOf>): Record<string, string> {
  return Object.fromEntries(g.checks.map((c) => [c.check, c.verdict]));
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

  it("too few samples is inconclusive for every evidence check, never pass, even when all matched", () => {
    open().writeBatch({ comparisons: rows(99, () => ({})) });
    const g = gateOf(store);
    expect(g.verdict).toBe("inconclusive");
    expect(verdicts(g)).toEqual({ "shadow-calls": "inconclusive", "match-rate": "inconclusive", "p99-ratio": "inconclusive", "contract-replay": "inconclusive" });
  });

  it("passes when calls, match rate, p99 ratio and the contract replay all hold", () => {
    open().writeBatch({ comparisons: rows(1000, (i) => ({ actualMs: i === 999 ? 11 : 8, expectedMs: 10, signature: i === 0 ? DIFF : "" })) });
    store.recordReplayRun({ at: Date.now(), target: "hanzod", results: [{ method: "m", passed: 4, failed: 0 }] });
    const g = gateOf(store, { ...DEFAULT_GATE });
    expect(verdicts(g)).toEqual({ "shadow-calls": "pass", "match-rate": "pass", "p99-ratio": "pass", "contract-replay": "pass" });
    expect(g.verdict).toBe("pass");
    expect(g.checks.find((c) => c.check === "match-rate")?.value).toBeCloseTo(0.999, 6);
  });

  it("fails on match rate, on a slow hanzod p99, and on a red replay; fail wins over inconclusive", () => {
    open().writeBatch({ comparisons: rows(200, (i) => ({ signature: i % 10 === 0 ? DIFF : "", actualMs: i >= 190 ? 50 : 5, expectedMs: 10 })) });
    store.recordReplayRun({ at: Date.now(), target: "hanzod", results: [{ method: "m", passed: 1, failed: 2, firstFailure: "missing /sessions" }] });
    const g = gateOf(store);
    expect(verdicts(g)).toEqual({ "shadow-calls": "pass", "match-rate": "fail", "p99-ratio": "fail", "contract-replay": "fail" });
    expect(g.checks.find((c) => c.check === "p99-ratio")?.value).toBeCloseTo(5, 5);
    expect(g.checks.find((c) => c.check === "contract-replay")?.detail).toContain("missing /sessions");
    expect(g.verdict).toBe("fail");
  });

  it("counts a hanzod that did not answer as a mismatch", () => {
    open().writeBatch({ comparisons: rows(100, (i) => (i < 5 ? { actualOk: null, actualMs: null, failure: "timeout", signature: encodeSignature([{ kind: "no-answer", path: "" }]) } : {})) });
    const g = gateOf(store, { ...GATE, requireContractReplay: false });
    expect(g.checks.find((c) => c.check === "match-rate")).toMatchObject({ verdict: "fail", value: 0.95 });
  });

  it("moving to shadow needs no evidence", () => {
    expect(evaluateGate("m", "shadow", DEFAULT_GATE, { comparisons: undefined, latency: undefined, replay: undefined }).verdict).toBe("pass");
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
