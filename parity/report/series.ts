/**
 * Per method, how the evidence moved over the window: the match rate after noise and the latency shift
 * (Hodges-Lehmann, hanzod - legacy, with its interval) per time bucket. A bucket is a "nice" step chosen
 * so the window spans at most ~24 of them.
 */
import { Distribution, hodgesLehmann } from "../gates/stats.js";
import type { NoiseModel } from "../noise/model.js";
import type { StoreReader } from "../store/reader.js";
import { analyzeGroups } from "./analyze.js";

export interface SeriesPoint {
  /** Start of the bucket (ISO). */
  at: string;
  calls: number;
  /** Match after noise in this bucket, 0..1; null without calls. */
  matchRate: number | null;
  /** hanzod - legacy latency shift in this bucket (ms), with its 95 % interval when the bucket allows one. */
  shiftMs: number | null;
  lowMs: number | null;
  highMs: number | null;
}

const STEPS_MS = [1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];
const MAX_POINTS = 24;

export function bucketFor(spanMs: number): number {
  return STEPS_MS.find((s) => spanMs / s <= MAX_POINTS) ?? STEPS_MS[STEPS_MS.length - 1]!;
}

export function methodSeries(store: StoreReader, since: number, noise: NoiseModel, first: number | null, last: number | null, confidence = 0.95): { bucketMs: number; series: Map<string, SeriesPoint[]> } {
  const bucketMs = bucketFor(first === null || last === null ? 0 : last - first);
  const byBucket = new Map<number, ReturnType<StoreReader["signatureGroupsOverTime"]>>();
  for (const g of store.signatureGroupsOverTime("shadow", since, bucketMs)) {
    const list = byBucket.get(g.bucket);
    if (list) list.push(g);
    else byBucket.set(g.bucket, [g]);
  }
  const points = new Map<string, Map<number, SeriesPoint>>();
  const point = (method: string, bucket: number): SeriesPoint => {
    let m = points.get(method);
    if (!m) points.set(method, (m = new Map()));
    let p = m.get(bucket);
    if (!p) m.set(bucket, (p = { at: new Date(bucket).toISOString(), calls: 0, matchRate: null, shiftMs: null, lowMs: null, highMs: null }));
    return p;
  };
  for (const [bucket, groups] of byBucket) {
    for (const [method, c] of analyzeGroups(groups, noise)) {
      const p = point(method, bucket);
      p.calls = c.calls;
      p.matchRate = c.calls === 0 ? null : c.matchesAfterNoise / c.calls;
    }
  }
  for (const [method, paired] of store.pairedLatencies(since)) {
    const legacy = new Map<number, number[]>();
    const hanzod = new Map<number, number[]>();
    const push = (into: Map<number, number[]>, at: number, v: number): void => {
      const b = at - (at % bucketMs);
      const list = into.get(b);
      if (list) list.push(v);
      else into.set(b, [v]);
    };
    paired.expected.forEach((v, i) => push(legacy, paired.expectedAt[i]!, v));
    paired.actual.forEach((v, i) => push(hanzod, paired.actualAt[i]!, v));
    for (const [bucket, l] of legacy) {
      const h = hanzod.get(bucket);
      if (!h || h.length === 0) continue;
      const hl = hodgesLehmann(Distribution.of(l), Distribution.of(h), confidence);
      if (!hl) continue;
      const p = point(method, bucket);
      p.shiftMs = hl.estimate;
      p.lowMs = hl.low;
      p.highMs = hl.high;
    }
  }
  const series = new Map<string, SeriesPoint[]>();
  for (const [method, m] of points) series.set(method, [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p));
  return { bucketMs, series };
}
