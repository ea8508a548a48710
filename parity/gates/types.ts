/** Promotion gates: the evidence a method needs before more of its traffic moves to hanzod. */

/** Same names and defaults as the checklist's `gates:` block (and a method's `gate:` override). */
export interface GateConfig {
  minShadowCalls: number;
  minMatchRate: number;
  maxP99Ratio: number;
  requireContractReplay: boolean;
}

export const DEFAULT_GATE: GateConfig = {
  minShadowCalls: 1000,
  minMatchRate: 0.999,
  maxP99Ratio: 1.2,
  requireContractReplay: true,
};

export type Verdict = "pass" | "fail" | "inconclusive";

/** `implemented`: owner promotions only (every method the connections bring along is served by hanzod). */
export type GateCheckName = "shadow-calls" | "match-rate" | "p99-ratio" | "contract-replay" | "implemented";

export interface GateCheck {
  check: GateCheckName;
  verdict: Verdict;
  /** The measured value (calls, rate 0..1, ratio, failed replays), null when there is none. */
  value: number | null;
  threshold: number | boolean;
  detail: string;
}

export interface GateResult {
  method: string;
  /** The route being asked for: shadow, canary:N or hanzod. */
  target: string;
  verdict: Verdict;
  checks: GateCheck[];
}
