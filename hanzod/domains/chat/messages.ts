/**
 * A `chat.history` page from a stored transcript, the way the legacy's history reader projects it
 * (dist chat-history-page-kernel, session-history-tail, chat-display-projection): the active branch's
 * messages in order, each with its `__openclaw` display metadata (`id`, `recordTimestampMs`,
 * `transcriptPosition`, `seq`), texts capped at `maxChars`, the tail (or the page `offset` messages
 * back from it) of at most `limit` messages, `nextOffset` / `hasMore` / `totalMessages`, and the
 * `deltaCursor` a client resumes from.
 *
 * The legacy's display projection does much more than this (tool calls and results, images and
 * canvases, commentary and reasoning, compaction and reset markers, heartbeat and announce turns,
 * control tokens, media directives, error turns and their recovery, profile attribution). hanzod
 * projects plain user and assistant text turns, which it has compared with the legacy's answers, and
 * names anything else for a refusal instead of showing it differently.
 */
import type { TranscriptSnapshot } from "../../state/transcripts.js";
import { transcriptDisplaySource } from "../../state/transcripts.js";

/** dist chat-history-constants / chat-display-projection.helpers / server-constants. */
export const CHAT_HISTORY_MAX_ENTRIES = 1000;
export const CHAT_HISTORY_DEFAULT_LIMIT = 200;
export const CHAT_HISTORY_DEFAULT_MAX_CHARS = 8000;
export const CHAT_HISTORY_MAX_BYTES = 6_291_456;
const CHAT_HISTORY_MAX_SINGLE_MESSAGE_BYTES = 131_072;

/** Stored message fields the projection passes through unchanged (as the legacy does for text turns). */
const MESSAGE_FIELDS = new Set(["role", "content", "timestamp", "idempotencyKey", "__openclaw", "api", "provider", "model", "usage", "stopReason", "responseId"]);
const METADATA_FIELDS = new Set(["senderIsOwner", "transport", "runId"]);
/** Event types that are never displayed (navigation, settings, the run's own bookkeeping). */
const HIDDEN_EVENT_TYPES = new Set(["session", "thinking_level_change", "model_change", "custom"]);
/**
 * Texts the legacy's projection rewrites (silent-reply and heartbeat tokens, media directives, reply
 * tags in assistant text; inbound metadata envelopes in user text).
 */
const ASSISTANT_REWRITES = /NO_REPLY|HEARTBEAT_OK|MEDIA:|\[\[/;
const USER_REWRITES = /untrusted metadata|^System:/m;

export interface HistoryPageParams {
  limit: number | undefined;
  /** The raw reader (`sessions.get`) takes any limit; `chat.history` caps it at 1000. */
  uncappedLimit?: boolean;
  offset: number | undefined;
  maxChars: number | undefined;
  maxBytes: number | undefined;
}

export interface HistoryPage {
  messages: Record<string, unknown>[];
  /** The answer's pagination fields, in the legacy's order (offset, nextOffset, hasMore, totalMessages). */
  paging: Record<string, unknown>;
  deltaCursor: string | undefined;
  /** The branch leaf for sessionInfo, when the page is the tail (the legacy sets it only then). */
  activeLeafEntryId: string | null | undefined;
}

export class ProjectionRefusal extends Error {}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The legacy's UTF-16-safe cap (dist utf16-slice: truncateUtf16Safe): a surrogate pair is never cut in half. */
function truncateText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = Math.max(0, Math.floor(maxChars));
  if (end > 0 && isHigh(text.charCodeAt(end - 1)) && isLow(text.charCodeAt(end))) end -= 1;
  return { text: `${text.slice(0, end)}\n...(truncated)...`, truncated: true };
}

function textBlocksOnly(content: unknown): content is { type: "text"; text: string }[] {
  return Array.isArray(content) && content.every((b) => b !== null && typeof b === "object" && Object.keys(b).length === 2 && (b as { type?: unknown }).type === "text" && typeof (b as { text?: unknown }).text === "string");
}

/** One stored message event as the legacy displays it, or a refusal naming what it holds. */
function projectMessage(event: Record<string, unknown>, seq: number, createdAt: number, position: number, source: string, maxChars: number): Record<string, unknown> {
  const message = event.message as Record<string, unknown> | undefined;
  if (!message || typeof message !== "object") throw new ProjectionRefusal("a message event without a message");
  for (const k of Object.keys(message)) if (!MESSAGE_FIELDS.has(k)) throw new ProjectionRefusal(`a message with "${k}"`);
  const stored = (message.__openclaw ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(stored)) if (!METADATA_FIELDS.has(k)) throw new ProjectionRefusal(`a message with "__openclaw.${k}"`);
  const out: Record<string, unknown> = { ...message };
  let truncated = false;
  if (message.role === "user") {
    if (typeof message.content === "string") {
      if (USER_REWRITES.test(message.content)) throw new ProjectionRefusal("a user message with inbound metadata");
      const t = truncateText(message.content, maxChars);
      out.content = t.text;
      truncated = t.truncated;
    } else throw new ProjectionRefusal("a user message with structured content");
  } else if (message.role === "assistant") {
    if (message.stopReason !== "stop") throw new ProjectionRefusal(`an assistant message with stopReason "${String(message.stopReason)}"`);
    if (!textBlocksOnly(message.content)) throw new ProjectionRefusal("an assistant message with non-text content (tools, reasoning, media)");
    out.content = message.content.map((b) => {
      if (ASSISTANT_REWRITES.test(b.text)) throw new ProjectionRefusal("an assistant text with control tokens, media or reply tags");
      const t = truncateText(b.text, maxChars);
      truncated ||= t.truncated;
      return t.truncated ? { ...b, text: t.text } : b;
    });
  } else throw new ProjectionRefusal(`a message with role "${String(message.role)}"`);
  if (typeof event.id !== "string" || !event.id) throw new ProjectionRefusal("a message event without an id");
  out.__openclaw = {
    ...stored,
    id: event.id,
    ...(typeof message.idempotencyKey === "string" ? { idempotencyKey: message.idempotencyKey } : {}),
    recordTimestampMs: createdAt,
    transcriptPosition: { source, rawSeq: seq },
    seq: position + 1,
    ...(truncated ? { truncated: true, reason: "display-cap" } : {}),
  };
  return out;
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v), "utf8");
}

/** dist chat-history-page-kernel: resolveChatHistoryNextOffset, for pages where each message has its own seq. */
function nextOffset(messages: readonly Record<string, unknown>[], total: number, offset: number, rawPageMessages: number): number {
  const oldest = (messages[0]?.__openclaw as { seq?: number } | undefined)?.seq;
  if (oldest === undefined) return offset + rawPageMessages;
  return Math.max(offset + 1, total - oldest + 1);
}

/**
 * The page for a session window. `transcript` is undefined when the session has no window (no entry
 * or no session id): the legacy answers an empty page then.
 */
export function historyPage(transcript: TranscriptSnapshot | undefined, at: { dbPath: string; agentId: string }, p: HistoryPageParams): HistoryPage {
  const max = p.uncappedLimit ? (p.limit ?? CHAT_HISTORY_DEFAULT_LIMIT) : Math.min(CHAT_HISTORY_MAX_ENTRIES, p.limit ?? CHAT_HISTORY_DEFAULT_LIMIT);
  const maxChars = p.maxChars ?? CHAT_HISTORY_DEFAULT_MAX_CHARS;
  const tail = p.offset === undefined || p.offset === 0;
  const offset = p.offset ?? 0;
  const withOffset = (fields: Record<string, unknown>) => (p.offset !== undefined ? { offset: p.offset, ...fields } : fields);
  if (!transcript) {
    return { messages: [], paging: withOffset({ hasMore: false, totalMessages: 0 }), deltaCursor: undefined, activeLeafEntryId: tail ? null : undefined };
  }
  if (transcript.coldArchived) throw new ProjectionRefusal("a transcript in cold storage");
  const idx = transcript.index;
  if (transcript.maxSeq !== undefined && (!idx || idx.needsRebuild || idx.indexedSeq < transcript.maxSeq)) throw new ProjectionRefusal("a transcript the legacy has not fully indexed yet");
  if (transcript.pendingInputs > 0) throw new ProjectionRefusal("a session with pending inputs");
  if (transcript.maxSeq !== undefined && !transcript.generation) throw new ProjectionRefusal("a transcript without a generation");
  const source = transcript.generation ? transcriptDisplaySource(at.dbPath, at.agentId, transcript.sessionId, transcript.generation) : "";

  const rows: { event: Record<string, unknown>; seq: number; createdAt: number; position: number }[] = [];
  for (const e of transcript.events) {
    if (e.eventJson === null) throw new ProjectionRefusal("a compressed transcript event");
    if (e.messagePosition === null) {
      if (!HIDDEN_EVENT_TYPES.has(e.eventType ?? "")) throw new ProjectionRefusal(`a transcript event of type "${String(e.eventType)}"`);
      if (e.eventType === "custom" && (JSON.parse(e.eventJson) as { display?: unknown }).display === true) throw new ProjectionRefusal("a displayed custom transcript event");
      continue;
    }
    rows.push({ event: JSON.parse(e.eventJson) as Record<string, unknown>, seq: e.seq, createdAt: e.createdAt, position: e.messagePosition });
  }
  const total = rows.length;
  if (idx && idx.activeMessageCount !== total) throw new ProjectionRefusal("a transcript whose index disagrees with its events");
  const end = Math.max(0, total - offset);
  const start = Math.max(0, end - max);
  const messages = rows.slice(start, end).map((r) => projectMessage(r.event, r.seq, r.createdAt, r.position, source, maxChars));

  // The legacy's byte budget: every message fits (else it substitutes placeholders or drops the oldest).
  // Infinity: no page budget (a single message read), only the single-message size.
  const budget = p.maxBytes === Infinity ? Infinity : Math.min(p.maxBytes ?? Infinity, CHAT_HISTORY_MAX_BYTES);
  let bytes = 2 + Math.max(0, messages.length - 1);
  for (const m of messages) {
    const b = jsonBytes(m);
    if (b > CHAT_HISTORY_MAX_SINGLE_MESSAGE_BYTES) throw new ProjectionRefusal("a message over the legacy's single-message display size");
    bytes += b;
  }
  if (bytes > budget) throw new ProjectionRefusal(`a page over the byte budget ("maxBytes")`);

  const rawPageMessages = Math.min(max, Math.max(end - start, total > offset ? 1 : 0));
  const next = nextOffset(messages, total, offset, rawPageMessages);
  const hasMore = next < total;
  const paging = withOffset({ ...(hasMore ? { nextOffset: next } : {}), hasMore, totalMessages: total });
  const cursor =
    tail && transcript.generation && transcript.maxSeq !== undefined
      ? Buffer.from(JSON.stringify({ agentId: at.agentId, generation: transcript.generation, lastSeq: transcript.maxSeq, sessionId: transcript.sessionId, version: 1 })).toString("base64url")
      : undefined;
  return { messages, paging, deltaCursor: cursor, activeLeafEntryId: tail ? (idx?.leafEventId ?? null) : undefined };
}
