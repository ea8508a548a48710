/**
 * A process-wide budget for large inbound frames (issue 16: RSS within 2x of idle under the fuzz).
 *
 * ws buffers a frame whole before it is handed on, so every connection that is part-way through a large
 * frame holds its bytes, then a copy for the intake worker, then whatever judging it makes. With eight
 * hostile clients each sending 0.5-1 MiB frames at once, that is eight frames in memory at once though the
 * one intake worker judges them one by one. So a connection whose next frame announces
 * OFF_THREAD_MIN_BYTES or more (the frame header says how long it is, before its payload is read) must
 * hold a share of this budget from then until the frame has been judged and its request started. When the
 * budget is spent, that connection's socket stops reading (TCP backpressure, as a slow server gives) until
 * a share frees: only the connections with a large frame wait, in the order they asked; small frames and
 * every other client go on. A share is always granted when none is held, so a frame larger than the
 * budget (up to the 25 MiB cap) still passes, alone.
 *
 * Holders are opaque keys (a Connection); waiting never reorders or drops a connection's frames: its socket
 * is paused, nothing is refused.
 */
import { OFF_THREAD_MIN_BYTES } from "./off-thread.js";

/** Bytes of large frames received or being judged at once across the process (beyond one frame alone). */
export const INBOUND_BUDGET_BYTES = 2 * 1024 * 1024;

interface Waiter {
  bytes: number;
  granted: () => void;
}

export class InboundBudget {
  private readonly held = new Map<object, number>();
  private readonly waiting = new Map<object, Waiter>();
  private inUse = 0;

  constructor(readonly limit: number = INBOUND_BUDGET_BYTES) {}

  /** Bytes held now, across holders. */
  get bytesInFlight(): number {
    return this.inUse;
  }

  /** Holders whose sockets wait for a share. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  holds(holder: object): boolean {
    return this.held.has(holder);
  }

  isWaiting(holder: object): boolean {
    return this.waiting.has(holder);
  }

  /**
   * A share of `bytes` for `holder`: true when granted now. Otherwise `granted` runs once it is (in the
   * order holders asked), unless `release(holder)` comes first. A holder that already holds or waits keeps
   * what it has.
   */
  request(holder: object, bytes: number, granted: () => void): boolean {
    if (this.held.has(holder)) return true;
    if (this.waiting.has(holder)) return false;
    if (this.waiting.size === 0 && this.fits(bytes)) {
      this.grant(holder, bytes);
      return true;
    }
    this.waiting.set(holder, { bytes, granted });
    return false;
  }

  /**
   * A frame that is here whole (read in one chunk before it could ask, or granted already): counted,
   * never refused. True when this ends a wait of `holder`'s (its `granted` will not run).
   */
  force(holder: object, bytes: number): boolean {
    const w = this.waiting.get(holder);
    this.waiting.delete(holder);
    if (!this.held.has(holder)) this.grant(holder, Math.max(bytes, w?.bytes ?? 0));
    return w !== undefined;
  }

  /** Frees what `holder` holds (or stops its wait) and grants waiters, first come first served. */
  release(holder: object): void {
    this.waiting.delete(holder);
    const bytes = this.held.get(holder);
    if (bytes !== undefined) {
      this.held.delete(holder);
      this.inUse -= bytes;
    }
    for (const [next, w] of this.waiting) {
      if (!this.fits(w.bytes)) break;
      this.waiting.delete(next);
      this.grant(next, w.bytes);
      w.granted();
    }
  }

  private fits(bytes: number): boolean {
    return this.held.size === 0 || this.inUse + bytes <= this.limit;
  }

  private grant(holder: object, bytes: number): void {
    this.held.set(holder, bytes);
    this.inUse += bytes;
  }
}

/** The process's budget: every hanzod server in a process shares its memory. */
export const inboundBudget = new InboundBudget();

/** Whether a frame of this many bytes needs a share (the frames the intake worker judges). */
export const needsShare = (bytes: number): boolean => bytes >= OFF_THREAD_MIN_BYTES;
