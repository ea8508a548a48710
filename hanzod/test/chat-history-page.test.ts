/**
 * The transcript page of `chat.history` (domains/chat/messages.ts) on transcripts shaped like the legacy's
 * rows: the cases the live comparison (chat-history.test.ts) cannot reach in one turn. A text cut never
 * leaves half a surrogate pair; every transcript feature hanzod does not project is refused by name, never
 * shown differently.
 */
import { describe, expect, it } from "vitest";
import { historyPage, ProjectionRefusal } from "../domains/chat/messages.js";
import { transcriptDisplaySource, type ActiveTranscriptEvent, type TranscriptSnapshot } from "../state/transcripts.js";

const AT = { dbPath: "/state/agents/main/agent/openclaw-agent.sqlite", agentId: "main" };
const PAGE = { limit: undefined, offset: undefined, maxChars: undefined, maxBytes: undefined };

function event(seq: number, messagePosition: number | null, body: Record<string, unknown>): ActiveTranscriptEvent {
  return { activePosition: seq, seq, messagePosition, eventType: String(body.type), eventJson: JSON.stringify({ id: `e${seq}`, parentId: seq > 0 ? `e${seq - 1}` : null, ...body }), createdAt: 1000 + seq };
}
const user = (text: string) => ({ type: "message", message: { role: "user", content: text, timestamp: 1, idempotencyKey: "k:user", __openclaw: { senderIsOwner: true } } });
const assistant = (content: unknown, extra: Record<string, unknown> = {}) => ({ type: "message", message: { role: "assistant", content, stopReason: "stop", timestamp: 2, __openclaw: { runId: "r" }, ...extra } });

function snapshot(events: ActiveTranscriptEvent[], over: Partial<TranscriptSnapshot> = {}): TranscriptSnapshot {
  const maxSeq = events.length ? Math.max(...events.map((e) => e.seq)) : undefined;
  const messages = events.filter((e) => e.messagePosition !== null).length;
  return { sessionId: "s1", generation: "g1", maxSeq, index: { indexedSeq: maxSeq ?? 0, leafEventId: `e${maxSeq}`, needsRebuild: false, activeMessageCount: messages }, events, pendingInputs: 0, coldArchived: false, ...over };
}

const turn = () => [event(0, null, { type: "session" }), event(1, 0, user("hello there")), event(2, null, { type: "custom", customType: "model-snapshot" }), event(3, 1, assistant([{ type: "text", text: "general kenobi" }]))];

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof ProjectionRefusal) return err.message;
    throw err;
  }
  throw new Error("not refused");
}

describe("chat.history page from a stored transcript", () => {
  it("projects a text turn with the legacy's display metadata, cursor and leaf", () => {
    const page = historyPage(snapshot(turn()), AT, PAGE);
    const source = transcriptDisplaySource(AT.dbPath, "main", "s1", "g1");
    expect(page.messages[0]).toEqual({ role: "user", content: "hello there", timestamp: 1, idempotencyKey: "k:user", __openclaw: { senderIsOwner: true, id: "e1", idempotencyKey: "k:user", recordTimestampMs: 1001, transcriptPosition: { source, rawSeq: 1 }, seq: 1 } });
    expect(page.messages[1]?.__openclaw).toEqual({ runId: "r", id: "e3", recordTimestampMs: 1003, transcriptPosition: { source, rawSeq: 3 }, seq: 2 });
    expect(page.paging).toEqual({ hasMore: false, totalMessages: 2 });
    expect(JSON.parse(Buffer.from(page.deltaCursor as string, "base64url").toString())).toEqual({ agentId: "main", generation: "g1", lastSeq: 3, sessionId: "s1", version: 1 });
    expect(page.activeLeafEntryId).toBe("e3");
  });

  it("pages back from the tail: nextOffset, hasMore, the echoed offset, no cursor or leaf off the tail", () => {
    const one = historyPage(snapshot(turn()), AT, { ...PAGE, limit: 1 });
    expect(one.messages.map((m) => m.role)).toEqual(["assistant"]);
    expect(one.paging).toEqual({ nextOffset: 1, hasMore: true, totalMessages: 2 });
    const back = historyPage(snapshot(turn()), AT, { ...PAGE, limit: 1, offset: 1 });
    expect(back.messages.map((m) => m.role)).toEqual(["user"]);
    expect(back.paging).toEqual({ offset: 1, hasMore: false, totalMessages: 2 });
    expect(back.deltaCursor).toBeUndefined();
    expect(back.activeLeafEntryId).toBeUndefined();
    const past = historyPage(snapshot(turn()), AT, { ...PAGE, offset: 9 });
    expect(past.messages).toEqual([]);
    expect(past.paging).toEqual({ offset: 9, hasMore: false, totalMessages: 2 });
    expect(historyPage(undefined, AT, PAGE)).toEqual({ messages: [], paging: { hasMore: false, totalMessages: 0 }, deltaCursor: undefined, activeLeafEntryId: null });
  });

  it("caps texts at maxChars without splitting a surrogate pair, and marks the message", () => {
    const events = [event(0, 0, user("ab😀cd")), event(1, 1, assistant([{ type: "text", text: "xyz" }]))];
    const page = historyPage(snapshot(events), AT, { ...PAGE, maxChars: 3 });
    expect(page.messages[0]?.content).toBe("ab\n...(truncated)...");
    expect(page.messages[0]?.__openclaw).toMatchObject({ truncated: true, reason: "display-cap" });
    expect(page.messages[1]?.content).toEqual([{ type: "text", text: "xyz" }]);
    expect(page.messages[1]?.__openclaw).not.toHaveProperty("truncated");
  });

  it("refuses what it does not project, naming it", () => {
    const withLast = (last: Record<string, unknown>) => snapshot([event(0, 0, user("q")), event(1, 1, last)]);
    expect(refusal(() => historyPage(withLast(assistant([{ type: "toolCall", id: "t", name: "exec", arguments: {} }])), AT, PAGE))).toContain("non-text content");
    expect(refusal(() => historyPage(withLast(assistant([{ type: "text", text: "NO_REPLY" }])), AT, PAGE))).toContain("control tokens");
    expect(refusal(() => historyPage(withLast(assistant([{ type: "text", text: "x" }], { stopReason: "error" })), AT, PAGE))).toContain('stopReason "error"');
    expect(refusal(() => historyPage(withLast({ type: "message", message: { role: "toolResult", content: [] } }), AT, PAGE))).toContain("toolResult");
    expect(refusal(() => historyPage(snapshot([event(0, null, { type: "compaction" })]), AT, PAGE))).toContain('"compaction"');
    expect(refusal(() => historyPage(snapshot(turn(), { pendingInputs: 1 }), AT, PAGE))).toContain("pending inputs");
    expect(refusal(() => historyPage(snapshot(turn(), { coldArchived: true }), AT, PAGE))).toContain("cold storage");
    const behind = snapshot(turn());
    expect(refusal(() => historyPage({ ...behind, index: { ...behind.index!, indexedSeq: 2 } }, AT, PAGE))).toContain("indexed");
    const compressed = turn();
    compressed[3] = { ...compressed[3]!, eventJson: null };
    expect(refusal(() => historyPage(snapshot(compressed), AT, PAGE))).toContain("compressed");
    expect(refusal(() => historyPage(snapshot(turn()), AT, { ...PAGE, maxBytes: 100 }))).toContain("maxBytes");
  });
});
