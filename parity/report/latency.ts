/**
 * Latency per method and backend: from the paired shadow comparisons when the method was shadowed
 * (both sides served the same requests, so the comparison is fair), else from the binned latencies
 * the proxy recorded for routed traffic.
 */
import { Distribution } from "../gates/stats.js";
import type { StoreReader } from "../store/reader.js";
import { binMidMs, percentileOf, percentileOfBins } from "../store/latency-bins.js";

export interface LatencyStats {
  n: number;
  p50: number | null;
  p99: number | null;
}

export interface MethodLatency {
  source: "shadow" | "routed";
  legacy: LatencyStats;
  hanzod: LatencyStats;
  /** hanzod p99 / legacy p99, when both exist. */
  p99Ratio: number | null;
  /** The samples themselves (exact, or bins at their geometric middle) for the gates' shift tests. */
  legacyDistribution: Distribution;
  hanzodDistribution: Distribution;
}

const EMPTY: LatencyStats = { n: 0, p50: null, p99: null };

function exact(values: number[]): LatencyStats {
  return values.length === 0 ? EMPTY : { n: values.length, p50: percentileOf(values, 50), p99: percentileOf(values, 99) };
}

function binned(bins: Map<number, number> | undefined): LatencyStats {
  if (!bins) return EMPTY;
  let n = 0;
  for (const c of bins.values()) n += c;
  return n === 0 ? EMPTY : { n, p50: percentileOfBins(bins, 50), p99: percentileOfBins(bins, 99) };
}

function ratio(legacy: LatencyStats, hanzod: LatencyStats): number | null {
  return legacy.p99 !== null && hanzod.p99 !== null && legacy.p99 > 0 ? hanzod.p99 / legacy.p99 : null;
}

export function methodLatencies(store: StoreReader, since: number): Map<string, MethodLatency> {
  const out = new Map<string, MethodLatency>();
  for (const [method, paired] of store.pairedLatencies(since)) {
    const legacyDistribution = Distribution.of(paired.expected);
    const hanzodDistribution = Distribution.of(paired.actual);
    const legacy = exact(paired.expected);
    const hanzod = exact(paired.actual);
    out.set(method, { source: "shadow", legacy, hanzod, p99Ratio: ratio(legacy, hanzod), legacyDistribution, hanzodDistribution });
  }
  const bins = new Map<string, { legacy: Map<number, number>; hanzod: Map<number, number> }>();
  for (const row of store.latencyBuckets(since)) {
    if (out.has(row.method)) continue;
    let entry = bins.get(row.method);
    if (!entry) bins.set(row.method, (entry = { legacy: new Map(), hanzod: new Map() }));
    const side = row.backend === "hanzod" ? entry.hanzod : entry.legacy;
    side.set(row.bin, (side.get(row.bin) ?? 0) + row.count);
  }
  for (const [method, b] of bins) {
    const legacy = binned(b.legacy);
    const hanzod = binned(b.hanzod);
    const dist = (bins: Map<number, number>): Distribution => Distribution.weighted([...bins].map(([bin, count]) => [binMidMs(bin), count] as const));
    out.set(method, { source: "routed", legacy, hanzod, p99Ratio: ratio(legacy, hanzod), legacyDistribution: dist(b.legacy), hanzodDistribution: dist(b.hanzod) });
  }
  return out;
}

/** Errors per method and backend among routed (not shadowed) answers. */
export function routedErrors(store: StoreReader, since: number): Map<string, { legacy: number; hanzod: number }> {
  const out = new Map<string, { legacy: number; hanzod: number }>();
  for (const row of store.latencyBuckets(since)) {
    if (row.errors === 0) continue;
    const e = out.get(row.method) ?? { legacy: 0, hanzod: 0 };
    e[row.backend] += row.errors;
    out.set(row.method, e);
  }
  return out;
}
