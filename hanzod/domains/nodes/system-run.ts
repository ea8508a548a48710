/**
 * `node.invoke system.run`: what the legacy does to the params before the node gets them
 * (sanitizeSystemRunParamsForForwarding, 2026.9.6 nodes-XMeKuhCX.mjs:284-505; normalizeSystemRunInvokeParams,
 * node-registry-private-DQxtvo06.mjs:29-48; the same in 2026.9.1), and when hanzod leaves a run to the legacy.
 * Research: hanzod/state/research/system-run-approvals.md (1b, 1c).
 */
import { randomUUID } from "node:crypto";
import type { ErrorShape } from "../../../protocol/index.js";
import { errorShape } from "../../../protocol/index.js";
import type { SystemRunEvent } from "../../core/nodes.js";

/** The keys the legacy forwards (pickSystemRunParams); everything else (approval flags, turnSource*) is dropped. */
const FORWARDED_KEYS = ["command", "rawCommand", "systemRunPlan", "cwd", "env", "timeoutMs", "needsScreenRecording", "agentId", "sessionKey", "runId", "suppressNotifyOnExit"] as const;
/** The legacy's timer ceiling (MAX_TIMER_TIMEOUT_MS). */
const MAX_TIMER_TIMEOUT_MS = 2_147_000_000;

export type SystemRunPrepared =
  /** Forward these params (no approval flags asked for). */
  | { kind: "forward"; params: unknown }
  /** Approval flags asked for: the binder decides on `params` (whitelisted keys plus the flags as sent). */
  | { kind: "bind"; params: Record<string, unknown> }
  | { kind: "refused"; error: ErrorShape }
  | { kind: "declined"; why: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function trimmed(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

/** The legacy's systemRunApprovalGuardError: INVALID_REQUEST with details.code. */
function guard(code: string, message: string): SystemRunPrepared {
  return { kind: "refused", error: errorShape("INVALID_REQUEST", message, { code }) };
}

/** formatExecCommand: argv with minimal shell-style quoting, the text rawCommand must equal. */
export function formatExecCommand(argv: readonly string[]): string {
  return argv.map((arg) => (arg.length === 0 ? '""' : /\s|"/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg)).join(" ");
}

/**
 * resolveSystemRunCommandRequest: `rawCommand` needs a `command`, and must be the argv's text. The legacy also
 * accepts a shell wrapper's inline payload as rawCommand (`sh -c 'x'` with rawCommand `x`, through its shell
 * wrapper parser); hanzod does not port that parser, so a rawCommand that differs is the legacy's to judge.
 */
function checkCommandText(p: Record<string, unknown>): SystemRunPrepared | undefined {
  const raw = trimmed(p.rawCommand);
  const command = Array.isArray(p.command) ? p.command : [];
  if (command.length === 0) return raw ? { kind: "refused", error: errorShape("INVALID_REQUEST", "rawCommand requires params.command", { code: "MISSING_COMMAND" }) } : undefined;
  if (raw && raw !== formatExecCommand(command.map((v) => String(v)))) return { kind: "declined", why: "a rawCommand other than the argv's text (the legacy accepts a shell wrapper's inline command, through its shell parser)" };
  return undefined;
}

/** The legacy's system.run param handling before the approval binding; `approvals` says whether a binder exists. */
export function prepareSystemRun(raw: unknown): SystemRunPrepared {
  if (!isRecord(raw)) return { kind: "forward", params: raw };
  const p = raw;
  const approved = p.approved === true;
  const decision = trimmed(p.approvalDecision);
  const requestedDecision = decision === "allow-once" || decision === "allow-always" ? decision : null;
  if (p.approvalSource != null && p.approvalSource !== "ask-fallback") return guard("INVALID_APPROVAL_SOURCE", "approval source invalid");
  const askFallback = p.approvalSource === "ask-fallback";
  if (askFallback && (p.approved !== undefined || p.approvalDecision !== undefined)) return guard("APPROVAL_SOURCE_MISMATCH", "approval source cannot be combined with explicit approval");
  const next: Record<string, unknown> = {};
  for (const key of FORWARDED_KEYS) if (key in p) next[key] = p[key];
  if (!approved && requestedDecision === null && !askFallback) return checkCommandText(p) ?? { kind: "forward", params: next };
  if (!trimmed(p.runId)) return guard("MISSING_RUN_ID", "approval override requires params.runId");
  return { kind: "bind", params: { ...next, ...("approved" in p ? { approved: p.approved } : {}), ...("approvalDecision" in p ? { approvalDecision: p.approvalDecision } : {}), ...("approvalSource" in p ? { approvalSource: p.approvalSource } : {}) } };
}

/** normalizeSystemRunTimeoutMs: undefined stays, a non-number is dropped, a positive one clamped, the rest null (no expiry). */
function normalizeTimeoutMs(v: unknown): number | null | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  const t = Math.trunc(v);
  return t > 0 ? Math.min(Math.max(t, 1), MAX_TIMER_TIMEOUT_MS) : null;
}

/**
 * normalizeSystemRunInvokeParams (the runId minted when absent, timeoutMs normalised) and what the node may
 * report back for this run (resolvePendingSystemRunEvent).
 */
export function normalizeSystemRun(params: unknown): { params: unknown; event?: SystemRunEvent } {
  if (!isRecord(params)) return { params };
  const runId = trimmed(params.runId) ?? randomUUID();
  const normalized: Record<string, unknown> = { ...params, runId };
  const timeoutMs = normalizeTimeoutMs(params.timeoutMs);
  if (timeoutMs === undefined) delete normalized.timeoutMs;
  else normalized.timeoutMs = timeoutMs;
  const sessionKey = trimmed(params.sessionKey);
  return { params: normalized, event: { runId, ...(sessionKey ? { sessionKey } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) } };
}

/**
 * Whether the node's `exec.finished` for this run would reach an agent session in the legacy: with
 * `tools.exec.notifyOnExit` on (the default) and no `suppressNotifyOnExit`, the legacy queues "Exec finished"
 * as a system event in its in-memory session queue and wakes the session's heartbeat
 * (server-node-events-MNEnnRJP.mjs:678-713). hanzod has no hand-off into that queue, so it serves only runs
 * that would not notify.
 */
export function notifiesOnExit(params: unknown, config: Record<string, unknown> | undefined): boolean {
  if (isRecord(params) && params.suppressNotifyOnExit === true) return false;
  const tools = config && isRecord(config.tools) ? config.tools : undefined;
  const exec = tools && isRecord(tools.exec) ? tools.exec : undefined;
  return exec?.notifyOnExit !== false;
}
