/**
 * `cron.list`, `cron.get`, `cron.status` (and the admin's `cron.scratch.get`) on the legacy's stored jobs (hanzod/state/cron.ts), answered the
 * way 2026.9.x answers them (dist cron service `listPage` / `readJob` / `status` and the gateway's
 * `cronHandlers`), for operators (read and admin alike: an operator has no cron caller scope and sees every
 * job).
 *
 * The legacy answers from the jobs its cron service holds in memory. hanzod answers only where that memory
 * is the stored rows, and refuses (UNAVAILABLE, naming the reason) everywhere else:
 * - the scheduler may be running (`cron.enabled` is not `false` in the config): a running scheduler keeps
 *   run state in memory (running markers, queued runs) and decides `nextWakeAtMs`; only the disabled
 *   scheduler was compared (the legacy's `OPENCLAW_SKIP_CRON` is in its environment, invisible to hanzod);
 * - in cron.list and cron.get, a job that is due or has no next run (enabled, time-scheduled, `state.nextRunAtMs` missing or past):
 *   the legacy recomputes its schedule on every read and writes the result back;
 * - a job that is running, or scheduled on a process (`on-exit`, `stream`);
 * - stored features whose decoding is not ported (state/cron.ts `unportable`), a custom `cron.store`, an
 *   unparseable config;
 * - `cron.list` filters that need the legacy's session store (`sessionKey`, `sessionAgentId`), delivery
 *   previews that need its channel plugins, and the list's `snapshotRevision` on 2026.9.1 (that release
 *   hashes in-memory state the stored rows do not reproduce, not even through its own loader: see the README).
 */
import { invalidRequest, MethodError } from "../../core/method.js";
import { readConfigFile } from "../../state/config-snapshot.js";
import { cronStoreKey, unportable, type CronJob, type CronStoreReader } from "../../state/cron.js";
import type { CronRunLedgerReader } from "../../state/cron-runs.js";
import { compactView, deliveryPreview, effectiveAgentId, normalizeAgentId, readView, snapshotRevision, unavailable } from "./view.js";
import { isRecord } from "../../../protocol/index.js";

export interface CronReadState {
  reader: CronStoreReader;
  /** The task ledger's cron rows (run history, `cron.runs`). */
  runs: CronRunLedgerReader;
  stateDir: string;
  stateDb: string;
  configPath: string;
}

export interface Loaded {
  /** The whole config file, as parsed. */
  config: Record<string, unknown>;
  cron: Record<string, unknown>;
  key: string;
}

/** The config's cron settings, or a refusal where the legacy's store or scheduler is not the one hanzod reads. */
export function load(st: CronReadState, method: string): Loaded {
  const file = readConfigFile(st.configPath);
  if (file.kind !== "parsed") throw unavailable(`${method} while the config file is missing or not parseable`);
  const cfg = isRecord(file.parsed) ? file.parsed : {};
  const cron = isRecord(cfg.cron) ? cfg.cron : {};
  if (cron.store !== undefined) throw unavailable(`${method} with a configured "cron.store"`);
  if (cron.enabled !== false) throw unavailable(`${method} while the legacy's scheduler may be running ("cron.enabled" is not false): its jobs' run state lives in the scheduler's memory`);
  const key = cronStoreKey(st.stateDir);
  if (st.reader.hasRuntimeAuthorities(key)) throw unavailable(`${method} with cron runtime authority rows`);
  return { config: cfg, cron, key };
}

const isEnabled = (job: CronJob): boolean => (job.enabled ?? true) !== false;

/** Refuses a job whose answer the legacy would take from its runtime instead of the stored row. */
function assertStored(job: CronJob, method: string, now: number): void {
  const feature = unportable(job);
  if (feature) throw unavailable(`${method} of a job with ${feature} (job "${job.id}")`);
  const kind = job.schedule?.kind;
  if (kind !== "at" && kind !== "every" && kind !== "cron") throw unavailable(`${method} of a job scheduled on "${String(kind)}" (job "${job.id}")`);
  if (job.state.runningAtMs !== undefined) throw unavailable(`${method} of a running job (job "${job.id}": "runningAtMs")`);
  if (isEnabled(job)) {
    const next = job.state.nextRunAtMs;
    if (typeof next !== "number" || next <= now) throw unavailable(`${method} of a due job (job "${job.id}": "nextRunAtMs", recomputed by the legacy on read)`);
  }
}

function allJobs(st: CronReadState, method: string, now: number): { loaded: Loaded; jobs: CronJob[] } {
  const loaded = load(st, method);
  const jobs = st.reader.jobs(loaded.key);
  for (const job of jobs) assertStored(job, method, now);
  return { loaded, jobs };
}

export function invalid(method: string, reason: string): MethodError {
  return invalidRequest(`invalid ${method} params: ${reason}`);
}

type Filter<T extends string> = T | "all";
function pick<T extends string>(value: unknown, allowed: readonly T[]): Filter<T> {
  return typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : "all";
}

function sortJobs(jobs: CronJob[], sortBy: string, sortDir: string): CronJob[] {
  const dir = sortDir === "desc" ? -1 : 1;
  let collator: Intl.Collator | undefined;
  return jobs.sort((a, b) => {
    let cmp = 0;
    if (sortBy === "name") {
      collator ??= new Intl.Collator(undefined, { sensitivity: "base" });
      cmp = collator.compare(typeof a.name === "string" ? a.name : "", typeof b.name === "string" ? b.name : "");
    } else if (sortBy === "updatedAtMs") cmp = a.updatedAtMs - b.updatedAtMs;
    else {
      const x = a.state.nextRunAtMs;
      const y = b.state.nextRunAtMs;
      if (typeof x === "number" && typeof y === "number") cmp = x - y;
      else if (typeof x === "number" || typeof y === "number") return typeof x === "number" ? -1 : 1;
    }
    if (cmp !== 0) return cmp * dir;
    return a.id.localeCompare(b.id);
  });
}

export function cronList(st: CronReadState, release: string, p: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
  for (const param of ["sessionKey", "sessionAgentId"]) if (p[param] !== undefined) throw unavailable(`cron.list with "${param}" (the legacy resolves it against its session store)`);
  if (release === "2026.9.1") throw unavailable(`cron.list as 2026.9.1: its "snapshotRevision" hashes in-memory job state the stored rows do not reproduce`);
  const { jobs: source } = allJobs(st, "cron.list", now);
  const enabledFilter = p.enabled === "all" || p.enabled === "enabled" || p.enabled === "disabled" ? p.enabled : p.includeDisabled === true ? "all" : "enabled";
  const kindFilter = pick(p.scheduleKind, ["at", "every", "cron", "on-exit", "stream"] as const);
  const lastFilter = pick(p.lastRunStatus, ["ok", "error", "skipped", "unknown"] as const);
  const triggerFilter = pick(p.trigger, ["conditional", "unconditional"] as const);
  const query = typeof p.query === "string" ? p.query.trim().toLowerCase() : "";
  const agentText = typeof p.agentId === "string" ? p.agentId.trim() : "";
  const agent = agentText ? normalizeAgentId(agentText) : undefined;
  const matched = source.filter((job) => {
    if (enabledFilter === "enabled" && !isEnabled(job)) return false;
    if (enabledFilter === "disabled" && isEnabled(job)) return false;
    if (agent !== undefined && effectiveAgentId(job) !== agent) return false;
    if (kindFilter !== "all" && job.schedule.kind !== kindFilter) return false;
    if (lastFilter !== "all" && ((job.state.lastRunStatus ?? job.state.lastStatus ?? "unknown") as string) !== lastFilter) return false;
    if (triggerFilter === "conditional" && !job.trigger) return false;
    if (triggerFilter === "unconditional" && job.trigger) return false;
    if (query) {
      const text = [job.id, job.name, job.description ?? "", job.agentId ?? "", ...(job.displayName ? [job.displayName] : [])].join(" ").trim().toLowerCase();
      if (!text.includes(query)) return false;
    }
    return true;
  });
  const sorted = sortJobs([...matched], typeof p.sortBy === "string" ? p.sortBy : "nextRunAtMs", typeof p.sortDir === "string" ? p.sortDir : "asc");
  const total = sorted.length;
  const offset = Math.max(0, Math.min(total, Math.floor(typeof p.offset === "number" ? p.offset : 0)));
  const limit = Math.max(1, Math.min(200, Math.floor(typeof p.limit === "number" ? p.limit : total === 0 ? 50 : total)));
  const pageJobs = sorted.slice(offset, offset + limit);
  const nextOffset = offset + pageJobs.length;
  const page = { snapshotRevision: snapshotRevision(sorted), total, offset, limit, hasMore: nextOffset < total, nextOffset: nextOffset < total ? nextOffset : null };
  const compact = p.compact === true;
  const jobs = pageJobs.map((job) => ({ ...(compact ? compactView(job) : readView(job)), effectiveAgentId: effectiveAgentId(job) }));
  if (compact || p.includeDeliveryPreviews === false) return { ...page, jobs };
  const deliveryPreviews = Object.fromEntries(pageJobs.map((job) => [job.id, deliveryPreview(job)]));
  return { ...page, jobs, deliveryPreviews };
}

export function notFound(release: string, jobId: string, lead: string): MethodError {
  const suffix = release === "2026.9.1" ? "" : " For cross-session management, use a fresh authenticated configured channel owner or Control UI administrator turn or the Automations page.";
  return invalidRequest(`${lead}: ${jobId}. List automations and retry with a current job id.${suffix}`, { code: "CRON_JOB_NOT_FOUND", jobId });
}

function requireJobId(method: string, p: Record<string, unknown>): string {
  const raw = p.id ?? p.jobId;
  const jobId = typeof raw === "string" ? raw.trim() : "";
  if (!jobId) throw invalid(method, "missing id");
  return jobId;
}

/** The legacy's scratch size limit (dist cron scratch-contract), the same in both releases. */
const CRON_JOB_SCRATCH_MAX_BYTES = 262_144;

/**
 * `cron.scratch.get` (admin): the job's `cron_job_scratch` row as the public scratch (`content`, `revision`,
 * `updatedAtMs`; the source hash stays private), `currentRevision` (0 without a row), `maxBytes`. The legacy
 * reads the row directly (dist cron scratch-store), after finding the job in its store.
 */
export function cronScratchGet(st: CronReadState, release: string, p: Record<string, unknown>): Record<string, unknown> {
  const jobId = requireJobId("cron.scratch.get", p);
  const { key } = load(st, "cron.scratch.get");
  const job = st.reader.jobs(key).find((j) => j.id === jobId);
  if (!job) throw notFound(release, jobId, "Automation not found");
  const feature = unportable(job);
  if (feature) throw unavailable(`cron.scratch.get of a job with ${feature} (job "${job.id}")`);
  const row = st.reader.scratch(key, jobId);
  const scratch = row && row.content !== null ? { content: row.content, revision: row.revision, updatedAtMs: row.updated_at_ms } : null;
  return { scratch, currentRevision: row?.revision ?? 0, maxBytes: CRON_JOB_SCRATCH_MAX_BYTES };
}

export function cronGet(st: CronReadState, release: string, p: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
  const jobId = requireJobId("cron.get", p);
  const { key } = load(st, "cron.get");
  const job = st.reader.jobs(key).find((j) => j.id === jobId);
  if (!job) throw notFound(release, jobId, "cron job not found");
  assertStored(job, "cron.get", now);
  return readView(job);
}

/**
 * With the scheduler off the answer holds no job's schedule or run state (`nextWakeAtMs` is null): only the
 * count of jobs the legacy loads, which its read-time recompute does not change. So due, running or
 * process-scheduled jobs are counted as stored; only jobs whose decoding is not ported are refused.
 */
export function cronStatus(st: CronReadState): Record<string, unknown> {
  const loaded = load(st, "cron.status");
  const jobs = st.reader.jobs(loaded.key);
  for (const job of jobs) {
    const feature = unportable(job);
    if (feature) throw unavailable(`cron.status with a job with ${feature} (job "${job.id}")`);
  }
  const triggers = isRecord(loaded.cron.triggers) ? loaded.cron.triggers : {};
  return {
    enabled: false,
    triggersEnabled: triggers.enabled !== false,
    storePath: st.stateDb,
    storage: "sqlite",
    sqlitePath: st.stateDb,
    jobs: jobs.length,
    nextWakeAtMs: null,
  };
}
