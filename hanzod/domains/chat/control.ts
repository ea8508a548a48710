/**
 * Run controls for hanzod's own turns (issue #11): `chat.abort` and `agent.wait`. The legacy keeps runs
 * in process memory (its `chatAbortControllers`, agent-run registry, dedupe), so each runtime can only
 * abort or wait for the runs it holds: hanzod answers for its own runs and declines everything else, so
 * the proxy hands it to the legacy (which answers for its runs, and for unknown ones).
 *
 * `chat.abort` (dist chat-abort-handler, chat-abort `abortChatRunById`, observed live on both releases):
 * the run's `chat` aborted event with the partial reply and its agent lifecycle `end` cancelled, the
 * partial reply stored as the gateway's own assistant message, the model call aborted through the run's
 * AbortSignal, then the answer `{ok: true, aborted: true, runIds: [runId]}`; the runner's own end follows
 * (run.ts `abortedTail`).
 *
 * `agent.wait` (dist agent-turn-service `prepareWaitForTurn`): the run's end as the legacy reports a chat
 * run's (`{runId, status: "ok", endedAt, terminalReceipt, terminalReply}`, or the abort's error answer),
 * `{runId, status: "timeout"}` when `timeoutMs` (default 30 s) passes first.
 */
import { ADMIN_SCOPE } from "../../../protocol/index.js";
import { declined, invalidRequest } from "../../core/method.js";
import { resolveSessionKey } from "../sessions/describe.js";
import { settle, writeAbortedPartial, type ChatRunState, type RunRecord } from "./run.js";
import type { RunEventRules } from "./run-events.js";
import { runEventRules } from "./run-events.js";

export interface ControlCaller {
  connId: string;
  scopes: readonly string[];
}

function decline(reason: string): never {
  throw declined(`chat.abort of ${reason}`);
}

const inFlight = (rec: RunRecord | undefined): rec is RunRecord => rec !== undefined && !rec.done && rec.abortedAt === undefined;

/** The runs chat.abort would abort, checked as the legacy checks them; a decline for what hanzod does not hold. */
function targets(state: ChatRunState, params: Record<string, unknown>, caller: ControlCaller): [string, RunRecord][] {
  // The legacy checks an explicit agentId against the key (and resolves unscoped keys with it) before looking at runs.
  if (params.agentId !== undefined) decline("a request with an agentId");
  const rawKey = params.sessionKey as string;
  let canonical: string;
  try {
    canonical = resolveSessionKey(state.sessions, state.sessions.config(), rawKey).key;
  } catch {
    decline("a session key hanzod does not resolve as the legacy's abort does");
  }
  const admin = caller.scopes.includes(ADMIN_SCOPE);
  const runId = typeof params.runId === "string" && params.runId ? params.runId : undefined;
  if (runId === undefined) {
    // Without a runId the legacy aborts every run of the session: hanzod answers only if it holds them all
    // (the legacy's runs of the same session, if any, are the legacy's to abort).
    const mine = [...state.runs.entries()].filter(([, r]) => inFlight(r) && r.sessionKey === canonical);
    if (mine.length === 0) decline("a session where hanzod runs nothing");
    if (!admin && mine.some(([, r]) => r.ownerConnId !== caller.connId)) decline("another connection's run by a non-admin (the legacy matches the owner's device, which hanzod does not see)");
    return mine;
  }
  const rec = state.runs.get(runId);
  if (!inFlight(rec)) decline("a run hanzod does not hold in flight (the legacy answers for its runs and unknown ones)");
  if (!rec.events.started) decline("a run whose lifecycle has not started (the legacy's pre-start abort is not ported)");
  const owner = rec.ownerConnId !== undefined && rec.ownerConnId === caller.connId;
  if (!admin && !owner) decline("another connection's run by a non-admin (the legacy matches the owner's device, which hanzod does not see)");
  // An admin (or the run's own connection) may name another session's run (the legacy's requireOwnerMatch).
  if (rec.sessionKey !== rawKey && rec.sessionKey !== canonical && !admin && !owner) throw invalidRequest("runId does not match sessionKey");
  if (canonical.split(":")[1] !== rec.agentId) throw invalidRequest("runId does not match agentId");
  return [[runId, rec]];
}

function waitOutcome(rules: RunEventRules, runId: string, rec: RunRecord, endedAt: number): Record<string, unknown> {
  return rules.abortWaitShape === "started" ? { runId, status: "error", startedAt: rec.receivedAt, endedAt, stopReason: "rpc" } : { runId, status: "error", endedAt: rec.abortedAt, error: "aborted", stopReason: "rpc" };
}

export function chatAbort(state: ChatRunState, release: string, params: Record<string, unknown>, caller: ControlCaller): Record<string, unknown> {
  const rules = runEventRules(release);
  if (!rules) decline(`a run as openclaw ${release}`);
  const runs = targets(state, params, caller);
  const runIds: string[] = [];
  for (const [runId, rec] of runs) {
    rec.abortedAt = Date.now();
    const endedAt = Date.now();
    // Events first (the legacy broadcasts before its partial is stored), then the model call stops.
    const partial = rec.events.aborted("rpc", rec.receivedAt, endedAt);
    settle(rec, waitOutcome(rules, runId, rec, endedAt));
    rec.controller.abort();
    if (partial !== undefined) {
      try {
        writeAbortedPartial(state, rec, runId, partial);
      } catch {
        // the transcript moved under the legacy's own writer: the abort itself stands
      }
    }
    runIds.push(runId);
  }
  return { ok: true, aborted: runIds.length > 0, runIds };
}

/** agent.wait for a run hanzod holds (running or remembered by the dedupe window); others are the legacy's. */
export async function agentWait(state: ChatRunState, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
  const runId = (params.runId as string).trim();
  const rec = state.runs.get(runId);
  if (!rec) throw declined("agent.wait of a run hanzod does not hold (the legacy answers for its runs and unknown ones)");
  const timeoutMs = typeof params.timeoutMs === "number" && Number.isFinite(params.timeoutMs) ? Math.max(0, Math.floor(params.timeoutMs)) : 30_000;
  const waited = !rec.outcome;
  if (waited) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        rec.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done, { once: true });
      rec.waiters.add(done);
    });
  }
  return waited ? (rec.liveOutcome ?? rec.outcome ?? { runId, status: "timeout" }) : (rec.outcome ?? { runId, status: "timeout" });
}
