/**
 * A circuit breaker per backend: after `threshold` consecutive failures it opens (callers use their
 * fallback immediately); after `openMs` one caller is let through as a half-open probe, whose success
 * closes it again. A probe that never reports back (its connection went away first) is given up on
 * after another `openMs`, so the breaker cannot stay half-open forever.
 */
export type BreakerState = "closed" | "open" | "half-open";

export class CircuitBreaker {
  private state: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private probeAt = 0;

  constructor(
    private readonly threshold = 1,
    private readonly openMs = 2000,
    private readonly onChange: (s: BreakerState) => void = () => undefined,
  ) {}

  get current(): BreakerState {
    return this.state;
  }

  /** May a caller try the backend now? In half-open only the first caller (the probe) may. */
  allow(now = Date.now()): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open" && now - this.openedAt >= this.openMs) this.set("half-open");
    if (this.state === "half-open" && (!this.probing || now - this.probeAt >= this.openMs)) {
      this.probing = true;
      this.probeAt = now;
      return true;
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state !== "closed") this.set("closed");
  }

  failure(now = Date.now()): void {
    this.failures++;
    this.probing = false;
    if (this.state === "half-open" || this.failures >= this.threshold) {
      this.openedAt = now;
      if (this.state !== "open") this.set("open");
    }
  }

  private set(s: BreakerState): void {
    this.state = s;
    this.onChange(s);
  }
}
