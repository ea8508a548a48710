/**
 * hanzod's exec approval manager: the legacy's `ExecApprovalManager` + `ExecApprovalLifecycle` (9.6 dist
 * exec-approval-manager, exec-approval-lifecycle; same rules in 9.1) for the records hanzod itself holds.
 * Process memory (pending map, expiry timer, 15 s resolved grace, decision waiters, handoff retain counts,
 * the ask-fallback one-shot flag) over the durable rows of hanzod/state/operator-approvals.ts, which carry
 * hanzod's own random runtime epoch. Every durable transition is written first and the local record settled
 * from the row, as the legacy's `settleLocalFromStore` does, so a row another process closed (the legacy's
 * restart sweep cancels it) settles the waiter as terminal too.
 */
import { randomUUID } from "node:crypto";
import type { ApprovalDecision, ApprovalRow, ApprovalStatus, OperatorApprovalStore } from "../../state/operator-approvals.js";

/** EXEC_APPROVAL_RESOLVED_ENTRY_GRACE_MS: a resolved record stays readable (and replayable) this long. */
export const RESOLVED_GRACE_MS = 15_000;
/** DEFAULT_EXEC_APPROVAL_TIMEOUT_MS (30 min). */
export const DEFAULT_TIMEOUT_MS = 1_800_000;
const MAX_TIMER_TIMEOUT_MS = 2_147_483_647;
const ID_INVALID_CHAR = /[^A-Za-z0-9._:-]/;

export class InvalidApprovalIdError extends Error {
  readonly code = "EXEC_APPROVAL_ID_INVALID";
  readonly reason = "INVALID_APPROVAL_ID";
  constructor() {
    super("approval id must be 1-128 characters using only letters, numbers, '.', '_', ':', or '-', and cannot be '.' or '..'");
  }
}

export interface ExecApprovalRecord {
  id: string;
  /** The stored request (the legacy's request object, events and list carry it as is). */
  request: Record<string, unknown>;
  createdAtMs: number;
  expiresAtMs: number;
  requestedByConnId: string | null;
  requestedByDeviceId: string | null;
  requestedByClientId: string | null;
  requestedByDeviceTokenAuth: boolean;
  resolvedAtMs?: number;
  decision?: ApprovalDecision;
  resolvedBy?: string | null;
  status?: ApprovalStatus;
  terminalReason?: string | null;
  consumedDecision?: "allow-once";
  askFallbackConsumed?: boolean;
}

interface Entry {
  record: ExecApprovalRecord;
  timer: NodeJS.Timeout | null;
  cleanupTimer: NodeJS.Timeout | null;
  handoffRetainCount: number;
  handoffReleasedAtMs: number | null;
  settle: (decision: ApprovalDecision | null) => void;
  promise: Promise<ApprovalDecision | null>;
}

export type Lookup = { kind: "exact" | "prefix"; id: string } | { kind: "ambiguous"; ids: string[] } | { kind: "none" };

export interface ManagerHooks {
  /** A record expired (status `expired`): the legacy publishes `exec.approval.resolved` with decision deny. */
  onExpired(row: ApprovalRow, record: ExecApprovalRecord): void;
  onError?(err: unknown, id: string): void;
}

export class ExecApprovalManager {
  readonly runtimeEpoch = randomUUID();
  private readonly pending = new Map<string, Entry>();
  private retired = false;

  constructor(
    private readonly store: OperatorApprovalStore,
    private readonly hooks: ManagerHooks,
  ) {}

  /** createExecApprovalRecord: the timeout clamped to a timer's range, an explicit id checked. */
  create(request: Record<string, unknown>, timeoutMs: number, id: string | null): ExecApprovalRecord {
    const now = Date.now();
    const ms = Math.min(Math.max(Math.floor(timeoutMs), 1), MAX_TIMER_TIMEOUT_MS);
    const explicit = id !== null && id.length > 0;
    if (explicit && (id.length > 128 || id === "." || id === ".." || ID_INVALID_CHAR.test(id))) throw new InvalidApprovalIdError();
    return { id: explicit ? id : randomUUID(), request, createdAtMs: now, expiresAtMs: now + ms, requestedByConnId: null, requestedByDeviceId: null, requestedByClientId: null, requestedByDeviceTokenAuth: false };
  }

  /** Persist, then hold: the row first (an id conflict throws), then the pending entry and its expiry timer. */
  register(record: ExecApprovalRecord, row: Parameters<OperatorApprovalStore["insert"]>[0]): Promise<ApprovalDecision | null> {
    if (this.pending.has(record.id)) throw new Error(`approval id '${record.id}' already resolved`);
    if (this.store.insert(row) === "conflict") throw new Error(`approval id '${record.id}' conflicts with persisted state`);
    let settle!: (d: ApprovalDecision | null) => void;
    const promise = new Promise<ApprovalDecision | null>((r) => (settle = r));
    const entry: Entry = { record, timer: null, cleanupTimer: null, handoffRetainCount: 0, handoffReleasedAtMs: null, settle, promise };
    this.pending.set(record.id, entry);
    this.scheduleExpiry(entry);
    return promise;
  }

  private scheduleExpiry(entry: Entry): void {
    if (this.retired) return;
    entry.timer = setTimeout(() => {
      if (this.pending.get(entry.record.id) === entry) this.expireDue(entry.record.id);
    }, Math.min(Math.max(Math.floor(entry.record.expiresAtMs - Date.now()), 1), MAX_TIMER_TIMEOUT_MS));
    entry.timer.unref?.();
  }

  private graceAnchor(entry: Entry, nowMs: number): number | null {
    if (entry.record.resolvedAtMs === undefined) return null;
    return entry.handoffRetainCount > 0 ? nowMs : (entry.handoffReleasedAtMs ?? entry.record.resolvedAtMs);
  }

  /** getLocalSnapshot: the record, or null once its resolved grace has passed (then it is dropped). */
  local(id: string): ExecApprovalRecord | null {
    const entry = this.pending.get(id);
    if (!entry) return null;
    const now = Date.now();
    const anchor = this.graceAnchor(entry, now);
    if (anchor !== null && now - anchor >= RESOLVED_GRACE_MS) {
      this.pending.delete(id);
      return null;
    }
    return entry.record;
  }

  /** getSnapshot: a pending record past its expiry is expired first (lazily, as the legacy's lookups do). */
  snapshot(id: string): ExecApprovalRecord | null {
    const record = this.local(id);
    if (record && record.resolvedAtMs === undefined && record.expiresAtMs <= Date.now()) this.expireDue(id);
    return this.local(id);
  }

  listPending(): ExecApprovalRecord[] {
    if (this.retired) return [];
    const now = Date.now();
    for (const e of [...this.pending.values()]) if (e.record.resolvedAtMs === undefined && e.record.expiresAtMs <= now) this.expireDue(e.record.id);
    return [...this.pending.values()].map((e) => e.record).filter((r) => r.resolvedAtMs === undefined);
  }

  /** lookupApprovalId: an exact id (also trimmed), else a unique case-insensitive prefix among the candidates. */
  lookup(input: string, opts: { includeResolved?: boolean; filter?: (r: ExecApprovalRecord) => boolean } = {}): Lookup {
    this.listPending();
    const ok = (r: ExecApprovalRecord) => (opts.includeResolved || r.resolvedAtMs === undefined) && (opts.filter?.(r) ?? true);
    const raw = this.local(input);
    if (raw) return ok(raw) ? { kind: "exact", id: input } : { kind: "none" };
    const trimmed = input.trim();
    if (!trimmed) return { kind: "none" };
    const exact = this.local(trimmed);
    if (exact) return ok(exact) ? { kind: "exact", id: trimmed } : { kind: "none" };
    const lower = trimmed.toLowerCase();
    const ids: string[] = [];
    for (const [id, e] of this.pending) {
      if (!opts.includeResolved && e.record.resolvedAtMs !== undefined) continue;
      if (opts.filter?.(e.record) === false) continue;
      if (id.toLowerCase().startsWith(lower)) ids.push(id);
    }
    return ids.length === 1 ? { kind: "prefix", id: ids[0]! } : ids.length > 1 ? { kind: "ambiguous", ids } : { kind: "none" };
  }

  /** The waiter of a held record (null when hanzod no longer holds it). */
  awaitDecision(id: string): Promise<ApprovalDecision | null> | null {
    const record = this.local(id);
    if (!record) return null;
    if (record.resolvedAtMs === undefined && record.expiresAtMs <= Date.now()) this.expireDue(id);
    return this.pending.get(id)?.promise ?? null;
  }

  /** The first verdict, persisted (resolver kind `runtime`, as the legacy's operator path), then settled. */
  resolve(id: string, decision: ApprovalDecision, resolvedBy: string | null): boolean {
    const entry = this.pending.get(id);
    if (this.retired || (decision !== "deny" && !entry)) return false;
    const result = this.store.resolve(id, decision, { kind: "runtime", id: resolvedBy }, this.runtimeEpoch, Date.now());
    if (this.pending.get(id) !== entry) return result.outcome === "resolved";
    if (result.outcome === "resolved" || result.outcome === "expired" || result.outcome === "already-resolved") this.settleFromRow(result.row, undefined, resolvedBy);
    return result.outcome === "resolved";
  }

  /** expireDue: the row expired/timeout when due (not-due re-arms the timer); the waiter gets null. */
  expireDue(id: string): boolean {
    const entry = this.pending.get(id);
    if (this.retired || !entry || entry.record.resolvedAtMs !== undefined) return false;
    try {
      const r = this.store.forceDeny(id, { status: "expired", reason: "timeout", resolver: { kind: "system", id: null }, requireDue: true }, this.runtimeEpoch, Date.now());
      if (r.outcome === "not-due") {
        this.scheduleExpiry(entry);
        return false;
      }
      if (r.outcome !== "not-found") this.settleFromRow(r.row, undefined, null);
      return r.outcome === "denied" || r.outcome === "expired";
    } catch (err) {
      this.hooks.onError?.(err, id);
      return false;
    }
  }

  /** expire(id, "no-approval-route"): denied/no-route at once, decision null to the requester. */
  denyNoRoute(id: string): boolean {
    const r = this.store.forceDeny(id, { status: "denied", reason: "no-route", resolver: { kind: "system", id: "no-approval-route" }, requireDue: false }, this.runtimeEpoch, Date.now());
    if (r.outcome === "denied") this.settleFromRow(r.row, null, "no-approval-route");
    else if (r.outcome === "expired" || r.outcome === "already-terminal") this.settleFromRow(r.row, undefined, "no-approval-route");
    return r.outcome === "denied";
  }

  /** settleLocalFromStore + settleLocalEntry: the durable terminal row decides what the waiter gets. */
  private settleFromRow(row: ApprovalRow, localDecision: ApprovalDecision | null | undefined, resolvedBy: string | null): void {
    const entry = this.pending.get(row.approval_id);
    if (!entry || row.runtime_epoch !== this.runtimeEpoch || row.status === "pending" || row.resolved_at_ms === null) return;
    if (entry.record.resolvedAtMs !== undefined) return;
    const decision = localDecision === undefined ? (row.status === "allowed" || row.status === "denied" ? row.decision : null) : localDecision;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    const rec = entry.record;
    rec.resolvedAtMs = row.resolved_at_ms;
    if (decision === null) delete rec.decision;
    else rec.decision = decision;
    rec.resolvedBy = resolvedBy;
    rec.status = row.status;
    rec.terminalReason = row.terminal_reason;
    entry.settle(decision);
    this.scheduleCleanup(entry);
    if (row.status === "expired") {
      try {
        this.hooks.onExpired(row, rec);
      } catch (err) {
        this.hooks.onError?.(err, rec.id);
      }
    }
  }

  private scheduleCleanup(entry: Entry): void {
    if (this.retired || entry.cleanupTimer || entry.record.resolvedAtMs === undefined || entry.handoffRetainCount > 0) return;
    const t = setTimeout(() => {
      if (entry.cleanupTimer !== t) return;
      entry.cleanupTimer = null;
      if (this.pending.get(entry.record.id) === entry && entry.handoffRetainCount === 0) this.pending.delete(entry.record.id);
    }, RESOLVED_GRACE_MS);
    t.unref?.();
    entry.cleanupTimer = t;
  }

  /** retainForHandoff: the record stays while a dispatch uses it; the release starts a fresh grace. */
  retainForHandoff(id: string): (() => void) | null {
    const entry = this.pending.get(id);
    if (!entry) return null;
    const now = Date.now();
    const anchor = this.graceAnchor(entry, now);
    if (anchor !== null && entry.handoffRetainCount === 0 && now - anchor >= RESOLVED_GRACE_MS) {
      this.pending.delete(id);
      return null;
    }
    if (entry.cleanupTimer) clearTimeout(entry.cleanupTimer);
    entry.cleanupTimer = null;
    entry.handoffRetainCount += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.pending.get(id) !== entry) return;
      entry.handoffRetainCount = Math.max(0, entry.handoffRetainCount - 1);
      if (entry.handoffRetainCount === 0 && entry.record.resolvedAtMs !== undefined) {
        entry.handoffReleasedAtMs = Date.now();
        this.scheduleCleanup(entry);
      }
    };
  }

  /** consumeAllowOnce: once, inside the redemption window anchored at resolution (or the last handoff release). */
  consumeAllowOnce(id: string): boolean {
    const entry = this.pending.get(id);
    if (this.retired || !entry) return false;
    const now = Date.now();
    const rec = entry.record;
    const anchor = this.graceAnchor(entry, now);
    if (rec.resolvedAtMs === undefined || anchor === null || now - anchor >= RESOLVED_GRACE_MS || rec.decision !== "allow-once" || rec.consumedDecision) return false;
    const windowMs = RESOLVED_GRACE_MS + Math.max(0, anchor - rec.resolvedAtMs);
    const r = this.store.consumeAllowOnce(id, id, this.runtimeEpoch, now, windowMs);
    if (r.outcome !== "consumed" || this.pending.get(id) !== entry) return false;
    rec.consumedDecision = "allow-once";
    return true;
  }

  /** consumeAskFallback: one re-admission of a timed-out (or no-route) record, process-local. */
  consumeAskFallback(id: string): boolean {
    const rec = this.pending.get(id)?.record;
    if (!rec || rec.resolvedAtMs === undefined || rec.decision !== undefined || rec.consumedDecision !== undefined || rec.askFallbackConsumed === true) return false;
    if (rec.status !== "expired" && rec.terminalReason !== "no-route") return false;
    rec.askFallbackConsumed = true;
    return true;
  }

  /** Whether an id (or prefix) is one hanzod holds in memory. */
  holds(id: string): boolean {
    return this.pending.has(id);
  }

  /** Teardown: timers stop; the rows stay pending (the legacy's next start cancels them as another epoch's). */
  retire(): void {
    this.retired = true;
    for (const e of this.pending.values()) {
      if (e.timer) clearTimeout(e.timer);
      if (e.cleanupTimer) clearTimeout(e.cleanupTimer);
    }
    this.pending.clear();
  }
}
