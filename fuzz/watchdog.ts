/**
 * Runs inside a fuzzed process: event-loop delay (perf_hooks histogram at 1 ms resolution, the
 * longest single stall since the last report) and RSS, sent to the parent over IPC every interval.
 * One stall is one turn of the loop that ran too long: one frame's handling, or one batch of them.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface WatchdogReport {
  kind: "watchdog";
  /** Longest event-loop stall since the previous report, ms. */
  maxStallMs: number;
  p99StallMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  at: number;
}

export function startWatchdog(intervalMs = 250): () => void {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const timer = setInterval(() => {
    const report: WatchdogReport = {
      kind: "watchdog",
      // The histogram counts the timer's lateness; the resolution itself is not a stall.
      maxStallMs: Math.max(0, h.max / 1e6 - 1),
      p99StallMs: Math.max(0, h.percentile(99) / 1e6 - 1),
      rssBytes: process.memoryUsage.rss(),
      heapUsedBytes: process.memoryUsage().heapUsed,
      at: Date.now(),
    };
    h.reset();
    process.send?.(report);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    h.disable();
  };
}
