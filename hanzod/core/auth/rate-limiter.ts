/**
 * Per-client-IP auth failure limiter with the legacy's semantics (dist: auth-rate-limit): 10 failures in
 * 60 s lock a remote IP out for 5 min; loopback is never locked out but each failure is answered after an
 * escalating delay (250 ms doubling, at most 5 s), which is what makes a wrong token reply take ~260 ms.
 */
import { isLoopbackAddress } from "./net.js";

const MAX_ATTEMPTS = 10;
const WINDOW_MS = 60_000;
const LOCKOUT_MS = 300_000;
const LOOPBACK_DELAY_BASE_MS = 250;
const LOOPBACK_DELAY_MAX_MS = 5_000;
const LOOPBACK_HISTORY = Math.ceil(Math.log2(LOOPBACK_DELAY_MAX_MS / LOOPBACK_DELAY_BASE_MS)) + 1;
const MAX_ENTRIES = 10_000;

export type RateScope = "shared-secret" | "device-token";

interface Entry {
  attempts: number[];
  lockedUntil?: number;
}

export interface RateCheck {
  allowed: boolean;
  retryAfterMs: number;
}

export class AuthRateLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly penaltyUntil = new Map<string, number>();

  check(ip: string, scope: RateScope): RateCheck {
    if (isLoopbackAddress(ip)) return { allowed: true, retryAfterMs: 0 };
    const entry = this.entries.get(`${scope}:${ip}`);
    if (!entry) return { allowed: true, retryAfterMs: 0 };
    const now = Date.now();
    if (entry.lockedUntil !== undefined) {
      if (now < entry.lockedUntil) return { allowed: false, retryAfterMs: entry.lockedUntil - now };
      entry.lockedUntil = undefined;
      entry.attempts = [];
    }
    entry.attempts = entry.attempts.filter((t) => t > now - WINDOW_MS);
    return { allowed: entry.attempts.length < MAX_ATTEMPTS, retryAfterMs: 0 };
  }

  recordFailure(ip: string, scope: RateScope): void {
    const key = `${scope}:${ip}`;
    const now = Date.now();
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) this.prune(now);
      entry = { attempts: [] };
      this.entries.set(key, entry);
    }
    if (entry.lockedUntil !== undefined && now < entry.lockedUntil) return;
    entry.attempts = entry.attempts.filter((t) => t > now - WINDOW_MS);
    entry.attempts.push(now);
    if (isLoopbackAddress(ip)) {
      if (entry.attempts.length > LOOPBACK_HISTORY) entry.attempts.splice(0, entry.attempts.length - LOOPBACK_HISTORY);
    } else if (entry.attempts.length >= MAX_ATTEMPTS) entry.lockedUntil = now + LOCKOUT_MS;
  }

  /** Records the failure; on loopback, resolves only after the escalating penalty delay. */
  async recordFailureAndDelay(ip: string, scope: RateScope): Promise<void> {
    this.recordFailure(ip, scope);
    if (!isLoopbackAddress(ip)) return;
    const key = `${scope}:${ip}`;
    const failures = this.entries.get(key)?.attempts.length ?? 1;
    const penalty = Math.min(LOOPBACK_DELAY_BASE_MS * 2 ** Math.min(failures - 1, 30), LOOPBACK_DELAY_MAX_MS);
    const now = Date.now();
    const deadline = Math.min(Math.max(this.penaltyUntil.get(key) ?? 0, now + penalty), now + LOOPBACK_DELAY_MAX_MS);
    this.penaltyUntil.set(key, deadline);
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref());
  }

  reset(ip: string, scope: RateScope): void {
    this.entries.delete(`${scope}:${ip}`);
    this.penaltyUntil.delete(`${scope}:${ip}`);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil !== undefined && now < entry.lockedUntil) continue;
      if (!entry.attempts.some((t) => t > now - WINDOW_MS)) this.entries.delete(key);
    }
  }
}
