/**
 * The legacy's cron jobs, read-only, from its state database (`<stateDir>/state/openclaw.sqlite`, table
 * `cron_jobs`, same shape in state schemas 15 and 18 for the columns read here). A job as the legacy loads
 * it (dist row-codec `rowToCronJob`): `job_json` (the definition) with its `id` from `job_id`, `updatedAtMs`
 * from `runtime_updated_at_ms` (else `updated_at`, else `createdAtMs`) and `state` from `state_json`. Rows
 * belong to one store: the key is the resolved store path, `<stateDir>/cron/jobs.json` by default (the
 * legacy's pre-SQLite file, kept as the key). Rows are read in the legacy's order (`sort_order`,
 * `updated_at`, `job_id`) and re-parsed only when the legacy commits to the file again (`data_version`).
 *
 * What the legacy's loader does beyond that decoding (its normalizer, pinned exec grants, legacy `notify`,
 * runtime authority rows) is not ported: `unportable()` names the first such feature a job uses, and the
 * domain refuses instead of answering from a different job.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { isRecord, openSqlite, type SqliteDatabase } from "../../protocol/index.js";

export interface CronJob {
  id: string;
  name?: unknown;
  agentId?: unknown;
  sessionKey?: unknown;
  enabled?: unknown;
  createdAtMs: number;
  updatedAtMs: number;
  schedule: Record<string, unknown> & { kind?: unknown };
  payload?: Record<string, unknown>;
  delivery?: Record<string, unknown>;
  trigger?: unknown;
  state: Record<string, unknown>;
  [field: string]: unknown;
}

interface CronRow {
  job_id: string;
  job_json: string;
  state_json: string;
  runtime_updated_at_ms: number | null;
  updated_at: number;
}

/** The legacy's store key for a cron store path: the resolved path (dist cron store `cronStoreKey`). */
export function cronStoreKey(stateDir: string, configuredStore?: string): string {
  return resolve(configuredStore ?? join(stateDir, "cron", "jobs.json"));
}

/** rowToCronJob for the rows hanzod decodes; undefined for a row the legacy would skip (bad JSON). */
export function decodeCronRow(row: CronRow): CronJob | undefined {
  let def: unknown, state: unknown;
  try {
    def = JSON.parse(row.job_json);
    state = JSON.parse(row.state_json);
  } catch {
    return undefined;
  }
  if (!isRecord(def) || !isRecord(state)) return undefined;
  const { state: _state, updatedAtMs: _updated, ...rest } = def;
  const createdAtMs = typeof rest.createdAtMs === "number" && Number.isFinite(rest.createdAtMs) ? rest.createdAtMs : Number.NaN;
  const updatedAtMs = typeof row.runtime_updated_at_ms === "number" ? row.runtime_updated_at_ms : typeof row.updated_at === "number" ? row.updated_at : createdAtMs;
  return { ...(rest as Partial<CronJob>), id: row.job_id, createdAtMs, updatedAtMs, state } as CronJob;
}

/** The first feature of a stored job whose loading the legacy does with code hanzod has not ported. */
export function unportable(job: CronJob, raw: Record<string, unknown> = job): string | undefined {
  for (const field of ["notify", "toolsAllowExecTarget", "toolsAllowExecTargetRequirement", "runtimeAuthority", "runtimeAuthorityRecoveryRequired", "jobId"]) {
    if (raw[field] !== undefined) return `"${field}"`;
  }
  if (!Number.isFinite(job.createdAtMs)) return `a job without "createdAtMs"`;
  if (job.delivery !== undefined && (!isRecord(job.delivery) || job.delivery.mode === undefined)) return `"delivery" without a mode`;
  return undefined;
}

export class CronStoreReader {
  private db: SqliteDatabase | undefined;
  private cached: { key: string; dataVersion: number; jobs: CronJob[] } | undefined;

  constructor(private readonly stateDbPath: string) {}

  private open(): SqliteDatabase | undefined {
    if (!this.db) {
      if (!existsSync(this.stateDbPath)) return undefined;
      const db = openSqlite(this.stateDbPath, { readonly: true, fileMustExist: true });
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cron_jobs'").get()) {
        db.close();
        return undefined; // not created yet: no jobs, and the next read looks again
      }
      this.db = db;
    }
    return this.db;
  }

  /** Whether the legacy holds runtime authority rows for this store (a table newer builds keep; none seen in 2026.9.x). */
  hasRuntimeAuthorities(key: string): boolean {
    const db = this.open();
    if (!db || !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cron_job_runtime_authorities'").get()) return false;
    return db.prepare("SELECT 1 FROM cron_job_runtime_authorities WHERE store_key = ? LIMIT 1").get(key) !== undefined;
  }

  /** Every job of the store `key`, in the legacy's load order. Shared objects: read, never modify. */
  jobs(key: string): CronJob[] {
    const db = this.open();
    if (!db) return [];
    const dataVersion = db.pragma("data_version", { simple: true }) as number;
    if (this.cached && this.cached.key === key && this.cached.dataVersion === dataVersion) return this.cached.jobs;
    const rows = db
      .prepare("SELECT job_id, job_json, state_json, runtime_updated_at_ms, updated_at FROM cron_jobs WHERE store_key = ? ORDER BY sort_order ASC, updated_at ASC, job_id ASC")
      .all(key) as CronRow[];
    const jobs: CronJob[] = [];
    for (const row of rows) {
      const job = decodeCronRow(row);
      if (job) jobs.push(job);
    }
    this.cached = { key, dataVersion, jobs };
    return jobs;
  }

  /** A job's scratch row (`cron_job_scratch`), or undefined when it has none (or the table is not there yet). */
  scratch(key: string, jobId: string): { content: string | null; revision: number; updated_at_ms: number } | undefined {
    const db = this.open();
    if (!db || !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cron_job_scratch'").get()) return undefined;
    return db.prepare("SELECT content, revision, updated_at_ms FROM cron_job_scratch WHERE store_key = ? AND job_id = ?").get(key, jobId) as { content: string | null; revision: number; updated_at_ms: number } | undefined;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.cached = undefined;
  }
}
