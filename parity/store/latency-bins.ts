/**
 * Log-scale latency bins: ~4% wide, so a p99 read from bins is within 4% of the exact value while
 * a method's whole latency history stays a few hundred integers per hour.
 */
const FLOOR_MS = 0.05;
const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);

export function latencyBin(ms: number): number {
  if (!(ms > FLOOR_MS)) return 0;
  return 1 + Math.floor(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
}

/** The upper edge of a bin: the value a percentile that falls in this bin reports. */
export function binUpperMs(bin: number): number {
  return bin <= 0 ? FLOOR_MS : FLOOR_MS * Math.pow(GROWTH, bin);
}

/** The geometric middle of a bin: the value a binned sample stands for in the gates' rank tests. */
export function binMidMs(bin: number): number {
  return bin <= 0 ? FLOOR_MS / 2 : FLOOR_MS * Math.pow(GROWTH, bin - 0.5);
}

export const HOUR_MS = 3_600_000;

export function hourOf(at: number): number {
  return at - (at % HOUR_MS);
}

/** Nearest-rank percentile of exact values (sorted ascending in place). */
export function percentileOf(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[rank - 1] ?? null;
}

/** Nearest-rank percentile over binned counts. */
export function percentileOfBins(bins: ReadonlyMap<number, number>, p: number): number | null {
  let total = 0;
  for (const c of bins.values()) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
    seen += bins.get(bin) ?? 0;
    if (seen >= rank) return binUpperMs(bin);
  }
  return null;
}
