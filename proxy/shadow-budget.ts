/**
 * How many shadow copies per second each method may cost. Every copy is a second backend call (and,
 * sampled, a third to legacy for noise) on the same hosts that serve the live traffic; under load an
 * unbounded shadow takes capacity from the clients it is meant to protect. The gates need a few hundred
 * comparisons, not every call, so beyond the budget a call is answered as usual and simply not copied.
 *
 * A token bucket per method: `ratePerSecond` tokens a second, holding at most one second's worth, so a
 * quiet method's burst is copied whole and a busy one is sampled evenly.
 */

interface Bucket {
  tokens: number;
  at: number;
}

/** Methods are client input: past this many buckets the map starts over instead of growing. */
const MAX_BUCKETS = 4096;

export class ShadowBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** True when a copy of `method` may go now (0 = unlimited). */
  take(method: string, ratePerSecond: number): boolean {
    if (ratePerSecond <= 0) return true;
    const now = this.now();
    // A name longer than any real method shares one bucket: the map stays small in bytes as well.
    const key = method.length <= 256 ? method : "(long)";
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      b = { tokens: ratePerSecond, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(ratePerSecond, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
