/**
 * How the legacy presents a stored cron job (2026.9.1 and 2026.9.6 alike unless noted): the public job
 * (dist `toPublicCronJob`), its `configRevision` (dist cron/config-revision: the definition without
 * `updatedAtMs` and `state`, hashed with the legacy's stable stringify), the read view's state mirrors
 * (`cronJobReadView`), the compact list row (`compactCronListJob`), the list's `snapshotRevision` and the
 * delivery previews hanzod can state without the legacy's channel plugins.
 */
import { createHash } from "node:crypto";
import { declined, MethodError } from "../../core/method.js";
import type { CronJob } from "../../state/cron.js";

export function unavailable(what: string): MethodError {
  return declined(`hanzod does not answer ${what} yet (the legacy gateway does)`);
}

/** The legacy's stable stringify (packages/normalization-core): sorted keys, `undefined` kept as text. */
export function stableStringify(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "number" && !Number.isFinite(v)) return JSON.stringify(String(v));
  if (typeof v === "bigint") return JSON.stringify(v.toString());
  if (typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(",")}}`;
}

function sha256Token(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("base64url")}`;
}

/** dist cron/definition-hash `hashCronJobDefinition` (command payloads' env keys keep their order when they collide case-insensitively). */
function hashDefinition(def: Record<string, unknown>): string {
  const payload = def.payload as Record<string, unknown> | undefined;
  const env = payload && typeof payload.env === "object" && payload.env !== null ? (payload.env as Record<string, unknown>) : undefined;
  if (payload?.kind === "command" && env) {
    const folded = new Set<string>();
    const collides = Object.keys(env).some((k) => (folded.has(k.toLowerCase()) ? true : (folded.add(k.toLowerCase()), false)));
    if (collides) {
      const { env: _env, ...rest } = payload;
      return sha256Token(stableStringify({ ...def, payload: { ...rest, envEntries: Object.entries(env) } }));
    }
  }
  return sha256Token(stableStringify(def));
}

export function configRevision(job: CronJob): string {
  const { updatedAtMs: _u, state: _s, ...def } = job;
  return hashDefinition(def);
}

/** The list page's revision: the legacy hashes its in-memory jobs of the whole filtered, sorted list. */
export function snapshotRevision(jobs: readonly CronJob[]): string {
  return sha256Token(stableStringify(jobs));
}

const PRIVATE_FIELDS = new Set(["skillLibrarySelections", "createdActor", "toolsAllowProvenance", "toolsAllowExecTarget", "toolsAllowExecTargetRequirement", "runtimeAuthority", "runtimeAuthorityRecoveryRequired"]);
const PRIVATE_STATE = ["queuedAtMs", "runningReceiptId", "startupCatchupAtMs", "pacedNextRunAtMs", "forcePreservedNextRunAtMs", "runningScheduleChangeId", "failureAlertIncident", "lastFailureNotificationId"];

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** dist cron/job-read-view `cronJobReadView` (undefined fields are not on the wire). */
export function readView(job: CronJob): Record<string, unknown> {
  const pub = Object.fromEntries(Object.entries(job).filter(([k]) => !PRIVATE_FIELDS.has(k)));
  const state = { ...job.state };
  for (const k of PRIVATE_STATE) delete state[k];
  const s = job.state;
  return dropUndefined({
    ...pub,
    state,
    configRevision: configRevision(job),
    nextRunAtMs: s.nextRunAtMs,
    lastRunAtMs: s.lastRunAtMs,
    lastRunStatus: s.lastRunStatus ?? s.lastStatus,
    lastRunError: s.lastError,
    ...deliveryOutcome(s),
  });
}

/** The last delivery's outcome, as both of the legacy's job projections end with it. */
function deliveryOutcome(s: CronJob["state"]): Record<string, unknown> {
  return {
    lastDelivered: s.lastDelivered,
    lastDeliveryStatus: s.lastDeliveryStatus,
    lastDeliveryError: s.lastDeliveryError,
    deliverySuppressionReason: s.deliverySuppressionReason,
    lastFailureNotificationDelivered: s.lastFailureNotificationDelivered,
    lastFailureNotificationDeliveryStatus: s.lastFailureNotificationDeliveryStatus,
    lastFailureNotificationDeliveryError: s.lastFailureNotificationDeliveryError,
  };
}

function iso(ms: unknown): string | null {
  return typeof ms === "number" && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
}

/** dist gateway/server-methods/cron-list-projection `compactCronListJob`. */
export function compactView(job: CronJob): Record<string, unknown> {
  const s = job.state;
  const kind = job.schedule.kind;
  return dropUndefined({
    id: job.id,
    name: job.name,
    agentId: job.agentId,
    updatedAtMs: job.updatedAtMs,
    declarationKey: job.declarationKey || undefined,
    displayName: job.displayName || undefined,
    owner: job.owner || undefined,
    enabled: job.enabled,
    nextRunAt: iso(s.nextRunAtMs),
    nextRunAtMs: s.nextRunAtMs ?? null,
    scheduleKind: kind,
    schedule: kind === "at" || kind === "every" || kind === "cron" ? job.schedule : undefined,
    trigger: job.trigger ? true : undefined,
    lastRunAt: iso(s.lastRunAtMs),
    lastRunAtMs: s.lastRunAtMs ?? null,
    lastRunStatus: s.lastRunStatus ?? s.lastStatus ?? null,
    lastRunError: s.lastError ?? null,
    runningAtMs: s.runningAtMs,
    autoDisabled: s.autoDisabled,
    ...deliveryOutcome(s),
  });
}

const VALID_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** The legacy's agent id normalisation (packages/normalization-core agent-id `normalizeAgentId`). */
export function normalizeAgentId(value: string): string {
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (VALID_ID_RE.test(trimmed)) return lower;
  return lower.replace(/[^a-z0-9_-]+/g, "-").replace(/^-+/, "").replace(/-+$/, "").slice(0, 64) || "main";
}

/**
 * The job's effective agent (dist cron agent-id `tryResolveCronJobEffectiveAgentId`): its `agentId`, else
 * its session key's agent, else the configured default. Every job the legacy writes carries an `agentId`;
 * the fallbacks need the legacy's session-key parser and default-agent resolution, so they are refused.
 */
export function effectiveAgentId(job: CronJob): string {
  if (typeof job.agentId === "string" && job.agentId.trim()) return normalizeAgentId(job.agentId);
  throw unavailable(`cron jobs without an "agentId" (job "${job.id}": its effective agent)`);
}

function hasExplicitTarget(d: Record<string, unknown>): boolean {
  const channel = typeof d.channel === "string" ? d.channel.trim().toLowerCase() : "";
  const str = (v: unknown) => typeof v === "string" && v.trim() !== "";
  return (channel !== "" && channel !== "last") || str(d.to) || (d.threadId !== undefined && d.threadId !== null) || str(d.accountId);
}

/**
 * dist cron/delivery-preview for a job whose delivery plan is `none` without a target: "not requested".
 * Every other plan is resolved against the legacy's channel plugins and routes, which hanzod does not have.
 */
export function deliveryPreview(job: CronJob): { label: string; detail: string } {
  const d = job.delivery;
  const none = d !== undefined ? typeof d.mode === "string" && d.mode.trim().toLowerCase() === "none" && !hasExplicitTarget(d) : job.payload?.kind === "systemEvent" || job.payload?.kind === "heartbeat";
  if (!none) throw unavailable(`cron.list "deliveryPreviews" for a job with a delivery plan (job "${job.id}"); pass includeDeliveryPreviews: false or compact: true`);
  return { label: "not requested", detail: "not requested" };
}
