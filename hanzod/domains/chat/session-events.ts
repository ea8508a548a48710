/**
 * A text turn's per-subscriber session events (issue #11, deliver item 2): `sessions.changed` to the
 * connections that called `sessions.subscribe`, `session.message` to those and to the session's message
 * subscribers (`sessions.messages.subscribe {key}`), as the legacy sends them during a `chat.send` turn
 * (dist server-session-events: createTranscriptUpdateBroadcastHandler, createLifecycleEventBroadcastHandler;
 * server-chat: the lifecycle `phase` broadcasts; chat-send-handler: reasons "send", "agent.run.started",
 * "agent.input.settled"). Observed on 2026.9.1 and 2026.9.6 for a text turn of `agent:main:main`:
 *
 *   sessions.changed {reason: "send"}, [the legacy only: {reason: "participants"}], the run's first chat
 *   event, ..., session.message (the user turn), ..., sessions.changed {reason: "agent.run.started"},
 *   sessions.changed {phase: "start", runId}, [2026.9.6: {phase: "model", runId}], ...,
 *   session.message (the reply, with runId), ..., chat final, sessions.changed {reason:
 *   "agent.input.settled"}, [2026.9.6: {phase: "model", runId}], sessions.changed {phase: "end", runId}.
 *
 * The payloads are the legacy's own shapes for a session it has no row for (buildGatewaySessionSnapshot
 * answers {} without a row): the event's fields, without the session snapshot (`session` and its flat
 * copies). hanzod cannot present that row as the legacy does (its row materializer, hanzod/domains/
 * sessions/row.ts, declines configs with `models.providers`; the row also carries the legacy's
 * in-memory run state: `hasActiveRun`, `activeRunIds`, `activeModel`, and its prompt estimate
 * `contextBudgetStatus`). hanzod/state/README.md, "Session events of a text turn", lists the limits.
 *
 * The events are driven by the run's own `chat`/`agent` events (`wrap`), so run-events.ts stays as it
 * is, plus one hook per stored message (`message`).
 */
import { SESSIONS_TOPIC, sessionMessagesTopic } from "../../core/session-subscriptions.js";
import type { TurnTarget } from "../../state/transcript-writer.js";
import type { ChatReadState } from "./history.js";
import { historyPage, ProjectionRefusal } from "./messages.js";
import type { Emit } from "./run-events.js";

export type SessionEventName = "sessions.changed" | "session.message";
/** Sends to the connections subscribed to any of `topics` (each gets it once). */
export type SessionEmit = (event: SessionEventName, payload: Record<string, unknown>, topics: readonly string[]) => void;

export interface SessionEventRules {
  /** 2026.9.6 announces the admitted send (reason "send") before the run's first event. */
  sendReason: boolean;
  /** The user turn's session.message: before the run's first event (2026.9.1) or after preparing_context (2026.9.6). */
  userMessageAt: "first" | "preparing_context";
  /** The run-started reason, and the run_status after which it goes. */
  started: { reason: string; after: "preparing_context" | "starting_model" };
  /** `phase: "start"` right after the lifecycle start (2026.9.1) or after the started reason (2026.9.6). */
  startPhaseAt: "lifecycle" | "started";
  /** 2026.9.6 broadcasts its lifecycle `model` phases too. */
  modelPhases: boolean;
  /** The settled reason, and whether it goes before the terminal phases (2026.9.6) or after them (2026.9.1). */
  settled: { reason: string; first: boolean };
}

export function sessionEventRules(release: string): SessionEventRules | undefined {
  if (release === "2026.9.1") return { sendReason: false, userMessageAt: "first", started: { reason: "chat.run.started", after: "preparing_context" }, startPhaseAt: "lifecycle", modelPhases: false, settled: { reason: "chat.run.settled", first: false } };
  if (release === "2026.9.6") return { sendReason: true, userMessageAt: "preparing_context", started: { reason: "agent.run.started", after: "starting_model" }, startPhaseAt: "started", modelPhases: true, settled: { reason: "agent.input.settled", first: true } };
  return undefined;
}

export interface SessionEventsIdentity {
  runId: string;
  sessionKey: string;
  agentId: string;
}

const USER_TOPICS = (key: string) => [SESSIONS_TOPIC, sessionMessagesTopic(key)];

export class SessionEvents {
  private started = false;
  /** The user turn's session.message, stored before the run's first event and sent where the release sends it. */
  private userMessage: Record<string, unknown> | undefined;
  /** The lifecycle start's ts: the `phase: "start"` broadcast carries it. */
  private startTs: unknown;
  /** The lifecycle `model` clear's ts (2026.9.6), sent after the terminal chat event. */
  private modelCleared: unknown;
  /** The lifecycle `end`/`error` event, for the phase broadcast after the terminal chat event. */
  private terminal: { phase: string; ts: unknown } | undefined;

  constructor(
    private readonly id: SessionEventsIdentity,
    private readonly rules: SessionEventRules,
    private readonly send: SessionEmit,
  ) {}

  private changed(fields: Record<string, unknown>): void {
    this.send("sessions.changed", { sessionKey: this.id.sessionKey, agentId: this.id.agentId, ...fields }, [SESSIONS_TOPIC]);
  }

  private phase(phase: string, ts: unknown): void {
    this.changed({ phase, runId: this.id.runId, ts });
  }

  private flushUserMessage(): void {
    if (this.userMessage) this.send("session.message", this.userMessage, USER_TOPICS(this.id.sessionKey));
    this.userMessage = undefined;
  }

  /** The run's chat/agent emitter, with the session events placed where the legacy sends them. */
  wrap(emit: Emit): Emit {
    const r = this.rules;
    return (event, payload) => {
      if (!this.started) {
        this.started = true;
        if (r.sendReason) this.changed({ reason: "send", ts: Date.now() });
        if (r.userMessageAt === "first") this.flushUserMessage();
      }
      emit(event, payload);
      const data = (payload.data ?? {}) as Record<string, unknown>;
      if (event === "agent" && payload.stream === "run_status") {
        if (data.phase === "preparing_context" && r.userMessageAt === "preparing_context") this.flushUserMessage();
        if (data.phase === r.started.after) {
          this.changed({ reason: r.started.reason, ts: Date.now() });
          if (r.startPhaseAt === "started") this.phase("start", this.startTs);
        }
      } else if (event === "agent" && payload.stream === "lifecycle") {
        if (data.phase === "start") {
          this.startTs = payload.ts;
          if (r.startPhaseAt === "lifecycle") this.phase("start", payload.ts);
        } else if (data.phase === "model" && r.modelPhases) {
          if (data.provider !== null) this.phase("model", payload.ts);
          else this.modelCleared = payload.ts;
        } else if (data.phase === "end" || data.phase === "error") this.terminal = { phase: data.phase, ts: payload.ts };
      } else if (event === "chat" && (payload.state === "final" || payload.state === "error")) {
        // After the terminal chat event: the settled reason (chat-send-handler) and the lifecycle
        // broadcasts that wait for the session row's persistence (server-chat), in the release's order.
        if (r.settled.first) this.changed({ reason: r.settled.reason, ts: Date.now() });
        if (this.modelCleared !== undefined) this.phase("model", this.modelCleared);
        if (this.terminal) this.phase(this.terminal.phase, this.terminal.ts);
        if (!r.settled.first) this.changed({ reason: r.settled.reason, ts: Date.now() });
      }
    };
  }

  /**
   * A message the turn stored: `session.message` with the message as the legacy's display projection
   * shows it (what `chat.history` answers, read back from the transcript), its id and seq; the reply
   * carries the run's id. The user turn's waits for its place in the run's events (`wrap`).
   */
  message(state: ChatReadState, target: TurnTarget & { agentId: string }, role: "user" | "assistant"): void {
    let message: Record<string, unknown> | undefined;
    try {
      const transcript = state.transcripts.snapshot(target.storePath, target.sessionId);
      const page = historyPage(transcript, { dbPath: target.storePath, agentId: target.agentId }, { limit: 1, uncappedLimit: true, offset: undefined, maxChars: Infinity, maxBytes: Infinity });
      message = page.messages[page.messages.length - 1] as Record<string, unknown> | undefined;
    } catch (err) {
      // A reply hanzod's projection does not show as the legacy would (e.g. reply tags): no event rather
      // than a different message (hanzod/state/README.md, "Session events of a text turn").
      if (err instanceof ProjectionRefusal) return;
      throw err;
    }
    if (!message) return;
    const meta = (message.__openclaw ?? {}) as Record<string, unknown>;
    const payload: Record<string, unknown> = { sessionKey: this.id.sessionKey };
    if (typeof meta.senderIsOwner === "boolean") payload.senderIsOwner = meta.senderIsOwner;
    payload.agentId = this.id.agentId;
    payload.message = message;
    if (typeof meta.id === "string") payload.messageId = meta.id;
    if (typeof meta.seq === "number") payload.messageSeq = meta.seq;
    if (role === "assistant") {
      payload.runId = this.id.runId;
      this.send("session.message", payload, USER_TOPICS(this.id.sessionKey));
    } else {
      this.userMessage = payload;
      if (this.started && this.rules.userMessageAt === "first") this.flushUserMessage();
    }
  }
}
