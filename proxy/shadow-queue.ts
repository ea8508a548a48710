/**
 * The bounded queue between answered client requests and their copies (to hanzod, or to legacy again
 * for noise probes). Runs strictly off the client path: a full queue drops and counts, a slow or dead
 * hanzod only delays the queue.
 */
import type { ShadowObservation, ShadowSink, BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import type { ProxyMetrics } from "./metrics.js";

export interface ShadowJob {
  kind: ShadowObservation["kind"];
  method: string;
  connectionId: string;
  requestId: string;
  params: unknown;
  expected: BackendAnswer;
  /** Sends the copy and resolves with the answer; rejects (or resolves a failure) when it cannot. */
  run(): Promise<BackendAnswer | BackendFailure>;
}

export class ShadowQueue {
  private readonly jobs: ShadowJob[] = [];
  private active = 0;

  constructor(
    private readonly sink: () => ShadowSink | undefined,
    private readonly capacity: () => number,
    private readonly metrics: ProxyMetrics,
    private readonly concurrency = 16,
  ) {}

  get depth(): number {
    return this.jobs.length;
  }

  offer(job: ShadowJob): boolean {
    if (this.jobs.length >= this.capacity()) {
      this.metrics.shadow.inc({ result: "dropped" });
      return false;
    }
    this.jobs.push(job);
    this.metrics.shadowQueueDepth.set(this.jobs.length);
    this.pump();
    return true;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.jobs.length > 0) {
      const job = this.jobs.shift()!;
      this.metrics.shadowQueueDepth.set(this.jobs.length);
      this.active++;
      const started = Date.now();
      job
        .run()
        .catch((err: unknown): BackendFailure => ({ failed: err instanceof Error ? err.message : String(err), latencyMs: Date.now() - started }))
        .then((actual) => {
          const failed = "failed" in actual;
          if (failed && actual.abandoned === true) {
            this.metrics.shadow.inc({ result: "abandoned" });
            return;
          }
          this.metrics.shadow.inc({ result: failed ? "failed" : "submitted" });
          const sink = this.sink();
          if (sink === undefined) return;
          sink.submit({
            kind: job.kind,
            at: Date.now(),
            method: job.method,
            connectionId: job.connectionId,
            requestId: job.requestId,
            params: job.params,
            expected: job.expected,
            actual,
          });
          if (!failed && job.kind === "shadow") sink.recordLatency(job.method, "hanzod", actual.latencyMs, actual.ok);
        })
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }
}
