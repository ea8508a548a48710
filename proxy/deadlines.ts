/**
 * Per-request deadlines for hanzod-routed requests: one timer per session armed for the earliest
 * deadline (no timer per request), and the memory of ids the proxy already answered itself so a late
 * hanzod answer never reaches the client.
 */
import { createHash } from "node:crypto";
import { mayHaveTimeoutMs } from "../protocol/sniff.js";
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
 * Upstream ids whose answer a leg still owes but nobody waits for any more (a client request past its
 * deadline, a proxy copy past its timeout), oldest forgotten first, and the aliases that stand in for
 * client ids while such an answer is on its way. A client may reuse an owed id (or one the proxy has in
 * flight itself); that request travels under an alias, so an answer can never pass for another's.
 * Ids are the client's own and may be megabytes long: long ones are kept as a digest.
 */
export class LateAnswers {
  private readonly owed = new Map<string, { leg: LegKey; label: string }>();
  /** alias -> the client's id and the leg it went to, while the aliased request is pending. */
  private readonly aliases = new Map<string, { clientId: string; leg: LegKey }>();
  private nextAlias = 0;

  /** `label`: the metric label of the request's method (already bounded, see methodLabel). */
  remember(id: string, key: LegKey, label: string): void {
    if (this.owed.size >= MAX_LATE_IDS) {
      const oldest = this.owed.keys().next().value;
      if (oldest !== undefined) this.owed.delete(oldest);
    }
    this.owed.set(boundedKey(id), { leg: key, label });
  }

  /** True when `id` is an answer the proxy already gave up on from this leg. */
  isLate(id: string, key: LegKey): boolean {
    return this.owed.size > 0 && this.owed.get(boundedKey(id))?.leg === key;
  }

  /** The metric label of the request whose answer is owed under `id`. */
  labelOf(id: string): string | undefined {
    return this.owed.size > 0 ? this.owed.get(boundedKey(id))?.label : undefined;
  }

  /** The late answer arrived (and was dropped): the id is free again. */
  forget(id: string): void {
    this.owed.delete(boundedKey(id));
  }

  /** A fresh alias for the client's `id` on leg `key`; `taken` says which ids are in flight there already. */
  alias(id: string, key: LegKey, taken: (candidate: string) => boolean): string {
    let alias: string;
    do alias = `${REUSED_ID_PREFIX}${++this.nextAlias}`;
    while (this.aliases.has(alias) || taken(alias));
    this.aliases.set(alias, { clientId: id, leg: key });
    return alias;
  }

  /** True when `id` is an alias in flight on leg `key`. */
  isAlias(id: string, key: LegKey): boolean {
    return this.aliases.size > 0 && this.aliases.get(id)?.leg === key;
  }

  /** The client's id behind an alias; undefined once the aliased request is settled. */
  clientIdOf(alias: string): string | undefined {
    return this.aliases.get(alias)?.clientId;
  }

  settleAlias(alias: string): void {
    this.aliases.delete(alias);
  }
}

/** Ids the proxy gives requests that reuse an id a leg still owes an answer to (readability only: routing is by table). */
export const REUSED_ID_PREFIX = "hanzonode-reused:";

const MAX_KEPT_ID_CHARS = 128;

/** Short ids as they are; a long one as its length and SHA-256, so a remembered id costs bounded memory. */
function boundedKey(id: string): string {
  return id.length <= MAX_KEPT_ID_CHARS ? id : `\u0000${id.length}:${createHash("sha256").update(id).digest("base64")}`;
}
