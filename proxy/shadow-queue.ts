/**
 * The bounded queue between answered client requests and their copies (to hanzod, or to legacy again
 * for noise probes). Runs strictly off the client path: a full queue drops and counts, a slow or dead
 * hanzod only delays the queue.
 */
import { isDeclinedError } from "../protocol/index.js";
import type { ShadowObservation, ShadowSink, BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import type { ProxyMetrics } from "./metrics.js";

export interface ShadowJob {
  kind: ShadowObservation["kind"];
  method: string;
  connectionId: string;
  requestId: string;
  /**
   * Decodes what the copy needs, when the job starts (off the client path); undefined when there is
   * nothing to copy (the request or the answer did not decode).
   */
  prepare(): PreparedCopy | undefined;
}

export interface PreparedCopy {
  params: unknown;
  expected: BackendAnswer;
  /** Sends the copy and resolves with the answer; rejects (or resolves a failure) when it cannot. */
  run(): Promise<BackendAnswer | BackendFailure>;
}

export class ShadowQueue {
  private readonly jobs: ShadowJob[] = [];
  private active = 0;
  private scheduled = false;

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
    this.schedule();
    return true;
  }

  /**
   * Jobs start in a later turn of the event loop, never inside offer(): the caller is answering a client,
   * and that answer's write (corked until the end of the tick) must not wait for a copy to be decoded.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    while (this.active < this.concurrency && this.jobs.length > 0) {
      const job = this.jobs.shift()!;
      this.metrics.shadowQueueDepth.set(this.jobs.length);
      let copy: PreparedCopy | undefined;
      try {
        copy = job.prepare();
      } catch {
        copy = undefined;
      }
      if (copy === undefined) continue;
      this.active++;
      const started = Date.now();
      const prepared = copy;
      prepared
        .run()
        .catch((err: unknown): BackendFailure => ({ failed: err instanceof Error ? err.message : String(err), latencyMs: Date.now() - started }))
        .then((actual) => {
          const failed = "failed" in actual;
          if (failed && actual.abandoned === true) {
            this.metrics.shadow.inc({ result: "abandoned" });
            return;
          }
          // hanzod said the call is the legacy's to answer (protocol/declined.ts): it claims no answer, so
          // there is nothing of its own to compare; counted, so coverage shows.
          if (!failed && job.kind === "shadow" && !actual.ok && isDeclinedError(actual.error)) {
            this.metrics.shadow.inc({ result: "declined" });
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
            params: prepared.params,
            expected: prepared.expected,
            actual,
          });
          if (!failed && job.kind === "shadow") sink.recordLatency(job.method, "hanzod", actual.latencyMs, actual.ok);
        })
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          // A copy's answer, not a client's: the next job may start at once, as it always did.
          this.pump();
        });
    }
  };
}
