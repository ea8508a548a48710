/**
 * Who receives exec approval events and who may see a record, as the legacy decides (9.6 dist
 * server-request-context `canDeliverApprovals`, approval-record-lookup `isApprovalRecordVisibleToClient`; the
 * same in 9.1). hanzod has no internal approval runtime client, so that branch never applies here.
 */
import type { CallerInfo } from "../../core/method.js";
import type { ExecApprovalRecord } from "./exec-approval-manager.js";

const ALL_APPROVAL_CLIENT_IDS = new Set(["openclaw-control-ui"]);
const EXEC_APPROVAL_CLIENT_IDS = new Set(["openclaw-macos", "openclaw-ios", "openclaw-android"]);

/** An approval client for exec approvals: approvals (or admin) scope and an approval-capable client or cap. */
export function canDeliverExecApprovals(c: CallerInfo): boolean {
  if (!(c.scopes.includes("operator.admin") || c.scopes.includes("operator.approvals"))) return false;
  const caps = c.caps ?? [];
  const id = c.clientId ?? "";
  return ALL_APPROVAL_CLIENT_IDS.has(id) || caps.includes("approvals") || EXEC_APPROVAL_CLIENT_IDS.has(id) || caps.includes("exec-approvals");
}

const identity = (v: string | null | undefined): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

/**
 * Whether this caller may see this record: admins see all; otherwise the requesting device (when the request
 * had one), else the requesting connection; a request with only a client id is visible to admins alone.
 * (Listed reviewer devices are bound only for the internal approval runtime, which hanzod never is.)
 * The legacy's session-visibility filter for profile-bound callers is not applied here: callers hanzod
 * cannot judge that way are declined before (see `needsSessionVisibility`).
 */
export function isVisibleTo(record: ExecApprovalRecord, c: Pick<CallerInfo, "scopes" | "connId" | "deviceId">): boolean {
  if (c.scopes.includes("operator.admin")) return true;
  const byDevice = identity(record.requestedByDeviceId);
  if (byDevice) return byDevice === identity(c.deviceId);
  const byConn = identity(record.requestedByConnId);
  if (byConn) return byConn === identity(c.connId);
  return identity(record.requestedByClientId) === null;
}

/**
 * The legacy filters records by session visibility (`canAccessApprovalSession`, with its config) for a
 * non-admin caller bound to a user profile: hanzod does not reproduce that filter, so such callers' lookups
 * are declined.
 */
export function needsSessionVisibility(c: CallerInfo): boolean {
  return c.profileId !== undefined && !c.scopes.includes("operator.admin");
}

/** getApprovalClientConnIds: the approval clients (minus one connection) that can see the record. */
export function approvalRecipients(clients: readonly CallerInfo[], record: ExecApprovalRecord, excludeConnId?: string): Set<string> {
  const ids = new Set<string>();
  for (const c of clients) {
    if (excludeConnId !== undefined && c.connId === excludeConnId) continue;
    if (c.role !== "operator" || !canDeliverExecApprovals(c) || !isVisibleTo(record, c)) continue;
    ids.add(c.connId);
  }
  return ids;
}
