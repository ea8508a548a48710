/** Sums `recordLatency` calls into log-scale bins in memory; the sink flushes them with each batch. */
import { hourOf, latencyBin } from "../store/latency-bins.js";
import type { LatencyBucketRow } from "../store/types.js";

export class LatencyAccumulator {
  private buckets = new Map<string, LatencyBucketRow>();

  add(method: string, backend: "legacy" | "hanzod", latencyMs: number, ok: boolean, at: number): void {
    const hour = hourOf(at);
    const bin = latencyBin(latencyMs);
    const key = `${method}\u0000${backend}\u0000${hour}\u0000${bin}`;
    const b = this.buckets.get(key);
    if (b) {
      b.count++;
      if (!ok) b.errors++;
    } else this.buckets.set(key, { method, backend, hour, bin, count: 1, errors: ok ? 0 : 1 });
  }

  get size(): number {
    return this.buckets.size;
  }

  take(): LatencyBucketRow[] {
    const rows = [...this.buckets.values()];
    this.buckets = new Map();
    return rows;
  }
}
