/**
 * Evaluates a method's gate from the evidence in the store. Each check says pass, fail or
 * inconclusive, and an inconclusive check says what it lacks and roughly how much more traffic would
 * settle it. The gate passes only when every check passes.
 *
 * Latency is judged like Kayenta judges a canary metric: the Hodges-Lehmann shift of hanzod against
 * legacy with its confidence interval, direction-aware (slower is bad, faster is fine) around a
 * tolerance. The tail gets the same test on each side's slowest share, so one noisy order statistic
 * decides nothing. The match rate passes when its Wilson lower bound clears the threshold.
 */
import type { MethodComparisons } from "../report/analyze.js";
import type { MethodLatency } from "../report/latency.js";
import type { ReplayStatusRow } from "../store/types.js";
import { hodgesLehmann, wilson, type Distribution } from "./stats.js";
import type { GateCheck, GateConfig, GateResult, ShiftEvidence, Verdict } from "./types.js";

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

/** Beyond this the answer is "more traffic would not settle it" (null). */
const MAX_MORE_CALLS = 1e9;

function pct(rate: number): string {
  return `${(rate * 100).toFixed(rate >= 0.9995 && rate < 1 ? 3 : 2)}%`;
}

export function fmtMs(v: number | null): string {
  if (v === null) return "-";
  const a = Math.abs(v);
  return `${v.toFixed(a < 0.1 ? 3 : a < 10 ? 2 : 1)} ms`;
}

function signedMs(v: number): string {
  return `${v > 0 ? "+" : ""}${fmtMs(v)}`;
}

function roughly(n: number): string {
  if (n < 100) return String(Math.ceil(n));
  const digits = Math.pow(10, Math.floor(Math.log10(n)) - 1);
  return (Math.ceil(n / digits) * digits).toLocaleString("en-US");
}

export function shadowCallsCheck(config: GateConfig, c: MethodComparisons | undefined): GateCheck {
  const calls = c?.calls ?? 0;
  const ok = calls >= config.minShadowCalls;
  return {
    check: "shadow-calls",
    verdict: ok ? "pass" : "inconclusive",
    value: calls,
    threshold: config.minShadowCalls,
    detail: `${calls} shadow calls (need >= ${config.minShadowCalls})`,
    ...(ok ? {} : { lacking: `${config.minShadowCalls - calls} more shadow calls`, moreCalls: config.minShadowCalls - calls }),
  };
}

/** Total calls N >= calls at which a rate staying as it is would clear (or surely miss) the threshold. */
function callsToSettle(rate: number, calls: number, threshold: number, confidence: number): number | null {
  if (rate === threshold) return null;
  const settled = (n: number): boolean => {
    const w = wilson(rate * n, n, confidence)!;
    return rate > threshold ? w.low >= threshold : w.high < threshold;
  };
  let hi = Math.max(1, calls);
  while (!settled(hi)) {
    hi *= 2;
    if (hi > MAX_MORE_CALLS) return null;
  }
  let lo = Math.max(1, Math.floor(hi / 2));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (settled(mid)) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, hi - calls);
}

export function matchRateCheck(config: GateConfig, c: MethodComparisons | undefined): GateCheck {
  const calls = c?.calls ?? 0;
  const threshold = config.minMatchRate;
  const level = `${Math.round(config.confidence * 100)}%`;
  if (!c || calls === 0) {
    const more = callsToSettle(1, 0, threshold, config.confidence);
    return {
      check: "match-rate",
      verdict: "inconclusive",
      value: null,
      threshold,
      detail: "no shadow calls",
      lacking: "shadow comparisons",
      moreCalls: more,
    };
  }
  const matches = c.matchesAfterNoise;
  const w = wilson(matches, calls, config.confidence)!;
  const evidence = { kind: "rate" as const, calls, matches, rate: w.rate, low: w.low, high: w.high, confidence: config.confidence };
  const base = `${pct(w.rate)} match after noise over ${calls} calls (${level} interval ${pct(w.low)} .. ${pct(w.high)}; need > ${pct(threshold)})`;
  if (w.low >= threshold) return { check: "match-rate", verdict: "pass", value: w.rate, threshold, detail: base, evidence };
  if (w.high < threshold) return { check: "match-rate", verdict: "fail", value: w.rate, threshold, detail: `${base}: below with confidence`, evidence };
  const more = callsToSettle(w.rate, calls, threshold, config.confidence);
  const lacking =
    w.rate >= threshold
      ? `confidence that the match rate clears ${pct(threshold)} (the lower bound is ${pct(w.low)})`
      : `confidence that the match rate is below ${pct(threshold)} (the upper bound is ${pct(w.high)})`;
  return {
    check: "match-rate",
    verdict: "inconclusive",
    value: w.rate,
    threshold,
    detail: `${base}: ${more === null ? "the rate sits on the threshold; more traffic will not settle it" : `about ${roughly(more)} more calls would settle it`}`,
    evidence,
    lacking,
    moreCalls: more,
  };
}

/**
 * Calls needed (beyond `calls`) for the interval to leave the tolerance, if the estimate holds: an
 * interval narrows with the square root of the sample size.
 */
function callsToSeparate(e: ShiftEvidence, calls: number): number | null {
  if (e.lowMs === null || e.highMs === null) return null;
  const gap = Math.abs(e.toleranceMs - e.estimateMs);
  const half = e.estimateMs < e.toleranceMs ? e.highMs - e.estimateMs : e.estimateMs - e.lowMs;
  if (gap === 0 || !(gap > 1e-9 * Math.max(1, Math.abs(e.toleranceMs)))) return null;
  const factor = Math.pow(half / gap, 2);
  const needed = calls * factor;
  if (!Number.isFinite(needed) || needed > MAX_MORE_CALLS) return null;
  return Math.max(1, Math.ceil(needed - calls));
}

function shiftCheck(
  name: "latency" | "tail-latency",
  config: GateConfig,
  legacy: Distribution,
  hanzod: Distribution,
  relativeTolerance: number,
  source: "shadow" | "routed",
  calls: number,
): GateCheck {
  const what = name === "latency" ? "latency" : `slowest ${Math.round(config.tailFraction * 100)}%`;
  const level = `${Math.round(config.confidence * 100)}%`;
  const legacyMedian = legacy.quantile(0.5);
  const toleranceMs = Math.max(relativeTolerance * (legacyMedian ?? 0), config.latencyToleranceMs);
  if (legacy.n < 2 || hanzod.n < 2) {
    const side = legacy.n < 2 && hanzod.n < 2 ? "either backend" : legacy.n < 2 ? "legacy" : "hanzod";
    return { check: name, verdict: "inconclusive", value: null, threshold: toleranceMs, detail: `too few ${what} samples from ${side}`, lacking: `${what} samples from ${side}`, moreCalls: null };
  }
  const hl = hodgesLehmann(legacy, hanzod, config.confidence)!;
  const evidence: ShiftEvidence = {
    kind: "shift",
    estimateMs: hl.estimate,
    lowMs: hl.low,
    highMs: hl.high,
    toleranceMs,
    confidence: config.confidence,
    legacyN: legacy.n,
    hanzodN: hanzod.n,
    legacyMedianMs: legacyMedian,
    hanzodMedianMs: hanzod.quantile(0.5),
    source,
  };
  const medians = `${what}: hanzod median ${fmtMs(evidence.hanzodMedianMs)} vs legacy ${fmtMs(legacyMedian)}`;
  const shift = `shift ${signedMs(hl.estimate)}${hl.low !== null && hl.high !== null ? ` (${level} interval ${signedMs(hl.low)} .. ${signedMs(hl.high)})` : ""}, tolerance ${signedMs(toleranceMs)}`;
  const detail = `${medians}; ${shift}`;
  if (hl.low === null || hl.high === null) {
    return { check: name, verdict: "inconclusive", value: hl.estimate, threshold: toleranceMs, detail: `${detail}: too few samples for a ${level} interval`, evidence, lacking: `enough ${what} samples for a ${level} interval`, moreCalls: null };
  }
  if (hl.low > toleranceMs) return { check: name, verdict: "fail", value: hl.estimate, threshold: toleranceMs, detail: `${detail}: hanzod is slower with confidence`, evidence };
  if (hl.high < toleranceMs) return { check: name, verdict: "pass", value: hl.estimate, threshold: toleranceMs, detail: `${detail}: not slower beyond the tolerance`, evidence };
  const more = callsToSeparate(evidence, calls);
  return {
    check: name,
    verdict: "inconclusive",
    value: hl.estimate,
    threshold: toleranceMs,
    detail: `${detail}: the interval straddles the tolerance; ${more === null ? "the shift sits on the tolerance, more traffic will not settle it" : `about ${roughly(more)} more calls would settle it`}`,
    evidence,
    lacking: `confidence whether hanzod's ${what} is within ${signedMs(toleranceMs)} of legacy's`,
    moreCalls: more,
  };
}

export function latencyChecks(config: GateConfig, l: MethodLatency | undefined): GateCheck[] {
  if (!l || l.legacy.n === 0 || l.hanzod.n === 0) {
    const side = !l || (l.legacy.n === 0 && l.hanzod.n === 0) ? "either backend" : l.legacy.n === 0 ? "legacy" : "hanzod";
    return (["latency", "tail-latency"] as const).map((check) => ({
      check,
      verdict: "inconclusive" as const,
      value: null,
      threshold: config.latencyToleranceMs,
      detail: `no latency samples from ${side}`,
      lacking: `latency samples from ${side}`,
      moreCalls: null,
    }));
  }
  const calls = Math.min(l.legacy.n, l.hanzod.n);
  const tailLegacy = l.legacyDistribution.upperTail(config.tailFraction);
  const tailHanzod = l.hanzodDistribution.upperTail(config.tailFraction);
  return [
    shiftCheck("latency", config, l.legacyDistribution, l.hanzodDistribution, config.latencyTolerance, l.source, calls),
    shiftCheck("tail-latency", config, tailLegacy, tailHanzod, config.tailTolerance, l.source, calls),
  ];
}

export function replayCheck(config: GateConfig, r: ReplayStatusRow | undefined): GateCheck {
  if (!config.requireContractReplay) return { check: "contract-replay", verdict: "pass", value: null, threshold: false, detail: "not required by the gate" };
  if (!r || r.passed + r.failed === 0)
    return { check: "contract-replay", verdict: "inconclusive", value: null, threshold: true, detail: "no contract replay of this method against hanzod recorded", lacking: "a contract replay against hanzod (hanzonode replay --target-kind hanzod)", moreCalls: null };
  const when = new Date(r.at).toISOString();
  if (r.failed > 0) return { check: "contract-replay", verdict: "fail", value: r.failed, threshold: true, detail: `${r.failed} of ${r.passed + r.failed} replayed exchanges failed (${when})${r.firstFailure ? `: ${r.firstFailure}` : ""}` };
  return { check: "contract-replay", verdict: "pass", value: 0, threshold: true, detail: `${r.passed} replayed exchanges green (${when})` };
}

export function combine(checks: readonly GateCheck[]): Verdict {
  if (checks.some((c) => c.verdict === "fail")) return "fail";
  if (checks.some((c) => c.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

/**
 * Below the minimum number of shadow calls nothing is judged yet: the noise model is still learning
 * (a clock that differs on every call is a mismatch until probes show legacy differs from itself too),
 * so a check that would pass or fail says what it sees so far and stays inconclusive.
 */
function notYet(c: GateCheck, calls: number, config: GateConfig): GateCheck {
  if (c.verdict === "inconclusive" || calls >= config.minShadowCalls) return c;
  return { ...c, verdict: "inconclusive", detail: `so far ${c.detail} (judged from ${config.minShadowCalls} calls on)`, lacking: `${config.minShadowCalls - calls} more shadow calls before it is judged`, moreCalls: config.minShadowCalls - calls };
}

export function evaluateGate(method: string, target: string, config: GateConfig, evidence: GateEvidence): GateResult {
  if (!targetNeedsEvidence(target)) {
    return { method, target, verdict: "pass", checks: [] };
  }
  const calls = evidence.comparisons?.calls ?? 0;
  const checks = [
    shadowCallsCheck(config, evidence.comparisons),
    notYet(matchRateCheck(config, evidence.comparisons), calls, config),
    // Latency samples of routed (canary) traffic count on their own: the proxy bins every answer.
    ...latencyChecks(config, evidence.latency).map((c) => notYet(c, Math.max(calls, Math.min(evidence.latency?.legacy.n ?? 0, evidence.latency?.hanzod.n ?? 0)), config)),
    replayCheck(config, evidence.replay),
  ];
  return { method, target, verdict: combine(checks), checks };
}
