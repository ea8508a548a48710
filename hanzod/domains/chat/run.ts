/**
 * `chat.send`, first slice (issue #11): a text-only turn on an existing session of the legacy's own
 * state, answered as the legacy answers it (dist chat-send-handler): acknowledged `{runId, status:
 * "started"}` (runId = idempotencyKey), then the run's `chat` and `agent` events (run-events.ts), the
 * model called through the `openai` client (model-client.ts, no tools), and the turn written into the
 * legacy's agent database (state/transcript-writer.ts) so the legacy's `chat.history` and its next turn
 * see it. The same idempotencyKey again answers `{runId, status: "in_flight"}` while the run is going and
 * `{runId, status: "ok"}` after it (the legacy's dedupe answers; hanzod remembers its own runs only).
 *
 * Every other case is declined before anything is written or sent, so the proxy hands it to the legacy:
 * attachments or any param beyond sessionKey/message/idempotencyKey, a command (`/...`, `!...`), a
 * caller without operator.admin (the legacy's owner attribution), a release whose run events hanzod has
 * not compared, a model it cannot call as the legacy would, a session without a transcript window (its
 * first turn writes the legacy's bootstrap events), a session that is running, has overrides or
 * recovery state, a transcript the history projection refuses or that holds an aborted turn, an index it cannot forward-append, a
 * key whose turn the transcript already holds from the legacy, or a run of hanzod's own still going on
 * that session (the legacy would queue it).
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { declined } from "../../core/method.js";
import type { SessionEntry } from "../../state/sessions.js";
import type { TurnTarget } from "../../state/transcript-writer.js";
import { TranscriptWriter } from "../../state/transcript-writer.js";
import { resolveSessionKey } from "../sessions/describe.js";
import type { ChatReadState } from "./history.js";
import { historyPage, ProjectionRefusal } from "./messages.js";
import { streamCompletion, turnModel, type TurnModel } from "./model-client.js";
import { ABORTED_ERROR, RunEvents, runEventRules, type Emit, type RunEventRules } from "./run-events.js";
import { SessionEvents, sessionEventRules, type SessionEmit } from "./session-events.js";

/** One of hanzod's own runs: its dedupe answer, its abort handle, what agent.wait answers for it. */
export interface RunRecord {
  sessionKey: string;
  agentId: string;
  sessionId: string;
  storePath: string;
  done: boolean;
  finishedAt?: number;
  /** When the send was received: the legacy's abort registration time (`startedAtMs`). */
  receivedAt: number;
  /** The sending connection (the legacy lets a non-admin abort a run its own connection started). */
  ownerConnId: string | undefined;
  /** chat.abort aborts it; the model call's signal follows it. */
  controller: AbortController;
  events: RunEvents;
  /** The per-subscriber session events (session-events.ts), riding on the run's own events; none where the release has no rules. */
  session: SessionEvents | undefined;
  /** chat.abort's time, once aborted. */
  abortedAt?: number;
  /** agent.wait's answer, once the run has ended (or been aborted). */
  outcome?: Record<string, unknown>;
  /** What a wait already waiting at the end answers, where the release answers it differently (run-events `liveWaitEndOnly`). */
  liveOutcome?: Record<string, unknown>;
  /** agent.wait calls waiting for the outcome. */
  waiters: Set<() => void>;
}

export interface ChatRunState extends ChatReadState {
  writer: TranscriptWriter;
  /** hanzod's own runs by runId: their dedupe answer, which sessions have one going, their abort and wait state. */
  runs: Map<string, RunRecord>;
  /** Aborted at teardown: a run's model stream stops with hanzod. */
  shutdown: AbortController;
}

/** The legacy's gateway dedupe (dist server-constants DEDUPE_TTL_MS, DEDUPE_MAX): a finished run's answer is kept 5 min, at most 1000. */
const DEDUPE_TTL_MS = 300_000;
const DEDUPE_MAX = 1000;

/**
 * Forgets finished runs as the legacy's dedupe does. A forgotten key is then found in the transcript
 * and declined (the legacy answers what it answers once its own entry has expired).
 */
function pruneRuns(runs: ChatRunState["runs"], now: number): void {
  const done = [...runs.entries()].filter(([, r]) => r.done);
  for (const [id, r] of done) if (now - (r.finishedAt ?? now) > DEDUPE_TTL_MS) runs.delete(id);
  const left = done.filter(([id]) => runs.has(id));
  for (const [id] of left.slice(0, Math.max(0, left.length - DEDUPE_MAX))) runs.delete(id);
}

export interface SendCaller {
  connId?: string;
  scopes: readonly string[];
  clientId: string | undefined;
  clientMode: string | undefined;
}

const ALLOWED_PARAMS = new Set(["sessionKey", "message", "idempotencyKey"]);
/** Entry fields that change how the legacy runs a turn (overrides, fences, recovery, ownership). */
const ENTRY_DECLINES = ["modelOverride", "providerOverride", "thinkingLevel", "fastMode", "verboseLevel", "reasoningLevel", "sendPolicy", "archivedAt", "spawnedBy", "subagentRole", "acp", "pluginOwnerId", "initializationPending", "pendingFinalDelivery", "mainRestartRecovery", "restartRecoveryDeliveryRunId", "cronRunContinuation", "providerReview", "execHost", "queueMode", "groupActivation", "responseUsage", "ttsAuto", "label", "visibility", "incognito", "sandbox"];

interface Plan {
  target: TurnTarget;
  agentId: string;
  model: TurnModel;
  rules: RunEventRules;
  history: ChatCompletionMessageParam[];
  message: string;
  runId: string;
}

function decline(reason: string): never {
  throw declined(`chat.send of ${reason}`);
}

/** Everything checked before the first side effect; a decline names the first thing hanzod does not run. */
function plan(state: ChatRunState, release: string, params: Record<string, unknown>, caller: SendCaller): Plan {
  for (const k of Object.keys(params)) if (!ALLOWED_PARAMS.has(k)) decline(`a request with "${k}"`);
  const message = params.message as string;
  const runId = params.idempotencyKey as string;
  if (!message.trim()) decline("an empty message");
  if (/^\s*[/!]/.test(message)) decline("a command message");
  if (!caller.scopes.includes("operator.admin")) decline("a sender without operator.admin (owner attribution)");
  const rules = runEventRules(release);
  if (!rules) decline(`a turn as openclaw ${release}`);
  try {
    const cfg = state.sessions.config();
    const model = turnModel(cfg);
    if (typeof model === "string") decline(model);
    const { agentId, key } = resolveSessionKey(state.sessions, cfg, params.sessionKey as string, undefined);
    const target = state.sessions.targets(cfg).targets.find((t) => t.agentId === agentId && t.configured);
    if (!target) decline("a session of an agent the config does not declare");
    const entry = state.sessions.read([target], key)[0]?.entry;
    const sessionId = typeof entry?.sessionId === "string" ? entry.sessionId : undefined;
    if (!entry || !sessionId) decline("a session that does not exist yet (its first turn is the legacy's)");
    if (entry.status === "running") decline("a session whose run is in flight");
    if (entry.abortedLastRun === true) decline("a session whose last run was aborted");
    if (entry.systemSent !== true) decline("a session whose bootstrap turn has not run");
    for (const f of ENTRY_DECLINES) if (entry[f] !== undefined) decline(`a session with "${f}"`);
    if (Object.keys(entry).some((k) => k.startsWith("restartRecovery"))) decline("a session with restart recovery state");
    if ((entry.model !== undefined && entry.model !== model.model) || (entry.modelProvider !== undefined && entry.modelProvider !== model.provider)) decline("a session on another model");
    if (entry.agentHarnessId !== undefined && entry.agentHarnessId !== "openclaw") decline("a session on another agent harness");
    for (const r of state.runs.values()) if (!r.done && r.sessionKey === key) decline("a session with a hanzod run going (the legacy queues)");
    const t: TurnTarget = { storePath: target.storePath, sessionKey: key, sessionId };
    const why = state.writer.preflight(t);
    if (why) decline(why);
    // A key hanzod does not know but the transcript holds was run by the legacy: its dedupe answer is in the legacy's memory.
    if (state.writer.hasMessageKey(t, `${runId}:user`)) decline("an idempotencyKey the legacy has run (its dedupe answer is the legacy's)");
    const transcript = state.transcripts.snapshot(target.storePath, sessionId);
    const page = historyPage(transcript, { dbPath: target.storePath, agentId }, { limit: Number.MAX_SAFE_INTEGER, uncappedLimit: true, offset: undefined, maxChars: Infinity, maxBytes: Infinity });
    // After an abort the legacy's model context is not the history's messages (2026.9.1 leaves out the aborted
    // replies and adds its turn-aborted note; 2026.9.6 leaves out the partial): not ported, so the legacy runs it.
    if (page.messages.some((m) => (m as Record<string, unknown>).openclawAbort !== undefined || (m as Record<string, unknown>).stopReason === "aborted")) decline("a session whose transcript holds an aborted turn");
    const history = page.messages.map((m): ChatCompletionMessageParam => {
      const text = typeof m.content === "string" ? m.content : (m.content as { text: string }[]).map((b) => b.text).join("");
      return m.role === "user" ? { role: "user", content: text } : { role: "assistant", content: text };
    });
    return { target: t, agentId, model, rules, history, message, runId };
  } catch (err) {
    if (err instanceof ProjectionRefusal) decline(err.message);
    throw err;
  }
}

/**
 * The dedupe answer for a runId hanzod has seen, or the ack of a new run started in the background.
 * `sessionEmit`: the per-subscriber session events (session-events.ts). `onStarted`: runs right after the ack
 * reaches the client and before the run's first event, for a started run only (not a dedupe answer): where the
 * legacy records the sender's presence activity.
 */
export function chatSend(state: ChatRunState, release: string, params: Record<string, unknown>, caller: SendCaller, emit: Emit, sessionEmit?: SessionEmit, onStarted?: () => void): Record<string, unknown> {
  const runId = params.idempotencyKey as string;
  pruneRuns(state.runs, Date.now());
  const seen = state.runs.get(runId);
  if (seen) return { runId, status: seen.done ? "ok" : "in_flight" };
  const p = plan(state, release, params, caller);
  const receivedAt = Date.now();
  const sessionRules = sessionEventRules(release);
  const session = sessionEmit && sessionRules ? new SessionEvents({ runId: p.runId, sessionKey: p.target.sessionKey, agentId: p.agentId }, sessionRules, sessionEmit) : undefined;
  const rec: RunRecord = {
    sessionKey: p.target.sessionKey,
    agentId: p.agentId,
    sessionId: p.target.sessionId,
    storePath: p.target.storePath,
    done: false,
    receivedAt,
    ownerConnId: caller.connId,
    controller: new AbortController(),
    session,
    events: new RunEvents({ runId: p.runId, sessionKey: p.target.sessionKey, sessionId: p.target.sessionId, agentId: p.agentId, provider: p.model.provider, model: p.model.model }, p.rules, session ? session.wrap(emit) : emit),
    waiters: new Set(),
  };
  state.runs.set(runId, rec);
  // After the ack: the legacy answers first, then the run's first event.
  setImmediate(() => {
    onStarted?.();
    void run(state, release, p, caller, rec).finally(() => {
      rec.done = true;
      rec.finishedAt = Date.now();
      // A run that ended without an outcome (an error outside the model call): its waiters get an error answer.
      settle(rec, rec.outcome ?? { runId, status: "error", endedAt: rec.finishedAt });
    });
  });
  return { runId, status: "started" };
}

/** Records agent.wait's answer for the run (the first one stands) and wakes its waiters. */
export function settle(rec: RunRecord, outcome: Record<string, unknown>, liveOutcome?: Record<string, unknown>): void {
  if (!rec.outcome) {
    rec.outcome = outcome;
    rec.liveOutcome = liveOutcome;
  }
  for (const wake of rec.waiters) wake();
  rec.waiters.clear();
}

async function run(state: ChatRunState, release: string, p: Plan, caller: SendCaller, rec: RunRecord): Promise<void> {
  const { events, receivedAt } = rec;
  const w = state.writer;
  try {
    // The person's turn, as the legacy stores it (2026.9.6 adds the sending clients to its metadata).
    const meta: Record<string, unknown> = { senderIsOwner: true };
    if (release !== "2026.9.1") meta.transport = { clients: [{ id: caller.clientId, mode: caller.clientMode }] };
    w.appendMessage(p.target, { role: "user", content: p.message, timestamp: receivedAt, idempotencyKey: `${p.runId}:user`, __openclaw: meta }, { idempotencyKey: `${p.runId}:user`, at: Date.now() });
    rec.session?.message(state, { ...p.target, agentId: p.agentId }, "user"); // stored before the run's first event: 2026.9.1 sends its session.message first
    events.start();
    w.patchEntry(p.target, (e: SessionEntry) => ({ ...e, updatedAt: Date.now(), lastInteractionAt: receivedAt, activeWriterRunId: p.runId, status: "running", startedAt: events.startedAt }));
    const calledAt = Date.now();
    const result = await streamCompletion(p.model, [...p.history, { role: "user", content: p.message }], (piece) => events.piece(piece), AbortSignal.any([state.shutdown.signal, rec.controller.signal]));
    // An abort that came in as the stream ended still ends the run as aborted (its events are out).
    if (rec.abortedAt !== undefined) {
      abortedTail(state, p, rec);
      return;
    }
    const stopReason = result.finishReason === "stop" || result.finishReason === undefined ? "stop" : result.finishReason;
    const input = result.usage?.input ?? 0;
    const output = result.usage?.output ?? 0;
    w.appendMessage(
      p.target,
      {
        role: "assistant",
        content: [{ type: "text", text: result.text }],
        api: "openai-completions",
        provider: p.model.provider,
        model: p.model.model,
        usage: { input, output, cacheRead: 0, cacheWrite: 0, totalTokens: input + output, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } },
        stopReason,
        timestamp: calledAt,
        ...(result.responseId ? { responseId: result.responseId } : {}),
        __openclaw: { runId: p.runId },
      },
      { at: Date.now() },
    );
    rec.session?.message(state, { ...p.target, agentId: p.agentId }, "assistant");
    const endedAt = Date.now();
    w.patchEntry(p.target, (e: SessionEntry) => ({
      ...e,
      updatedAt: endedAt,
      status: "done",
      modelProvider: p.model.provider,
      model: p.model.model,
      totalTokens: input,
      totalTokensFresh: true,
      inputTokens: input,
      outputTokens: output,
      cacheRead: 0,
      cacheWrite: 0,
      estimatedCostUsd: 0,
      endedAt,
      runtimeMs: endedAt - events.startedAt,
      lastRunId: p.runId,
    }));
    const end = events.finish(result.usage?.output, stopReason);
    settle(rec, { runId: p.runId, status: "ok", endedAt: end.endedAt, terminalReceipt: end.terminalReceipt, terminalReply: end.terminalReply }, p.rules.liveWaitEndOnly ? { runId: p.runId, status: "ok", endedAt: end.endedAt } : undefined);
  } catch (err) {
    if (rec.abortedAt !== undefined) {
      abortedTail(state, p, rec);
      return;
    }
    // The legacy's simplest failure shape (chat state error with the provider's message); the stored
    // session is left "failed" so neither runtime treats it as running.
    const message = err instanceof Error ? err.message : String(err);
    try {
      w.patchEntry(p.target, (e: SessionEntry) => ({ ...e, updatedAt: Date.now(), status: "failed", endedAt: Date.now(), lastRunId: p.runId }));
    } catch {
      // the session row moved meanwhile: nothing of this run to mark
    }
    events.fail(message);
    settle(rec, { runId: p.runId, status: "error", endedAt: Date.now(), error: message });
  }
}

const zeroUsage = () => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } });

/** The legacy's note for the model's next turn after an interrupted one (2026.9.1, a custom message not displayed). */
const TURN_ABORTED_NOTE = "<turn_aborted>\nThe previous turn was interrupted. Any running background processes may still be active. If any tools or commands were aborted, they may have partially executed.\n</turn_aborted>";

/**
 * The aborted runner's end (observed live on both releases, after chat.abort's events and partial reply):
 * 2026.9.1 writes its prompt-error event, an empty aborted assistant message and the turn-aborted note;
 * both mark the session `killed` with `abortedLastRun`, and send the runner's lifecycle `error`.
 */
function abortedTail(state: ChatRunState, p: Plan, rec: RunRecord): void {
  const w = state.writer;
  try {
    writeAbortedRows(w, p, rec);
  } catch {
    // the legacy moved the transcript or the session meanwhile: its own writers own it now; the run still ends
  }
  rec.events.abortSettled(Date.now());
}

function writeAbortedRows(w: TranscriptWriter, p: Plan, rec: RunRecord): void {
  if (p.rules.abortRunnerRows) {
    const at = Date.now();
    w.appendCustom(p.target, { type: "custom", customType: "openclaw:prompt-error", data: { timestamp: at, runId: p.runId, sessionId: p.target.sessionId, provider: p.model.provider, model: p.model.model, api: "openai-completions", error: `${ABORTED_ERROR} | 20` } }, { at });
    w.appendMessage(
      p.target,
      { role: "assistant", content: [{ type: "text", text: "" }], api: "openai-completions", provider: p.model.provider, model: p.model.model, stopReason: "aborted", errorMessage: ABORTED_ERROR, timestamp: at, usage: zeroUsage(), __openclaw: { runId: p.runId } },
      { at: Date.now() },
    );
    w.appendCustom(p.target, { type: "custom_message", customType: "openclaw:turn-aborted", content: TURN_ABORTED_NOTE, display: false }, { at: Date.now() });
  }
  const endedAt = Date.now();
  w.patchEntry(p.target, (e: SessionEntry) => ({ ...e, updatedAt: endedAt, status: "killed", abortedLastRun: true, endedAt, runtimeMs: endedAt - rec.events.startedAt, lastRunId: p.runId }));
}

/**
 * The partial reply chat.abort stores (dist chat-aborted-partial / chat-transcript-persistence): an
 * assistant message of the gateway's own (`openclaw` / `gateway-injected`), keyed `<runId>:assistant`,
 * marked with the abort's origin.
 */
export function writeAbortedPartial(state: ChatRunState, rec: RunRecord, runId: string, text: string): void {
  const at = Date.now();
  state.writer.appendMessage(
    { storePath: rec.storePath, sessionKey: rec.sessionKey, sessionId: rec.sessionId },
    {
      role: "assistant",
      content: [{ type: "text", text }],
      openclawDisplayContent: [{ type: "text", text }],
      timestamp: at,
      stopReason: "stop",
      usage: zeroUsage(),
      api: "openai-responses",
      provider: "openclaw",
      model: "gateway-injected",
      idempotencyKey: `${runId}:assistant`,
      openclawAbort: { aborted: true, origin: "rpc", runId },
      __openclaw: { runId },
    },
    { idempotencyKey: `${runId}:assistant`, at },
  );
}
