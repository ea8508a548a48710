/**
 * Evaluates a method's gate from the evidence in the store. Each check says pass, fail or
 * inconclusive; too few samples is always inconclusive, never pass. The gate passes only when every
 * check passes.
 */
import type { MethodComparisons } from "../report/analyze.js";
import type { MethodLatency } from "../report/latency.js";
import type { ReplayStatusRow } from "../store/types.js";
import type { GateCheck, GateConfig, GateResult, Verdict } from "./types.js";

export interface GateEvidence {
  comparisons: MethodComparisons | undefined;
  latency: MethodLatency | undefined;
  /** Latest contract replay of this method against hanzod. */
  replay: ReplayStatusRow | undefined;
}

/** Moving to shadow needs no evidence: clients keep getting legacy's answers. */
export function targetNeedsEvidence(target: string): boolean {
  return target !== "shadow" && target !== "legacy";
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(rate >= 0.9995 && rate < 1 ? 3 : 2)}%`;
}

export function shadowCallsCheck(config: GateConfig, c: MethodComparisons | undefined): GateCheck {
  const calls = c?.calls ?? 0;
  return {
    check: "shadow-calls",
    verdict: calls >= config.minShadowCalls ? "pass" : "inconclusive",
    value: calls,
    threshold: config.minShadowCalls,
    detail: `${calls} shadow calls (need >= ${config.minShadowCalls})`,
  };
}

export function matchRateCheck(config: GateConfig, c: MethodComparisons | undefined): GateCheck {
  const calls = c?.calls ?? 0;
  if (!c || calls < config.minShadowCalls) {
    return { check: "match-rate", verdict: "inconclusive", value: calls === 0 || !c ? null : c.matchesAfterNoise / calls, threshold: config.minMatchRate, detail: `too few samples (${calls} of ${config.minShadowCalls})` };
  }
  const rate = c.matchesAfterNoise / calls;
  return {
    check: "match-rate",
    verdict: rate >= config.minMatchRate ? "pass" : "fail",
    value: rate,
    threshold: config.minMatchRate,
    detail: `${pct(rate)} match after noise over ${calls} calls (need >= ${pct(config.minMatchRate)})`,
  };
}

export function p99Check(config: GateConfig, l: MethodLatency | undefined): GateCheck {
  const n = Math.min(l?.legacy.n ?? 0, l?.hanzod.n ?? 0);
  if (!l || n < config.minShadowCalls || l.p99Ratio === null) {
    return { check: "p99-ratio", verdict: "inconclusive", value: l?.p99Ratio ?? null, threshold: config.maxP99Ratio, detail: `too few latency samples (${n} of ${config.minShadowCalls} per backend)` };
  }
  const r = l.p99Ratio;
  return {
    check: "p99-ratio",
    verdict: r <= config.maxP99Ratio ? "pass" : "fail",
    value: r,
    threshold: config.maxP99Ratio,
    detail: `hanzod p99 ${fmtMs(l.hanzod.p99)} vs legacy ${fmtMs(l.legacy.p99)} = ${r.toFixed(2)}x (need <= ${config.maxP99Ratio}x)`,
  };
}

function fmtMs(v: number | null): string {
  return v === null ? "-" : `${v.toFixed(1)} ms`;
}

export function replayCheck(config: GateConfig, r: ReplayStatusRow | undefined): GateCheck {
  if (!config.requireContractReplay) return { check: "contract-replay", verdict: "pass", value: null, threshold: false, detail: "not required by the gate" };
  if (!r || r.passed + r.failed === 0) return { check: "contract-replay", verdict: "inconclusive", value: null, threshold: true, detail: "no contract replay of this method against hanzod recorded" };
  const when = new Date(r.at).toISOString();
  if (r.failed > 0) return { check: "contract-replay", verdict: "fail", value: r.failed, threshold: true, detail: `${r.failed} of ${r.passed + r.failed} replayed exchanges failed (${when})${r.firstFailure ? `: ${r.firstFailure}` : ""}` };
  return { check: "contract-replay", verdict: "pass", value: 0, threshold: true, detail: `${r.passed} replayed exchanges green (${when})` };
}

export function combine(checks: readonly GateCheck[]): Verdict {
  if (checks.some((c) => c.verdict === "fail")) return "fail";
  if (checks.some((c) => c.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

export function evaluateGate(method: string, target: string, config: GateConfig, evidence: GateEvidence): GateResult {
  if (!targetNeedsEvidence(target)) {
    return { method, target, verdict: "pass", checks: [] };
  }
  const checks = [
    shadowCallsCheck(config, evidence.comparisons),
    matchRateCheck(config, evidence.comparisons),
    p99Check(config, evidence.latency),
    replayCheck(config, evidence.replay),
  ];
  return { method, target, verdict: combine(checks), checks };
}
