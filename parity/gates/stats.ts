/**
 * The statistics the gates judge with: the Mann-Whitney / Wilcoxon rank-sum family's Hodges-Lehmann
 * shift estimate with its distribution-free (Moses) confidence interval, and the Wilson score interval
 * of a proportion. The normal quantile comes from @stdlib; the rest is written here because no
 * maintained JavaScript package computes a Hodges-Lehmann interval, and it must run on binned data
 * (value + weight) as well as on exact samples without materialising m*n pairwise differences.
 *
 * Checked against published values in parity/gates/test/stats.test.ts (SAS PROC NPAR1WAY's Hodges-Lehmann
 * output for Hollander & Wolfe's example; Newcombe 1998's Wilson intervals).
 */
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

const MERGE_ABOVE = 20_000;
const LOG_BIN = Math.log(1.0005);

/** z such that P(|Z| <= z) = confidence (two-sided). */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2, 0, 1);
}

/** A sample as distinct sorted values with weights (counts); exact samples have weight 1 per value. */
export class Distribution {
  private constructor(
    readonly values: Float64Array,
    readonly weights: Float64Array,
    /** Sum of the weights (the sample size). */
    readonly n: number,
  ) {}

  static of(samples: readonly number[]): Distribution {
    const sorted = Float64Array.from(samples.filter((v) => Number.isFinite(v))).sort();
    const values: number[] = [];
    const weights: number[] = [];
    // Beyond ~20,000 samples, positive values are merged into 0.05 %-wide log bins: every sample keeps
    // its weight (the interval still reflects all of them), the rank tests get linear in the bins.
    const merge = sorted.length > MERGE_ABOVE;
    for (const raw of sorted) {
      const v = merge && raw > 0 ? Math.exp(Math.round(Math.log(raw) / LOG_BIN) * LOG_BIN) : raw;
      if (values.length > 0 && values[values.length - 1] === v) weights[weights.length - 1]!++;
      else {
        values.push(v);
        weights.push(1);
      }
    }
    return new Distribution(Float64Array.from(values), Float64Array.from(weights), sorted.length);
  }

  /** From (value, weight) pairs in any order; non-positive weights are left out. */
  static weighted(pairs: Iterable<readonly [number, number]>): Distribution {
    const merged = new Map<number, number>();
    for (const [v, w] of pairs) if (w > 0 && Number.isFinite(v)) merged.set(v, (merged.get(v) ?? 0) + w);
    const keys = [...merged.keys()].sort((a, b) => a - b);
    const weights = keys.map((k) => merged.get(k)!);
    return new Distribution(Float64Array.from(keys), Float64Array.from(weights), weights.reduce((a, b) => a + b, 0));
  }

  /** The value at cumulative share `q` (0..1) of the weight (nearest rank). */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.values.length; i++) {
      seen += this.weights[i]!;
      if (seen >= rank) return this.values[i]!;
    }
    return this.values[this.values.length - 1]!;
  }

  /**
   * The slowest `fraction` of the weight: everything above the (1 - fraction) quantile, with the
   * boundary value's weight cut so the tail holds exactly fraction * n.
   */
  upperTail(fraction: number): Distribution {
    const want = this.n * fraction;
    const pairs: Array<[number, number]> = [];
    let taken = 0;
    for (let i = this.values.length - 1; i >= 0 && taken < want; i--) {
      const w = Math.min(this.weights[i]!, want - taken);
      pairs.push([this.values[i]!, w]);
      taken += w;
    }
    return Distribution.weighted(pairs);
  }
}

/** Weight of pairs (x_i, y_j) with y_j - x_i <= t. Two pointers over the sorted values: O(kx + ky). */
function pairsAtMost(x: Distribution, y: Distribution, t: number): number {
  // xAbove = weight of x values >= y_j - t; as y_j grows the cut moves right.
  let p = 0;
  let below = 0;
  let count = 0;
  for (let j = 0; j < y.values.length; j++) {
    const cut = y.values[j]! - t;
    while (p < x.values.length && x.values[p]! < cut) below += x.weights[p++]!;
    count += y.weights[j]! * (x.n - below);
  }
  return count;
}

/** The largest difference y_j - x_i that is <= t (snaps a bisection bound onto an actual difference). */
function largestDifferenceAtMost(x: Distribution, y: Distribution, t: number): number {
  let best = Number.NEGATIVE_INFINITY;
  let p = 0;
  for (let j = 0; j < y.values.length; j++) {
    const cut = y.values[j]! - t;
    while (p < x.values.length && x.values[p]! < cut) p++;
    // x.values[p] is the smallest x >= y_j - t: y_j - x.values[p] is the largest difference <= t for this y_j.
    if (p < x.values.length) best = Math.max(best, y.values[j]! - x.values[p]!);
  }
  return best;
}

/** The k-th smallest (1-based, by weight) of the pairwise differences y_j - x_i. */
export function kthDifference(x: Distribution, y: Distribution, k: number): number {
  let lo = y.values[0]! - x.values[x.values.length - 1]!;
  let hi = y.values[y.values.length - 1]! - x.values[0]!;
  if (pairsAtMost(x, y, lo) >= k) return lo;
  // Invariant: fewer than k differences <= lo, at least k <= hi.
  // Down to a nanosecond (values are milliseconds): ~40 halvings, each one pass over both samples, so
  // half a million comparisons per method stay well under a second; then snap onto a real difference.
  for (let i = 0; i < 100 && hi - lo > Math.max(1e-9, Math.abs(hi) * 1e-12); i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (pairsAtMost(x, y, mid) >= k) hi = mid;
    else lo = mid;
  }
  return largestDifferenceAtMost(x, y, hi);
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate: the median of all differences y - x (positive: y is larger/slower). */
  estimate: number;
  /** Moses confidence limits; null when the samples are too small for an interval at this confidence. */
  low: number | null;
  high: number | null;
  confidence: number;
  /** Mann-Whitney U of y (pairs with y > x, ties count half). */
  u: number;
  /** z of U under "no shift", tie-corrected (positive: y tends to be larger). */
  z: number;
  m: number;
  n: number;
}

/** Sum over tied groups of (t^3 - t), over the pooled sample. */
function tieTerm(x: Distribution, y: Distribution): number {
  const pooled = new Map<number, number>();
  for (const d of [x, y]) for (let i = 0; i < d.values.length; i++) pooled.set(d.values[i]!, (pooled.get(d.values[i]!) ?? 0) + d.weights[i]!);
  let sum = 0;
  for (const t of pooled.values()) if (t > 1) sum += t * t * t - t;
  return sum;
}

/** U of y: pairs with y_j > x_i plus half the ties. */
function uStatistic(x: Distribution, y: Distribution): number {
  let p = 0;
  let below = 0;
  let u = 0;
  for (let j = 0; j < y.values.length; j++) {
    const v = y.values[j]!;
    while (p < x.values.length && x.values[p]! < v) below += x.weights[p++]!;
    const tied = p < x.values.length && x.values[p] === v ? x.weights[p]! : 0;
    u += y.weights[j]! * (below + tied / 2);
  }
  return u;
}

/**
 * The shift of y against x (y - x) with a `confidence` interval, following Hollander & Wolfe: the
 * interval runs from the C-th to the (mn + 1 - C)-th ordered difference, C = floor(mn/2 - z * sd(U)),
 * with the tie-corrected standard deviation of U.
 */
export function hodgesLehmann(x: Distribution, y: Distribution, confidence: number): ShiftEstimate | null {
  const m = x.n;
  const n = y.n;
  if (m === 0 || n === 0) return null;
  const total = m * n;
  const estimate = total % 2 === 1 || !Number.isInteger(total) ? kthDifference(x, y, Math.ceil(total / 2)) : (kthDifference(x, y, total / 2) + kthDifference(x, y, total / 2 + 1)) / 2;
  const pooled = m + n;
  const variance = pooled > 1 ? ((m * n) / 12) * (pooled + 1 - tieTerm(x, y) / (pooled * (pooled - 1))) : 0;
  const sd = Math.sqrt(Math.max(0, variance));
  const u = uStatistic(x, y);
  const z = sd > 0 ? (u - total / 2) / sd : 0;
  const c = Math.floor(total / 2 - zFor(confidence) * sd);
  if (c < 1 || sd === 0) return { estimate, low: null, high: null, confidence, u, z, m, n };
  return { estimate, low: kthDifference(x, y, c), high: kthDifference(x, y, total + 1 - c), confidence, u, z, m, n };
}

export interface RateInterval {
  rate: number;
  low: number;
  high: number;
}

/** Wilson score interval of `successes` out of `trials` at `confidence` (two-sided). */
export function wilson(successes: number, trials: number, confidence: number): RateInterval | null {
  if (trials <= 0) return null;
  const z = zFor(confidence);
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
