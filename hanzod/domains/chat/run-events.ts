/**
 * A text turn's `chat` and `agent` events, in the legacy's order and payload shapes (observed on
 * 2026.9.1 and 2026.9.6 for a client without session subscriptions, which gets exactly these two event
 * families of every run: both are broadcast to every operator.read connection):
 *
 *   chat status preparing_workspace, agent run_status (same), the pair for preparing_context,
 *   agent lifecycle start, chat status starting_model, agent run_status (same),
 *   [2026.9.6: agent lifecycle model {provider, model}],
 *   per model chunk: agent assistant {text, delta, itemId} and, paced, chat delta (cumulative message),
 *   agent usage {outputTokens}, agent lifecycle finishing,
 *   [2026.9.6: agent lifecycle model {provider: null, model: null}],
 *   agent lifecycle end, the held-back chat delta (if any text was not sent yet), chat final.
 *
 * The payload `seq` is per run: every agent event takes the next one, a chat event carries the seq of
 * the agent event it follows (dist server-chat: agentRunSeq). Chat deltas are paced as the legacy paces
 * them (LIVE_TEXT_PACING_MS 75: the first at once, later ones only 75 ms after the last; what is held
 * back goes out after lifecycle end with its seq). The legacy also coalesces assistant events on a busy
 * socket (liveText delivery); hanzod sends each, so it can send more assistant events than the legacy,
 * with the same seqs for the ones both send.
 */
import { randomUUID } from "node:crypto";

const LIVE_TEXT_PACING_MS = 75;

export interface RunEventRules {
  /** 2026.9.6 reports the model as lifecycle `model` phases (and clears it after finishing). */
  lifecycleModelPhases: boolean;
  /**
   * What an aborted run's runner writes after the abort's own partial reply (observed live): 2026.9.1 its
   * `openclaw:prompt-error` custom event, an empty assistant message `stopReason: "aborted"` and the
   * `openclaw:turn-aborted` custom message (its next turn's context); 2026.9.6 nothing more.
   */
  abortRunnerRows: boolean;
  /** agent.wait's answer for an aborted chat run (observed): 2026.9.1 `{startedAt, endedAt, stopReason}`, 2026.9.6 `{endedAt, error: "aborted", stopReason}`. */
  abortWaitShape: "started" | "error";
  /**
   * agent.wait already waiting when a chat run ends (observed): 2026.9.1 answers `{runId, status, endedAt}` only
   * (a wait after the end adds the terminal receipt and reply); 2026.9.6 answers the full end either way.
   */
  liveWaitEndOnly: boolean;
}

export function runEventRules(release: string): RunEventRules | undefined {
  if (release === "2026.9.1") return { lifecycleModelPhases: false, abortRunnerRows: true, abortWaitShape: "started", liveWaitEndOnly: true };
  if (release === "2026.9.6") return { lifecycleModelPhases: true, abortRunnerRows: false, abortWaitShape: "error", liveWaitEndOnly: false };
  return undefined;
}

/** The runner's error text for a model call aborted by chat.abort (observed on both releases). */
export const ABORTED_ERROR = "This operation was aborted";

export interface RunIdentity {
  runId: string;
  sessionKey: string;
  sessionId: string;
  agentId: string;
  provider: string;
  model: string;
}

/** What the run's lifecycle end reported: agent.wait answers it. */
export interface RunEnd {
  endedAt: number;
  terminalReceipt: Record<string, unknown>;
  terminalReply: Record<string, unknown>;
}

export type Emit = (event: "chat" | "agent", payload: Record<string, unknown>) => void;

export class RunEvents {
  private seq = 0;
  private readonly itemId = `${randomUUID()}:1`;
  private text = "";
  private lastBroadcastText: string | undefined;
  private deltaSentAt: number | undefined;
  startedAt = 0;

  constructor(
    private readonly id: RunIdentity,
    private readonly rules: RunEventRules,
    private readonly emit: Emit,
  ) {}

  private chat(frame: Record<string, unknown>): void {
    this.emit("chat", { runId: this.id.runId, sessionKey: this.id.sessionKey, agentId: this.id.agentId, seq: this.seq, ...frame });
  }

  private agentPlain(stream: string, data: Record<string, unknown>): void {
    this.seq += 1;
    this.emit("agent", { runId: this.id.runId, stream, data, sessionKey: this.id.sessionKey, agentId: this.id.agentId, seq: this.seq, ts: Date.now(), isHeartbeat: false });
  }

  private lifecycle(data: Record<string, unknown>, ts = Date.now()): void {
    this.seq += 1;
    this.emit("agent", { runId: this.id.runId, sessionKey: this.id.sessionKey, sessionId: this.id.sessionId, agentId: this.id.agentId, stream: "lifecycle", data, seq: this.seq, ts, isHeartbeat: false });
  }

  /** A run phase: the chat status first, then the agent run_status, both with the phase's own seq. */
  private status(phase: string): void {
    this.seq += 1;
    this.chat({ state: "status", phase });
    this.emit("agent", { runId: this.id.runId, stream: "run_status", data: { phase }, sessionKey: this.id.sessionKey, agentId: this.id.agentId, seq: this.seq, ts: Date.now(), isHeartbeat: false });
  }

  /** Everything up to the model call. */
  start(): void {
    this.status("preparing_workspace");
    this.status("preparing_context");
    this.startedAt = Date.now();
    this.lifecycle({ phase: "start", startedAt: this.startedAt }, this.startedAt);
    this.status("starting_model");
    if (this.rules.lifecycleModelPhases) this.lifecycle({ phase: "model", provider: this.id.provider, model: this.id.model });
  }

  private delta(now: number): void {
    const deltaText = this.lastBroadcastText === undefined ? this.text : this.text.slice(this.lastBroadcastText.length);
    if (!deltaText) return;
    this.deltaSentAt = now;
    this.lastBroadcastText = this.text;
    this.chat({ state: "delta", deltaText, message: { role: "assistant", content: [{ type: "text", text: this.text }], timestamp: now } });
  }

  /** One content piece of the model's stream. */
  piece(delta: string): void {
    this.text += delta;
    this.agentPlain("assistant", { text: this.text, delta, itemId: this.itemId });
    const now = Date.now();
    if (this.deltaSentAt === undefined || now - this.deltaSentAt >= LIVE_TEXT_PACING_MS) this.delta(now);
  }

  /** The successful end: usage, finishing, end, the held-back delta, final. */
  finish(outputTokens: number | undefined, stopReason: string): RunEnd {
    this.seq += 1;
    this.emit("agent", { runId: this.id.runId, sessionKey: this.id.sessionKey, stream: "usage", data: { outputTokens }, agentId: this.id.agentId, seq: this.seq, ts: Date.now(), isHeartbeat: false });
    const endedAt = Date.now();
    this.lifecycle({ phase: "finishing", stopReason, aborted: false, livenessState: "working", endedAt }, endedAt);
    if (this.rules.lifecycleModelPhases) this.modelCleared();
    const end = Date.now();
    const terminalReply = { disposition: "visible", text: this.text };
    const terminalReceipt = {
      runId: this.id.runId,
      sessionId: this.id.sessionId,
      turnId: this.id.runId,
      requested: { provider: this.id.provider, model: this.id.model },
      effective: { provider: this.id.provider, model: this.id.model, responseModel: this.id.model },
      successfulToolNames: [],
      rerouted: false,
      terminalDisposition: "visible",
    };
    this.seq += 1;
    this.emit("agent", {
      runId: this.id.runId,
      sessionKey: this.id.sessionKey,
      stream: "lifecycle",
      data: {
        stopReason,
        aborted: false,
        livenessState: "working",
        phase: "end",
        endedAt: end,
        startedAt: this.startedAt,
        replayInvalid: false,
        terminalReply,
        terminalReceipt,
        executionSettled: true,
      },
      sessionId: this.id.sessionId,
      agentId: this.id.agentId,
      seq: this.seq,
      ts: end,
      isHeartbeat: false,
    });
    this.delta(Date.now());
    this.chat({ state: "final", stopReason, message: { role: "assistant", content: [{ type: "text", text: this.text }], timestamp: Date.now() } });
    return { endedAt: end, terminalReceipt, terminalReply };
  }

  /** 2026.9.6: the run's model cleared once it stops calling it (the lane's lifecycle `model` phase with nulls). */
  private modelCleared(): void {
    this.seq += 1;
    this.emit("agent", { runId: this.id.runId, agentId: this.id.agentId, sessionId: this.id.sessionId, sessionKey: this.id.sessionKey, lane: "main", stream: "lifecycle", data: { phase: "model", provider: null, model: null }, seq: this.seq, ts: Date.now(), isHeartbeat: false });
  }

  /** Whether the run's lifecycle has started (an abort before it is not one hanzod answers). */
  get started(): boolean {
    return this.startedAt !== 0;
  }

  /**
   * chat.abort of this run (dist chat-abort `abortChatRunById`): `chat` aborted with the partial reply
   * (if any text streamed) and the seq after the run's last, then the agent lifecycle `end` cancelled,
   * which takes that same seq; `registeredAt` is when the send was received (the abort registration's
   * start, the legacy's `startedAtMs`). Returns the partial text, undefined if none.
   */
  aborted(stopReason: string, registeredAt: number, endedAt: number): string | undefined {
    const partial = this.text.trim() ? this.text : undefined;
    this.emit("chat", {
      runId: this.id.runId,
      sessionKey: this.id.sessionKey,
      agentId: this.id.agentId,
      seq: this.seq + 1,
      state: "aborted",
      stopReason,
      ...(partial ? { message: { role: "assistant", content: [{ type: "text", text: partial }], timestamp: Date.now() } } : {}),
    });
    this.lifecycle({ phase: "end", status: "cancelled", aborted: true, stopReason, startedAt: registeredAt, endedAt }, endedAt);
    return partial;
  }

  /**
   * The aborted runner's own end, after the abort (observed on both releases): 2026.9.6 reports its
   * model again and clears it, then both send lifecycle `error` with the abort's error, settled.
   */
  abortSettled(endedAt: number): void {
    if (this.rules.lifecycleModelPhases) {
      this.lifecycle({ phase: "model", provider: this.id.provider, model: this.id.model });
      this.modelCleared();
    }
    this.seq += 1;
    this.emit("agent", {
      runId: this.id.runId,
      sessionKey: this.id.sessionKey,
      stream: "lifecycle",
      data: { phase: "error", endedAt, startedAt: this.startedAt, error: ABORTED_ERROR, aborted: true, stopReason: "aborted", executionSettled: true },
      sessionId: this.id.sessionId,
      agentId: this.id.agentId,
      seq: this.seq,
      ts: Date.now(),
      isHeartbeat: false,
    });
  }

  /** A run that failed after the ack: lifecycle error, then chat error with the message (dist server-chat). */
  fail(errorMessage: string): void {
    const endedAt = Date.now();
    this.lifecycle({ phase: "error", error: errorMessage, startedAt: this.startedAt, endedAt }, endedAt);
    this.chat({ state: "error", errorMessage });
  }

  get fullText(): string {
    return this.text;
  }
}
