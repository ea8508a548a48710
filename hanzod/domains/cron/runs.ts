/**
 * `cron.runs` (operator.read): the run history of the legacy's cron jobs, answered as 2026.9.1 and 2026.9.6
 * answer it (dist gateway/server-methods/cron.ts `cronHandlers["cron.runs"]`, the same steps in both).
 *
 * Why it can move alone: the history is the task ledger's `task_runs` rows, which the legacy reads straight
 * from SQLite on every call (hanzod/state/cron-runs.ts). The rest of its answer comes from its cron service:
 * whether the job exists, its name (`jobName`) and its agent (the `agentId` filter). With the scheduler off
 * those are the stored `cron_jobs` rows hanzod already reads for `cron.get`; a read there may also write back
 * a due job's next run, which changes neither the name, the agent nor the history. So, as for
 * `cron.status`, due jobs are answered; the cron domain's other refusals apply (a scheduler that may be
 * running, a custom store, undecoded job features).
 *
 * Refused (UNAVAILABLE) besides: operator role policies (`gateway.roles`: the legacy then filters runs by the
 * caller's session visibility, through its session store), a release whose answer hanzod has not compared,
 * ledger rows the legacy could not load, diagnostics without timestamps (see run-log.ts).
 * Callers with a cron caller scope (agent runtimes) never reach hanzod: it serves operators only.
 */
import { CronRunRefusal } from "../../state/cron-runs.js";
import { unportable, type CronJob } from "../../state/cron.js";
import { historyPage, type HistoryOptions } from "./run-log.js";
import { invalid, load, notFound, type CronReadState } from "./read.js";
import { effectiveAgentId, normalizeAgentId, unavailable } from "./view.js";
import { isRecord } from "../../../protocol/index.js";

/** Whether the release evens out task timestamps on load (2026.9.6's `normalizeTaskTimestamps`). */
const NORMALIZES_TIMESTAMPS: Readonly<Record<string, boolean>> = { "2026.9.1": false, "2026.9.6": true };

/** dist `cronRunLogPageFilters`: the params the history page reads (already checked by the contract). */
function pageFilters(p: Record<string, unknown>): HistoryOptions {
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined);
  return {
    limit: typeof p.limit === "number" ? p.limit : undefined,
    offset: typeof p.offset === "number" ? p.offset : undefined,
    statuses: list(p.statuses),
    status: text(p.status),
    runId: text(p.runId),
    deliveryStatuses: list(p.deliveryStatuses),
    deliveryStatus: text(p.deliveryStatus),
    query: text(p.query),
    sortDir: text(p.sortDir),
  };
}

/** dist `filterCronRunLogJobsByAgent`: every job without an agent filter, else the jobs of that agent. */
function ofAgent(jobs: readonly CronJob[], agentId: unknown): CronJob[] {
  if (typeof agentId !== "string" || !agentId) return [...jobs];
  const agent = normalizeAgentId(agentId);
  return jobs.filter((job) => effectiveAgentId(job) === agent);
}

function assertDecoded(job: CronJob): void {
  const feature = unportable(job);
  if (feature) throw unavailable(`cron.runs with a job with ${feature} (job "${job.id}")`);
}

function ledger<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CronRunRefusal) throw unavailable(`cron.runs with ${err.message}`);
    throw err;
  }
}

export function cronRuns(st: CronReadState, release: string, p: Record<string, unknown>): Record<string, unknown> {
  const normalize = NORMALIZES_TIMESTAMPS[release];
  if (normalize === undefined) throw unavailable(`cron.runs as ${release}`);
  const hasJobSelector = p.id !== undefined || p.jobId !== undefined;
  const scope = p.scope ?? (hasJobSelector ? "job" : "all");
  const raw = p.id ?? p.jobId;
  const jobId = typeof raw === "string" && raw.trim() ? raw.trim() : undefined;
  // The legacy answers this before it looks at any job or run.
  if (scope !== "all" && !jobId) throw invalid("cron.runs", "missing id");
  const { config, key } = load(st, "cron.runs");
  if (isRecord(config.gateway) && config.gateway.roles !== undefined) throw unavailable(`cron.runs with "gateway.roles" configured (operator role policies filter runs by session visibility)`);
  const jobs = st.reader.jobs(key);

  if (scope === "all" || !jobId) {
    for (const job of jobs) assertDecoded(job);
    const listed = ofAgent(jobs, p.agentId);
    const jobNameById = Object.fromEntries(listed.filter((job) => typeof job.name === "string").map((job) => [job.id, job.name as string]));
    const agentId = typeof p.agentId === "string" && p.agentId ? normalizeAgentId(p.agentId) : undefined;
    return ledger(() => historyPage(st.runs.records(undefined, normalize), key, { ...pageFilters(p), agentId, jobNameById }));
  }

  const job = jobs.find((j) => j.id === jobId);
  if (job) assertDecoded(job);
  const matched = job && ofAgent([job], p.agentId).length > 0 ? job : undefined;
  // Without a role policy or a caller scope, only an agent filter can hide an existing job.
  if (typeof p.agentId === "string" && p.agentId && !matched) throw notFound(release, jobId, "Automation not found");
  // dist task-run-history `normalizeCronTaskRunJobId` (the contract already refuses "/" and "\\").
  if (jobId.includes("/") || jobId.includes("\\") || jobId.includes("\0")) throw invalid("cron.runs", "invalid id");
  const records = ledger(() => st.runs.records(jobId, normalize));
  const jobNameById = matched && typeof matched.name === "string" ? { [jobId]: matched.name } : undefined;
  const page = ledger(() => historyPage(records, key, { ...pageFilters(p), jobNameById }));
  // A removed job keeps its history; an id with neither a job nor any history is unknown.
  if (!job && page.total === 0 && historyPage(records, key, { limit: 1 }).total === 0) throw notFound(release, jobId, "Automation not found");
  return page;
}
