/**
 * The legacy's durable exec approval rows (state database `operator_approvals`), written as its
 * operator-approval store writes them (dist operator-approval-store: `insertOperatorApprovalInDatabase` in the
 * state worker runtime, `resolveOperatorApprovalInDatabase`, `forceDenyOperatorApprovalInDatabase`,
 * `consumeOperatorApprovalAllowOnceInDatabase`): one IMMEDIATE transaction each, the same columns, the same
 * CHECK-compatible status/decision/reason tuples, stamped with hanzod's own `runtime_epoch`.
 *
 * Every transition is filtered by that epoch, as the legacy filters by its own: hanzod never resolves, expires
 * or consumes another process's row. The legacy's start-up sweep (`closeOrphanedOperatorApprovals`: every
 * pending row of another epoch becomes `cancelled`/`gateway-restart`) has no counterpart here on purpose: it
 * would cancel the legacy's live approvals. The table, its companions and its DDL are the same in 2026.9.1 and
 * 2026.9.6 (9.6 adds `operator_approval_standing_grant_generations`, used only by cron standing grants, which
 * hanzod never mints).
 */
import { createHash } from "node:crypto";
import type { SqliteDatabase } from "../../protocol/index.js";
import { openStateDbForWrites } from "./state-db-writer.js";

/** The legacy prunes terminal rows this old on every insert (OPERATOR_APPROVAL_TERMINAL_RETENTION_MS, 30 days). */
export const TERMINAL_RETENTION_MS = 2_592_000_000;

export type ApprovalDecision = "allow-once" | "allow-always" | "deny";
export type ApprovalStatus = "pending" | "allowed" | "denied" | "expired" | "cancelled";

/** The safe card the legacy stores in `presentation_json` (approval-presentation `buildExecApprovalPresentation`). */
export interface ExecPresentation {
  kind: "exec";
  commandText: string;
  commandPreview: string | null;
  warningText: string | null;
  host: string | null;
  nodeId: string | null;
  agentId: string | null;
  allowedDecisions: ApprovalDecision[];
}

export interface NewApprovalRow {
  id: string;
  presentation: ExecPresentation;
  requester: { deviceId: string | null; clientId: string | null; deviceTokenAuth: boolean };
  source: { agentId: string | null; sessionKey: string | null; sessionId: string | null; runId: string | null; toolCallId: string | null; toolName: string | null };
  runtimeEpoch: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface ApprovalRow {
  approval_id: string;
  status: ApprovalStatus;
  decision: ApprovalDecision | null;
  terminal_reason: string | null;
  runtime_epoch: string;
  created_at_ms: number;
  expires_at_ms: number;
  updated_at_ms: number;
  resolved_at_ms: number | null;
  resolver_kind: string | null;
  resolver_id: string | null;
  consumed_at_ms: number | null;
  consumed_by: string | null;
  presentation_json: string;
}

export type ResolveOutcome =
  | { outcome: "resolved"; row: ApprovalRow }
  | { outcome: "expired"; row: ApprovalRow }
  | { outcome: "already-resolved"; row: ApprovalRow }
  | { outcome: "decision-not-allowed"; row: ApprovalRow }
  | { outcome: "not-found" };

export type DenyOutcome = { outcome: "denied" | "expired" | "already-terminal" | "not-due"; row: ApprovalRow } | { outcome: "not-found" };

export type ConsumeOutcome = { outcome: "consumed" | "not-allow-once" | "already-consumed" | "redemption-expired"; row: ApprovalRow } | { outcome: "not-found" };

/** The legacy's transport locator: sha256 over kind, NUL, id, base64url (approval-resolution-ref). */
export function resolutionRef(id: string, kind = "exec"): string {
  return createHash("sha256").update(kind, "utf8").update("\0", "utf8").update(id, "utf8").digest("base64url");
}

const trimmedOrNull = (v: string | null | undefined): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

export class OperatorApprovalStore {
  private db: SqliteDatabase | undefined;

  constructor(private readonly path: string) {}

  /** Why hanzod cannot write here, or undefined. */
  unavailable(): string | undefined {
    const db = this.open();
    return typeof db === "string" ? db : undefined;
  }

  private open(): SqliteDatabase | string {
    if (this.db) return this.db;
    const db = openStateDbForWrites(this.path, "operator_approvals");
    if (typeof db === "string") return db;
    this.db = db;
    return db;
  }

  private tx<T>(fn: (db: SqliteDatabase) => T): T {
    const db = this.open();
    if (typeof db === "string") throw new Error(`operator approvals unavailable: ${db}`);
    return db.transaction(() => fn(db)).immediate();
  }

  private select(db: SqliteDatabase, id: string): ApprovalRow | undefined {
    return db.prepare("SELECT * FROM operator_approvals WHERE approval_id = ?").get(id) as ApprovalRow | undefined;
  }

  row(id: string): ApprovalRow | undefined {
    const db = this.open();
    return typeof db === "string" ? undefined : this.select(db, id);
  }

  /**
   * Pending rows of another epoch whose id starts with `prefix` (case-insensitive, as the legacy matches
   * prefixes): ids hanzod must leave to the process that holds them.
   */
  foreignPending(prefix: string, epoch: string): string[] {
    const db = this.open();
    if (typeof db === "string") return [];
    const rows = db.prepare("SELECT approval_id FROM operator_approvals WHERE status = 'pending' AND runtime_epoch <> ? AND kind = 'exec'").all(epoch) as { approval_id: string }[];
    const lower = prefix.toLowerCase();
    return rows.map((r) => r.approval_id).filter((id) => id.toLowerCase().startsWith(lower));
  }

  /** Registered iOS (APNs) and Web Push targets: approval delivery routes only the legacy serves. */
  pushTargets(): number {
    const db = this.open();
    if (typeof db === "string") return 0;
    let n = 0;
    for (const table of ["apns_registrations", "web_push_subscriptions"]) {
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) === undefined) continue;
      n += (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    }
    return n;
  }

  /** The insert: terminal rows past retention pruned first, then the pending row (conflict: an existing id or ref). */
  insert(a: NewApprovalRow): "inserted" | "conflict" {
    const ref = resolutionRef(a.id);
    return this.tx((db) => {
      db.prepare("DELETE FROM operator_approvals WHERE status <> 'pending' AND resolved_at_ms IS NOT NULL AND resolved_at_ms <= ?").run(a.createdAtMs - TERMINAL_RETENTION_MS);
      if (db.prepare("SELECT approval_id FROM operator_approvals WHERE (approval_id = ? OR resolution_ref = ?) AND approval_id <> ?").get(ref, a.id, a.id) !== undefined) return "conflict";
      const r = db
        .prepare(
          `INSERT INTO operator_approvals (approval_id, resolution_ref, kind, status, presentation_json, requested_by_device_id, requested_by_client_id,
             requested_by_device_token_auth, reviewer_device_ids_json, source_agent_id, source_session_key, source_session_id, source_run_id,
             source_tool_call_id, source_tool_name, audience_session_keys_json, runtime_epoch, created_at_ms, expires_at_ms, updated_at_ms,
             decision, terminal_reason, resolved_at_ms, resolver_kind, resolver_id, consumed_at_ms, consumed_by)
           VALUES (?, ?, 'exec', 'pending', ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
           ON CONFLICT(approval_id) DO NOTHING`,
        )
        .run(
          a.id,
          ref,
          JSON.stringify(a.presentation),
          trimmedOrNull(a.requester.deviceId),
          trimmedOrNull(a.requester.clientId),
          a.requester.deviceTokenAuth ? 1 : 0,
          trimmedOrNull(a.source.agentId),
          trimmedOrNull(a.source.sessionKey),
          trimmedOrNull(a.source.sessionId),
          trimmedOrNull(a.source.runId),
          trimmedOrNull(a.source.toolCallId),
          trimmedOrNull(a.source.toolName),
          a.runtimeEpoch,
          a.createdAtMs,
          a.expiresAtMs,
          a.createdAtMs,
        );
      return r.changes === 1 ? "inserted" : "conflict";
    });
  }

  /** A past-due pending row becomes expired/timeout (the legacy's `expirePendingRow`). */
  private expireRow(db: SqliteDatabase, id: string, nowMs: number, createdAtMs: number): ApprovalRow | undefined {
    const at = Math.max(nowMs, createdAtMs);
    db.prepare(
      "UPDATE operator_approvals SET status = 'expired', decision = 'deny', terminal_reason = 'timeout', resolved_at_ms = ?, resolver_kind = 'system', resolver_id = NULL, updated_at_ms = ? WHERE approval_id = ? AND status = 'pending' AND expires_at_ms <= ?",
    ).run(at, at, id, nowMs);
    return this.select(db, id);
  }

  /** The first verdict wins; only a row of this epoch; an allowed decision must be one the card offers. */
  resolve(id: string, decision: ApprovalDecision, resolver: { kind: string; id: string | null }, epoch: string, nowMs: number): ResolveOutcome {
    return this.tx((db) => {
      let row = this.select(db, id);
      if (!row || row.runtime_epoch !== epoch) return { outcome: "not-found" };
      if (row.status !== "pending") return { outcome: "already-resolved", row };
      if (row.expires_at_ms <= nowMs) {
        row = this.expireRow(db, id, nowMs, row.created_at_ms);
        return row ? { outcome: "expired", row } : { outcome: "not-found" };
      }
      const allowed = (JSON.parse(row.presentation_json) as ExecPresentation).allowedDecisions;
      if (!allowed.includes(decision)) return { outcome: "decision-not-allowed", row };
      const at = Math.max(nowMs, row.created_at_ms);
      const r = db
        .prepare(
          "UPDATE operator_approvals SET status = ?, decision = ?, terminal_reason = 'user', resolved_at_ms = ?, resolver_kind = ?, resolver_id = ?, updated_at_ms = ? WHERE approval_id = ? AND status = 'pending' AND expires_at_ms > ? AND kind = 'exec' AND runtime_epoch = ?",
        )
        .run(decision === "deny" ? "denied" : "allowed", decision, at, resolver.kind, trimmedOrNull(resolver.id), at, id, nowMs, epoch);
      row = this.select(db, id);
      if (!row) return { outcome: "not-found" };
      return r.changes === 1 ? { outcome: "resolved", row } : { outcome: "already-resolved", row };
    });
  }

  /**
   * A fail-closed terminal state (timeout expiry with `requireDue`, no-route denial), as the legacy's
   * `forceDenyOperatorApprovalInDatabase`: a row already past due becomes expired whatever was asked.
   */
  forceDeny(id: string, p: { status: "denied" | "expired"; reason: string; resolver: { kind: string; id: string | null }; requireDue: boolean }, epoch: string, nowMs: number): DenyOutcome {
    return this.tx((db) => {
      const row = this.select(db, id);
      if (!row || row.runtime_epoch !== epoch) return { outcome: "not-found" };
      if (row.status === "pending" && row.expires_at_ms <= nowMs) {
        const expired = this.expireRow(db, id, nowMs, row.created_at_ms);
        return expired ? { outcome: "expired", row: expired } : { outcome: "not-found" };
      }
      if (row.status !== "pending") return { outcome: "already-terminal", row };
      if (p.status === "expired" && p.requireDue && row.expires_at_ms > nowMs) return { outcome: "not-due", row };
      const at = Math.max(nowMs, row.created_at_ms);
      db.prepare(
        "UPDATE operator_approvals SET status = ?, decision = 'deny', terminal_reason = ?, resolved_at_ms = ?, resolver_kind = ?, resolver_id = ?, updated_at_ms = ? WHERE approval_id = ? AND status = 'pending' AND kind = 'exec' AND runtime_epoch = ?",
      ).run(p.status, p.reason, at, p.resolver.kind, trimmedOrNull(p.resolver.id), at, id, epoch);
      const terminal = this.select(db, id);
      return terminal ? { outcome: "denied", row: terminal } : { outcome: "not-found" };
    });
  }

  /** An allow-once used once, within its redemption window (consumed_at_ms / consumed_by). */
  consumeAllowOnce(id: string, consumerId: string, epoch: string, nowMs: number, redemptionWindowMs: number): ConsumeOutcome {
    return this.tx((db) => {
      const threshold = nowMs - redemptionWindowMs;
      let row = this.select(db, id);
      if (!row || row.runtime_epoch !== epoch) return { outcome: "not-found" };
      if (row.status === "pending" && row.expires_at_ms <= nowMs) {
        row = this.expireRow(db, id, nowMs, row.created_at_ms);
        if (!row) return { outcome: "not-found" };
      }
      if (row.status !== "allowed" || row.decision !== "allow-once") return { outcome: "not-allow-once", row };
      if (row.consumed_at_ms !== null) return { outcome: "already-consumed", row };
      if (row.resolved_at_ms === null || row.resolved_at_ms <= threshold) return { outcome: "redemption-expired", row };
      const at = Math.max(nowMs, row.created_at_ms, row.resolved_at_ms, row.updated_at_ms);
      const r = db
        .prepare(
          "UPDATE operator_approvals SET consumed_at_ms = ?, consumed_by = ?, updated_at_ms = ? WHERE approval_id = ? AND status = 'allowed' AND decision = 'allow-once' AND consumed_at_ms IS NULL AND resolved_at_ms > ? AND kind = 'exec' AND runtime_epoch = ?",
        )
        .run(at, consumerId, at, id, threshold, epoch);
      row = this.select(db, id);
      if (!row) return { outcome: "not-found" };
      return r.changes === 1 ? { outcome: "consumed", row } : { outcome: "already-consumed", row };
    });
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
