/**
 * A cron task record as a run-history entry, and the history page, the way 2026.9.1 and 2026.9.6 build them
 * (the same code in both): dist cron/task-run-detail `cronTaskRecordToRunLogEntry` and
 * `parseCronRunLogEntryObject` (its zod schema `cronRunLogEntrySchema`: fields of the wrong type are dropped,
 * a row without a valid `ts` or job id is skipped), dist cron/run-diagnostics-normalize
 * `normalizeCronRunDiagnosticsCore`, and dist cron/task-run-history `readCronTaskRunHistoryPage` (filters,
 * newest first by default, paging, job names).
 */
import type { CronTaskRecord } from "../../state/cron-runs.js";
import { normalizeOptionalString } from "../../core/legacy-strings.js";
import { unavailable } from "./view.js";
import { isRecord } from "../../../protocol/index.js";

export type RunLogEntry = Record<string, unknown> & { ts: number; jobId: string };

const MAX_DATE_TIMESTAMP_MS = 8.64e15;
const RUN_STATUSES = new Set(["ok", "error", "skipped"]);
const COMPLETION_STATUSES = new Set(["succeeded", "failed", "unknown"]);
const DELIVERY_STATUSES = new Set(["delivered", "not-delivered", "unknown", "not-requested"]);
const SUPPRESSION_REASONS = new Set(["empty", "silent", "heartbeat", "channel_transform"]);
/** dist failover-reasons `FAILOVER_REASONS`. */
const FAILOVER_REASONS = new Set(["auth", "auth_permanent", "format", "rate_limit", "overloaded", "billing", "server_error", "timeout", "tls_certificate", "context_overflow", "model_not_found", "session_expired", "empty_response", "no_error_details", "unclassified", "unknown"]);
const DIAGNOSTIC_SOURCES = new Set(["cron-preflight", "cron-setup", "model-preflight", "agent-run", "tool", "exec", "delivery"]);

/** dist number-coercion `asSafeIntegerInRange`. */
function safeInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
}
const timestamp = (v: unknown) => safeInt(v, 0, MAX_DATE_TIMESTAMP_MS);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const nonBlank = (v: unknown) => (typeof v === "string" && v.trim().length > 0 ? v : undefined);
const oneOf = (v: unknown, set: ReadonlySet<string>) => (typeof v === "string" && set.has(v) ? v : undefined);
const trimmed = normalizeOptionalString;

/** dist utf16-slice `truncateUtf16Safe`: never ends on the first half of a surrogate pair. */
function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let to = max;
  const hi = text.charCodeAt(to - 1);
  const lo = text.charCodeAt(to);
  if (to > 0 && hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) to -= 1;
  return text.slice(0, to);
}

/**
 * dist `normalizeCronRunDiagnosticsCore`, as run history calls it (no redaction). A diagnostic without a
 * valid timestamp gets the legacy's clock (`Date.now()` at read time): hanzod cannot give the same answer.
 */
function diagnostics(value: unknown): { summary?: string; entries: Record<string, unknown>[] } | undefined {
  if (!value || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  const entries: Record<string, unknown>[] = [];
  for (const item of Array.isArray(record.entries) ? (record.entries as unknown[]) : []) {
    if (!item || typeof item !== "object") continue;
    const e = item as Record<string, unknown>;
    const text = trimmed(e.message);
    if (!text) continue;
    const ts = typeof e.ts === "number" && Number.isFinite(e.ts) && e.ts >= 0 ? Math.floor(e.ts) : undefined;
    if (ts === undefined) throw unavailable(`cron.runs of a run whose diagnostics lack a timestamp (the legacy stamps its own clock on every read)`);
    const long = text.length > 1000;
    entries.push({
      ts,
      source: typeof e.source === "string" && DIAGNOSTIC_SOURCES.has(e.source) ? e.source : "agent-run",
      severity: e.severity === "info" || e.severity === "warn" || e.severity === "error" ? e.severity : "error",
      message: long ? `${truncateUtf16(text, 999)}…` : text,
      ...(typeof e.toolName === "string" && e.toolName.trim() ? { toolName: e.toolName.trim() } : {}),
      ...(typeof e.exitCode === "number" && Number.isFinite(e.exitCode) ? { exitCode: e.exitCode } : e.exitCode === null ? { exitCode: null } : {}),
      ...(e.truncated === true || long ? { truncated: true } : {}),
    });
    if (entries.length > 10) entries.shift();
  }
  const rawSummary = trimmed(typeof record.summary === "string" ? record.summary : undefined);
  const summary = rawSummary && rawSummary.length > 2000 ? `${truncateUtf16(rawSummary, 1999)}…` : rawSummary;
  if (entries.length === 0 && !summary) return undefined;
  return { ...(summary ? { summary } : {}), entries };
}

/** dist cron/completion-status `resolveCronCompletionStatus` for stored facts (no admitted delivery contract). */
function completionOf(status: string | undefined, delivered: boolean | undefined, deliveryStatus: string | undefined): string {
  if (status === "error" || status === "skipped") return "failed";
  if (status !== "ok") return "unknown";
  return delivered === true || deliveryStatus === "delivered" || deliveryStatus === "not-requested" ? "succeeded" : "unknown";
}

function usage(v: unknown): Record<string, number | undefined> | undefined {
  if (!isRecord(v)) return undefined;
  const keys = ["input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens"] as const;
  const out = Object.fromEntries(keys.map((k) => [k, safeInt(v[k], 0)]));
  return Object.values(out).some((n) => n !== undefined) ? out : undefined;
}

function failureNotificationDelivery(v: unknown): Record<string, unknown> | undefined {
  if (!isRecord(v)) return undefined;
  const status = oneOf(v.status, DELIVERY_STATUSES);
  if (status === undefined) return undefined;
  const delivered = typeof v.delivered === "boolean" ? v.delivered : undefined;
  const error = str(v.error);
  return { status, ...(delivered !== undefined ? { delivered } : {}), ...(error !== undefined ? { error } : {}) };
}

/** `cronTaskRecordToRunLogEntry`: the entry of a finished cron run, or null for a row run history skips. */
export function runLogEntry(task: CronTaskRecord): RunLogEntry | null {
  const detail = task.detail;
  if (!task.sourceId || !isRecord(detail) || detail.kind !== "cron-run") return null;
  const { storeKey: _storeKey, ...wireDetail } = detail;
  // The stored detail's fields win over the task's own error and summary, as in the legacy's object spread.
  const o: Record<string, unknown> = {
    error: task.error,
    summary: task.terminalSummary,
    ...wireDetail,
    ts: task.endedAt ?? task.lastEventAt ?? task.createdAt,
    jobId: task.sourceId,
    sessionKey: task.childSessionKey,
    runId: typeof detail.runId === "string" ? detail.runId : undefined,
  };
  const ts = timestamp(o.ts);
  const expectedJobId = task.sourceId.trim();
  if (ts === undefined || !expectedJobId || o.jobId !== expectedJobId) return null;
  const status = oneOf(o.status, RUN_STATUSES);
  const delivered = typeof o.delivered === "boolean" ? o.delivered : undefined;
  const deliveryStatus = oneOf(o.deliveryStatus, DELIVERY_STATUSES);
  const entry: RunLogEntry = {
    ts,
    jobId: expectedJobId,
    action: "finished",
    status,
    completionStatus: oneOf(o.completionStatus, COMPLETION_STATUSES) ?? completionOf(status, delivered, deliveryStatus),
    error: str(o.error),
    errorReason: oneOf(o.errorReason, FAILOVER_REASONS),
    summary: str(o.summary),
    runId: nonBlank(o.runId),
    diagnostics: diagnostics(o.diagnostics),
    runAtMs: timestamp(o.runAtMs),
    durationMs: safeInt(o.durationMs, 0),
    nextRunAtMs: timestamp(o.nextRunAtMs),
    triggerFired: o.triggerFired === true ? true : undefined,
    model: nonBlank(o.model),
    provider: nonBlank(o.provider),
    usage: usage(o.usage),
  };
  const optional: [string, unknown][] = [
    ["delivered", delivered],
    ["deliveryStatus", deliveryStatus],
    ["deliveryError", str(o.deliveryError)],
    ["deliverySuppressionReason", oneOf(o.deliverySuppressionReason, SUPPRESSION_REASONS)],
    ["failureNotificationDelivery", failureNotificationDelivery(o.failureNotificationDelivery)],
    ["delivery", isRecord(o.delivery) ? o.delivery : undefined],
    ["sessionId", nonBlank(o.sessionId)],
    ["sessionKey", nonBlank(o.sessionKey)],
  ];
  for (const [k, v] of optional) if (v !== undefined) entry[k] = v;
  return entry;
}

export interface HistoryOptions {
  limit?: number;
  offset?: number;
  statuses?: readonly string[];
  status?: string;
  deliveryStatuses?: readonly string[];
  deliveryStatus?: string;
  runId?: string;
  query?: string;
  sortDir?: string;
  /** Already normalised (the legacy's `normalizeAgentId`). */
  agentId?: string;
  jobNameById?: Record<string, string>;
}

function statusFilter(values: readonly string[] | undefined, fallback: string | undefined, set: ReadonlySet<string>): string[] | null {
  const valid = (values ?? []).filter((v) => set.has(v));
  if (valid.length > 0) return [...new Set(valid)];
  return fallback !== undefined && set.has(fallback) ? [fallback] : null;
}

/** `entry.delivery?.[key]?.channel ?? ""`, joined into the query text as the legacy joins it. */
function delivery(entry: RunLogEntry, key: "intended" | "resolved"): unknown {
  const d = entry.delivery;
  const part = isRecord(d) && isRecord(d[key]) ? d[key] : undefined;
  return part?.channel ?? "";
}

function queryText(entry: RunLogEntry, names: Record<string, string> | undefined): string {
  const diag = entry.diagnostics as { summary?: string; entries: { message: string }[] } | undefined;
  const d = entry.delivery;
  const sentTo = isRecord(d) && Array.isArray(d.messageToolSentTo) ? (d.messageToolSentTo as unknown[]) : [];
  return [
    str(entry.summary) ?? "",
    str(entry.error) ?? "",
    str(entry.errorReason) ?? "",
    diag?.summary ?? "",
    ...(diag?.entries ?? []).map((e) => e.message),
    entry.jobId,
    names?.[entry.jobId] ?? "",
    delivery(entry, "intended"),
    delivery(entry, "resolved"),
    ...sentTo.map((t) => (isRecord(t) ? t.channel : undefined)),
  ].join(" ");
}

/** `readCronTaskRunHistoryPage` on records already selected by job; `storeKey` keeps this store's runs only. */
export function historyPage(records: readonly CronTaskRecord[], storeKey: string, o: HistoryOptions): Record<string, unknown> {
  const limit = Math.max(1, Math.min(200, Math.floor(o.limit ?? 50)));
  const offset = Math.max(0, Math.floor(o.offset ?? 0));
  const statuses = statusFilter(o.statuses, o.status, RUN_STATUSES);
  const deliveryStatuses = statusFilter(o.deliveryStatuses, o.deliveryStatus, DELIVERY_STATUSES);
  const runId = trimmed(o.runId);
  const query = trimmed(o.query)?.toLowerCase() ?? "";
  const dir = o.sortDir === "asc" ? 1 : -1;
  const rows = records
    .filter((task) => isRecord(task.detail) && task.detail.storeKey === storeKey)
    .filter((task) => !o.agentId || task.agentId === o.agentId)
    .map((task) => ({ task, entry: runLogEntry(task) }))
    .filter((row): row is { task: CronTaskRecord; entry: RunLogEntry } => row.entry !== null)
    .filter(({ entry }) => {
      if (runId && entry.runId !== runId) return false;
      if (statuses && (typeof entry.status !== "string" || !statuses.includes(entry.status))) return false;
      if (deliveryStatuses && !deliveryStatuses.includes((entry.deliveryStatus as string | undefined) ?? "not-requested")) return false;
      return !query || (trimmed(queryText(entry, o.jobNameById))?.toLowerCase() ?? "").includes(query);
    })
    .sort((a, b) => dir * (a.entry.ts - b.entry.ts) || dir * (a.task.createdAt - b.task.createdAt) || dir * a.task.taskId.localeCompare(b.task.taskId));
  const total = rows.length;
  const bounded = Math.min(total, offset);
  const entries = rows.slice(bounded, bounded + limit).map(({ entry }) => entry);
  for (const entry of entries) {
    const name = o.jobNameById?.[entry.jobId];
    if (name) entry.jobName = name;
  }
  const nextOffset = bounded + entries.length;
  return { entries, total, offset: bounded, limit, hasMore: nextOffset < total, nextOffset: nextOffset < total ? nextOffset : null };
}
