/**
 * Large frames are judged on a worker thread. Parsing is the one cost of a frame that grows with what
 * a client chooses to send: a 577 KB frame of 40,000 keys takes 25-35 ms to parse and each walk of
 * its keys 10-30 ms more, so on the main thread one such frame held every other client up for longer
 * than the 50 ms issue 16 allows. The worker parses and checks it (verdict.ts) and hands back only what
 * the pipeline needs; a refused frame costs the main thread a copy of its bytes.
 *
 * One worker, started with the first large frame and stopped after a quiet spell, so a process that
 * never sees one never pays for it (about 13 MB compiled, 26 MB more through tsx), and hanzod's idle
 * RSS is what it uses. It is not replaced while busy (a fresh worker every 4 or 16 MiB judged did not
 * lower the fuzz run's RSS). Its young generation is capped (WORKER_YOUNG_GENERATION_MB): every frame it
 * judges is garbage once judged, and V8 otherwise grows the worker's semi-spaces to their maximum under
 * the allocation rate of 1 MB frames. If the worker fails, the frames it held are judged inline: slower,
 * never lost.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { judgeFrame, type FrameVerdict } from "./verdict.js";

/** Frames from this size up are judged off the main thread (the pre-hello cap: smaller ones parse in a few ms). */
export const OFF_THREAD_MIN_BYTES = 64 * 1024;
/** A worker with nothing to do for this long is stopped. */
const IDLE_STOP_MS = 10_000;
/**
 * The worker's young generation, MB (V8's default lets it grow to 48). Measured with 8 clients sending
 * the fuzz's large frames (issue 16): the worker's heap peaked at 52 MB (young generation 31 of it)
 * and at 33 MB with this cap (young 3). The old generation is not capped: a 25 MiB frame of keys needs
 * hundreds of MB to parse, and a worker out of memory would hand it to the main thread.
 */
export const WORKER_YOUNG_GENERATION_MB = 2;
/**
 * The worker collects itself (decode-worker.ts) once its heap has grown this much since its last collection.
 * 8 MiB (session 14) left the worker's heap at about 11 MB under the fuzz, and the worker held 30-35 MB of
 * the process's RSS while it ran (the drop when it stops after its idle spell); with 2 MiB, in back-to-back
 * short fuzz runs, hanzod's peak went 2.27x -> 1.83x and 2.11x -> 2.09x of idle, within the run-to-run spread (issue 16, README). The
 * collections are the worker thread's pauses, never the main loop's: a few ms each, at most one per large frame.
 */
export const WORKER_COLLECT_AFTER_BYTES = 2 * 1024 * 1024;

export interface IntakeRequest {
  seq: number;
  bytes: Uint8Array;
  compat: string;
}
export type IntakeReply = { seq: number; verdict: FrameVerdict; failed?: undefined } | { seq: number; failed: string; verdict?: undefined };

interface Pending {
  text: () => string;
  compat: string;
  resolve: (v: FrameVerdict) => void;
}

/**
 * A frame's bytes, copied once into memory the worker reads in place (a SharedArrayBuffer): while the
 * frame is judged the process holds one copy of it, not ws's buffer plus the worker's own, and ws's
 * buffer (or its fragments) is garbage at once.
 */
export function sharedFrameCopy(data: Buffer | Buffer[] | ArrayBuffer): Buffer {
  const parts = Buffer.isBuffer(data) ? [data] : Array.isArray(data) ? data : [Buffer.from(data)];
  const whole = Buffer.from(new SharedArrayBuffer(parts.reduce((n, p) => n + p.byteLength, 0)));
  let at = 0;
  for (const p of parts) at += p.copy(whole, at);
  return whole;
}

/** Source runs (tests, tsx) start the worker through a bootstrap that loads tsx; the build runs its compiled file. */
function workerEntry(): URL {
  return new URL(import.meta.url.endsWith(".ts") ? "./decode-worker-source.mjs" : "./decode-worker.js", import.meta.url);
}

export class OffThreadJudge {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  constructor(private readonly log?: Pick<Logger, "warn">) {}

  /** Judges `bytes` (a whole frame's UTF-8) as it would be inline; `text` gives the same frame as a string for the fallback. */
  judge(bytes: Buffer, text: () => string, compat: string): Promise<FrameVerdict> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const seq = ++this.seq;
    return new Promise<FrameVerdict>((resolve) => {
      this.pending.set(seq, { text, compat, resolve });
      // Bytes from sharedFrameCopy() are read by the worker where they are; others are copied into a
      // buffer the worker owns outright (ws may hand us a slice of a shared buffer).
      const shared = bytes.buffer instanceof SharedArrayBuffer;
      const view = shared ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
      const request: IntakeRequest = { seq, bytes: view, compat };
      try {
        this.ensureWorker().postMessage(request, shared ? [] : [view.buffer as ArrayBuffer]);
      } catch {
        this.settle(seq, undefined);
      }
    });
  }

  /** The running worker's V8 limits (undefined when none runs), to check what it was started with. */
  limits(): Worker["resourceLimits"] | undefined {
    return this.worker?.resourceLimits;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = undefined;
    for (const seq of [...this.pending.keys()]) this.settle(seq, undefined);
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerEntry(), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    w.unref();
    w.on("message", (reply: IntakeReply) => {
      this.settle(reply.seq, reply.verdict);
    });
    const lost = (): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const seq of [...this.pending.keys()]) this.settle(seq, undefined);
    };
    w.on("error", (err) => {
      this.log?.warn({ err: String(err) }, "intake worker failed: large frames are judged inline until it restarts");
      lost();
    });
    w.on("exit", lost);
    this.worker = w;
    return w;
  }

  /** Resolves one frame: with the worker's verdict, or judged inline when there is none. */
  private settle(seq: number, verdict: FrameVerdict | undefined): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    p.resolve(verdict ?? judgeFrame(p.text(), p.compat));
    if (this.pending.size === 0 && this.worker && !this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (this.pending.size === 0) void this.close();
      }, IDLE_STOP_MS);
      this.idleTimer.unref();
    }
  }
}
