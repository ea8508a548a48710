/** Promotion gates: the evidence a method needs before more of its traffic moves to hanzod. */

/** Same names and defaults as the checklist's `gates:` block (and a method's `gate:` override). */
export interface GateConfig {
  /** Shadow comparisons needed before promotion at all. */
  minShadowCalls: number;
  /** The match rate after noise must clear this with confidence (the Wilson lower bound). */
  minMatchRate: number;
  /**
   * Latency shift hanzod may have over legacy before it counts as slower: a share of legacy's median
   * (0.2 = 20 %), but never less than `latencyToleranceMs`.
   */
  latencyTolerance: number;
  latencyToleranceMs: number;
  /** The slowest share of each side's samples the tail check compares (0.1 = the slowest 10 %). */
  tailFraction: number;
  /** Tail shift allowed, as a share of legacy's tail median (floor `latencyToleranceMs`). */
  tailTolerance: number;
  /** Confidence of every interval the gate judges by (two-sided). */
  confidence: number;
  requireContractReplay: boolean;
}

export const DEFAULT_GATE: GateConfig = {
  minShadowCalls: 1000,
  minMatchRate: 0.999,
  latencyTolerance: 0.2,
  latencyToleranceMs: 0.5,
  tailFraction: 0.1,
  tailTolerance: 0.2,
  confidence: 0.95,
  requireContractReplay: true,
};

export type Verdict = "pass" | "fail" | "inconclusive";

/** `implemented`: owner promotions only (every method the connections bring along is served by hanzod). */
export type GateCheckName = "shadow-calls" | "match-rate" | "latency" | "tail-latency" | "contract-replay" | "implemented" | "node-commands";

/** The evidence behind a latency check: hanzod minus legacy, in milliseconds. */
export interface ShiftEvidence {
  kind: "shift";
  /** Hodges-Lehmann estimate of the shift (positive: hanzod slower). */
  estimateMs: number;
  /** Confidence interval of the shift; null when the samples are too few for one. */
  lowMs: number | null;
  highMs: number | null;
  /** The shift that still counts as "not slower". */
  toleranceMs: number;
  confidence: number;
  legacyN: number;
  hanzodN: number;
  legacyMedianMs: number | null;
  hanzodMedianMs: number | null;
  /** shadow = the same requests on both sides; routed = binned proxy latencies of routed traffic. */
  source: "shadow" | "routed";
}

/** The evidence behind the match-rate check. */
export interface RateEvidence {
  kind: "rate";
  calls: number;
  matches: number;
  rate: number;
  /** Wilson interval of the match rate. */
  low: number;
  high: number;
  confidence: number;
}

export interface GateCheck {
  check: GateCheckName;
  verdict: Verdict;
  /** The measured value (calls, rate 0..1, shift ms, failed replays), null when there is none. */
  value: number | null;
  threshold: number | boolean;
  detail: string;
  evidence?: ShiftEvidence | RateEvidence;
  /** For an inconclusive check: what evidence is missing. */
  lacking?: string;
  /**
   * For an inconclusive check: roughly how many more shadow calls would settle it, if the numbers stay
   * as they are; null when more traffic would not (the measurement sits on the threshold).
   */
  moreCalls?: number | null;
}

export interface GateResult {
  method: string;
  /** The route being asked for: shadow, canary:N or hanzod. */
  target: string;
  verdict: Verdict;
  checks: GateCheck[];
}
