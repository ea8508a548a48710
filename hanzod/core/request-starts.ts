/**
 * When an operator's request may start, as the legacy decides it (request-start.ts in its ws
 * connection): one process-wide FIFO; a start after the queue was idle, or past 64 starts or 12 ms of
 * starting in one event-loop turn, waits for the next turn, so a burst of pipelined requests is spread
 * over turns instead of stalling every other connection. At most 256 starts (50 MiB of frames) wait;
 * beyond that a request is refused with the legacy's retryable UNAVAILABLE.
 */
const MAX_PENDING_COUNT = 256;
const MAX_PENDING_BYTES = 52_428_800;
const MAX_STARTS_PER_TURN = 64;
const START_WORK_BUDGET_MS = 12;

interface Waiting {
  start: () => void;
  bytes: number;
}

export class RequestStarts {
  private readonly pending: Waiting[] = [];
  private pendingBytes = 0;
  private active = false;
  private turnStartedAt = 0;
  private turnStarts = 0;

  /** Calls `start` when the request may start; false (nothing called) when the waiting budget is full. */
  admit(bytes: number, start: () => void): boolean {
    if (this.active && (this.pending.length >= MAX_PENDING_COUNT || this.pendingBytes + bytes > MAX_PENDING_BYTES)) return false;
    this.pending.push({ start, bytes });
    this.pendingBytes += bytes;
    if (!this.active) void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    this.active = true;
    let wasIdle = true;
    while (this.pending.length > 0) {
      const next = this.pending.shift()!;
      this.pendingBytes -= next.bytes;
      if (wasIdle || this.turnStarts >= MAX_STARTS_PER_TURN || performance.now() - this.turnStartedAt >= START_WORK_BUDGET_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.turnStartedAt = performance.now();
        this.turnStarts = 0;
      }
      wasIdle = false;
      this.turnStarts++;
      next.start();
    }
    this.active = false;
  }
}

/** Process-wide, as the legacy's. */
export const requestStarts = new RequestStarts();
