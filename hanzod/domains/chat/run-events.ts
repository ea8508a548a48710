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
}

export function runEventRules(release: string): RunEventRules | undefined {
  if (release === "2026.9.1") return { lifecycleModelPhases: false };
  if (release === "2026.9.6") return { lifecycleModelPhases: true };
  return undefined;
}

export interface RunIdentity {
  runId: string;
  sessionKey: string;
  sessionId: string;
  agentId: string;
  provider: string;
  model: string;
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
  finish(outputTokens: number | undefined, stopReason: string): void {
    this.seq += 1;
    this.emit("agent", { runId: this.id.runId, sessionKey: this.id.sessionKey, stream: "usage", data: { outputTokens }, agentId: this.id.agentId, seq: this.seq, ts: Date.now(), isHeartbeat: false });
    const endedAt = Date.now();
    this.lifecycle({ phase: "finishing", stopReason, aborted: false, livenessState: "working", endedAt }, endedAt);
    if (this.rules.lifecycleModelPhases) {
      this.seq += 1;
      this.emit("agent", { runId: this.id.runId, agentId: this.id.agentId, sessionId: this.id.sessionId, sessionKey: this.id.sessionKey, lane: "main", stream: "lifecycle", data: { phase: "model", provider: null, model: null }, seq: this.seq, ts: Date.now(), isHeartbeat: false });
    }
    const end = Date.now();
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
        terminalReply: { disposition: "visible", text: this.text },
        terminalReceipt: {
          runId: this.id.runId,
          sessionId: this.id.sessionId,
          turnId: this.id.runId,
          requested: { provider: this.id.provider, model: this.id.model },
          effective: { provider: this.id.provider, model: this.id.model, responseModel: this.id.model },
          successfulToolNames: [],
          rerouted: false,
          terminalDisposition: "visible",
        },
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
