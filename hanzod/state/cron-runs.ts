/**
 * The legacy's cron run history, read-only: the task ledger's `task_runs` rows of runtime `cron` in its state
 * database (`<stateDir>/state/openclaw.sqlite`), which is where 2026.9.x keeps run history (its older
 * `cron_run_logs` table is imported into `task_runs` by a state migration and dropped). The legacy reads these
 * rows per call, straight from SQLite (dist task-registry.store.sqlite
 * `listTaskRegistryRecordsByRuntimeSourceIdFromSqlite`: "without restoring the process registry snapshot"),
 * in `created_at`, `task_id` order, and turns each into a task record (`rowToTaskRecord`; 2026.9.6 then
 * evens out its timestamps, `normalizeTaskTimestamps`).
 *
 * Only the fields the run history reads are decoded. A value the legacy's decoder throws on (an unknown
 * task status, scope, delivery status, notify policy or terminal outcome) is reported, for a refusal: the
 * legacy would fail the whole call.
 */
import { ReadOnlyDb } from "./read-only-db.js";

/** The slice of the legacy's task record (dist `TaskRecord`) that run history reads. */
export interface CronTaskRecord {
  taskId: string;
  sourceId?: string;
  childSessionKey?: string;
  agentId?: string;
  status: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  lastEventAt?: number;
  error?: string;
  terminalSummary?: string | null;
  detail?: unknown;
}

interface TaskRow {
  task_id: string;
  source_id: unknown;
  child_session_key: unknown;
  agent_id: unknown;
  runtime: unknown;
  scope_kind: unknown;
  status: unknown;
  delivery_status: unknown;
  notify_policy: unknown;
  terminal_outcome: unknown;
  created_at: unknown;
  started_at: unknown;
  ended_at: unknown;
  last_event_at: unknown;
  error: unknown;
  terminal_summary: unknown;
  detail_json: unknown;
}

/** The legacy's persisted task vocabularies (dist task-registry.types, the same in both releases). */
const PERSISTED: Record<string, { column: keyof TaskRow; values: ReadonlySet<string>; optional?: boolean }> = {
  runtime: { column: "runtime", values: new Set(["subagent", "acp", "cron", "cli"]) },
  status: { column: "status", values: new Set(["queued", "running", "succeeded", "failed", "timed_out", "cancelled", "lost"]) },
  "delivery status": { column: "delivery_status", values: new Set(["pending", "delivered", "session_queued", "failed", "dismissed", "parent_missing", "not_applicable"]) },
  "notify policy": { column: "notify_policy", values: new Set(["done_only", "state_changes", "silent"]) },
  "scope kind": { column: "scope_kind", values: new Set(["session", "system"]) },
  "terminal outcome": { column: "terminal_outcome", values: new Set(["succeeded", "blocked"]), optional: true },
};

export class CronRunRefusal extends Error {}

/** dist sqlite-number `normalizeSqliteNumber`: numbers, and bigints within the safe range. */
function sqliteNumber(v: unknown): number | undefined {
  if (typeof v === "bigint") return v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
  return typeof v === "number" ? v : undefined;
}

/** dist json-coercion `safeParseJson` behind `parseSqliteJsonValue`: blank is absent, bad JSON is absent. */
function parseJson(raw: unknown): unknown {
  if (typeof raw !== "string" || !raw.trim()) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

const TERMINAL = new Set(["succeeded", "failed", "timed_out", "cancelled", "lost"]);

/** dist task-registry.store.kernel `normalizeTaskTimestamps` (2026.9.6 only; 2026.9.1 keeps the stored values). */
function normalizeTimestamps(t: CronTaskRecord): CronTaskRecord {
  let createdAt = t.createdAt;
  for (const c of [t.startedAt, t.lastEventAt, t.endedAt]) if (typeof c === "number" && c < createdAt) createdAt = c;
  const startedAt = typeof t.startedAt === "number" ? Math.max(t.startedAt, createdAt) : t.startedAt;
  const terminalAt = TERMINAL.has(t.status) ? (t.endedAt ?? t.lastEventAt ?? t.createdAt) : t.endedAt;
  const endedAt = typeof terminalAt === "number" ? Math.max(terminalAt, startedAt ?? createdAt) : terminalAt;
  const lastEventAt = typeof t.lastEventAt === "number" ? Math.max(t.lastEventAt, endedAt ?? startedAt ?? createdAt) : t.lastEventAt;
  const out: CronTaskRecord = { ...t, createdAt };
  if (typeof startedAt === "number") out.startedAt = startedAt;
  if (typeof lastEventAt === "number") out.lastEventAt = lastEventAt;
  if (typeof endedAt === "number") out.endedAt = endedAt;
  return out;
}

function toRecord(row: TaskRow, normalize: boolean): CronTaskRecord {
  for (const [label, { column, values, optional }] of Object.entries(PERSISTED)) {
    const v = row[column];
    if (optional && (v === null || v === undefined || v === "")) continue;
    if (typeof v !== "string" || !values.has(v)) throw new CronRunRefusal(`a task_runs row with a ${label} the legacy refuses to load (task "${row.task_id}")`);
  }
  const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
  const record: CronTaskRecord = {
    taskId: row.task_id,
    sourceId: str(row.source_id),
    childSessionKey: str(row.child_session_key),
    agentId: str(row.agent_id),
    status: row.status as string,
    createdAt: sqliteNumber(row.created_at) ?? 0,
    startedAt: sqliteNumber(row.started_at),
    endedAt: sqliteNumber(row.ended_at),
    lastEventAt: sqliteNumber(row.last_event_at),
    error: str(row.error),
    // The legacy keeps any non-null summary (an empty one included).
    terminalSummary: row.terminal_summary !== null ? (row.terminal_summary as string | undefined) : undefined,
    detail: parseJson(row.detail_json),
  };
  return normalize ? normalizeTimestamps(record) : record;
}

export class CronRunLedgerReader {
  private readonly stateDb: ReadOnlyDb;

  constructor(stateDbPath: string) {
    this.stateDb = new ReadOnlyDb(stateDbPath);
  }

  /** The `cron` task records (of one job, when `sourceId` is given), in the legacy's order. */
  records(sourceId: string | undefined, normalizeTimestamps: boolean): CronTaskRecord[] {
    const db = this.stateDb.get();
    if (!db || !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_runs'").get()) return [];
    const select =
      "SELECT task_id, runtime, source_id, child_session_key, agent_id, scope_kind, status, delivery_status, notify_policy, terminal_outcome, created_at, started_at, ended_at, last_event_at, error, terminal_summary, detail_json FROM task_runs WHERE runtime = 'cron'";
    const order = " ORDER BY created_at ASC, task_id ASC";
    const rows = (sourceId === undefined ? db.prepare(select + order).all() : db.prepare(`${select} AND source_id = ?${order}`).all(sourceId)) as TaskRow[];
    return rows.map((row) => toRecord(row, normalizeTimestamps));
  }

  close(): void {
    this.stateDb.close();
  }
}
