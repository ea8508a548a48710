/**
 * Per-request deadlines for hanzod-routed requests: one timer per session armed for the earliest
 * deadline (no timer per request), and the memory of ids the proxy already answered itself so a late
 * hanzod answer never reaches the client.
 */
import { mayHaveTimeoutMs } from "./sniff.js";
import type { LegKey } from "./leg.js";
import type { Pending } from "./pending.js";

/** Ids whose hanzod deadline passed, remembered so a late answer never reaches the client. */
const MAX_LATE_IDS = 1024;

/**
 * How long a hanzod-routed request may go unanswered (0 = no deadline). A request that asks the
 * backend to wait (`params.timeoutMs`: agent.wait, node.invoke, approvals) gets that wait on top.
 */
export function deadlineFor(baseMs: number, data: Buffer, params: () => unknown): number {
  if (baseMs <= 0) return 0;
  let ms = baseMs;
  if (mayHaveTimeoutMs(data)) {
    const t = (params() as { timeoutMs?: unknown } | undefined)?.timeoutMs;
    if (typeof t === "number" && Number.isFinite(t) && t > 0) ms += t;
  }
  return ms;
}

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly onDue: () => void) {}

  /** Makes sure the timer fires no later than `at` (a performance.now() time). */
  arm(at: number): void {
    if (this.timer !== undefined) {
      if (this.at <= at) return;
      clearTimeout(this.timer);
    }
    this.at = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()) + 1);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    this.onDue();
  };
}

/** The requests whose deadline passed by `now`, and the earliest deadline still ahead (Infinity: none). */
export function expiredRequests(pending: Map<string, Pending>, now: number): { expired: Array<[string, Pending]>; next: number } {
  let next = Infinity;
  const expired: Array<[string, Pending]> = [];
  for (const entry of pending) {
    const d = entry[1].deadline;
    if (d === 0) continue;
    if (d <= now) expired.push(entry);
    else if (d < next) next = d;
  }
  return { expired, next };
}

/**
 * Answers still owed by hanzod for requests whose deadline passed: id -> leg, oldest forgotten first.
 * A client may reuse such an id while the late answer is still on its way; that request travels under
 * an alias of the proxy's own, so the late answer to the old request can never pass for the new one.
 */
export class LateAnswers {
  private readonly owed = new Map<string, { leg: LegKey; method: string }>();
  /** alias -> the client's id, while the aliased request is pending. */
  private readonly aliases = new Map<string, string>();
  private nextAlias = 0;

  remember(id: string, key: LegKey, method: string): void {
    if (this.owed.size >= MAX_LATE_IDS) {
      const oldest = this.owed.keys().next().value;
      if (oldest !== undefined) this.owed.delete(oldest);
    }
    this.owed.set(id, { leg: key, method });
  }

  /** True when `id` is an answer the proxy already gave up on from this leg. */
  isLate(id: string, key: LegKey): boolean {
    return this.owed.size > 0 && this.owed.get(id)?.leg === key;
  }

  /** The method of the request whose answer is owed under `id` (for metrics). */
  methodOf(id: string): string | undefined {
    return this.owed.get(id)?.method;
  }

  /** The late answer arrived (and was dropped): the id is free again. */
  forget(id: string): void {
    this.owed.delete(id);
  }

  /** An upstream id for a request reusing `id` on a leg that still owes an answer to it, else undefined. */
  aliasIfOwed(id: string, key: LegKey): string | undefined {
    if (!this.isLate(id, key)) return undefined;
    const alias = `${REUSED_ID_PREFIX}${++this.nextAlias}`;
    this.aliases.set(alias, id);
    return alias;
  }

  /** The client's id behind an alias; undefined once the aliased request is settled. */
  clientIdOf(alias: string): string | undefined {
    return this.aliases.get(alias);
  }

  settleAlias(alias: string): void {
    this.aliases.delete(alias);
  }
}

/** Ids the proxy gives requests that reuse an id a leg still owes an answer to. */
export const REUSED_ID_PREFIX = "hanzonode-reused:";
