/**
 * `chat.history` (dist chat-history-handler: handleChatHistoryRequest) on the legacy's own state: the
 * session resolved as the legacy resolves it (domains/sessions/describe.ts), its transcript page
 * (messages.ts) and its session info (session-info.ts), re-read from the agent database on every call.
 *
 * What needs the legacy's runtime is refused with UNAVAILABLE naming it: delta reads (`cursor`),
 * anchored reads (`messageId`, `sessionId`), pending-input receipts (`inputRunIds`, `pendingBefore`),
 * and every session, transcript or config the projections name.
 */
import { invalidRequest } from "../../core/method.js";
import type { SessionStoreReader } from "../../state/sessions.js";
import type { TranscriptReader } from "../../state/transcripts.js";
import { resolveSessionKey } from "../sessions/describe.js";
import { rowsFor, unavailable } from "../sessions/list.js";
import { historyPage, ProjectionRefusal } from "./messages.js";
import { chatRelease, configuredModel, historyDefaults, historySessionInfo, historyThinkingLevel } from "./session-info.js";

export interface ChatReadState {
  sessions: SessionStoreReader;
  transcripts: TranscriptReader;
}

const NEEDS_RUNTIME = ["cursor", "messageId", "sessionId", "inputRunIds", "pendingBefore"] as const;

function optionalNumber(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

export function chatHistory(state: ChatReadState, release: string, params: Record<string, unknown>, admin: boolean, now = Date.now()): Record<string, unknown> {
  // The legacy's own combination checks come before anything is read.
  if (params.offset !== undefined && params.messageId !== undefined) throw invalidRequest("offset and messageId cannot be used together");
  if (params.cursor !== undefined && (params.offset !== undefined || params.messageId !== undefined)) throw invalidRequest("cursor cannot be used with offset or messageId");
  if (params.sessionId !== undefined && params.messageId === undefined) throw invalidRequest("sessionId requires messageId");
  for (const name of NEEDS_RUNTIME) if (params[name] !== undefined) throw unavailable(`chat.history with "${name}"`);
  const rows = rowsFor(release);
  const chat = chatRelease(release);
  if (!chat) throw unavailable(`chat.history as openclaw ${release}`);
  const rawKey = params.sessionKey as string;
  try {
    const cfg = state.sessions.config();
    const model = configuredModel(cfg);
    const { agentId, key } = resolveSessionKey(state.sessions, cfg, rawKey, params.agentId);
    const { targets, defaultAgentId } = state.sessions.targets(cfg);
    const target = targets.find((t) => t.agentId === agentId && t.configured);
    if (!target) throw new ProjectionRefusal(`a session key whose agent the config does not declare ("${rawKey}")`);
    const record = state.sessions.read([target], key)[0];
    const entry = record?.entry;
    const sessionId = typeof entry?.sessionId === "string" && entry.sessionId ? entry.sessionId : undefined;
    const transcript = sessionId ? state.transcripts.snapshot(target.storePath, sessionId) : undefined;
    const page = historyPage(transcript, { dbPath: target.storePath, agentId }, { limit: optionalNumber(params.limit), offset: optionalNumber(params.offset), maxChars: optionalNumber(params.maxChars), maxBytes: optionalNumber(params.maxBytes) });
    const defaults = historyDefaults(chat, rows, model, admin);
    const sessionInfo = historySessionInfo(state.transcripts, chat, rows, model, { key, entry, agentId, defaultAgentId, storePath: target.storePath, admin, now, activeLeafEntryId: page.activeLeafEntryId });
    const thinkingLevel = historyThinkingLevel(sessionInfo, defaults);
    return {
      sessionKey: rawKey,
      ...(sessionId ? { sessionId } : {}),
      messages: page.messages,
      pendingInputs: { items: [], total: 0 },
      ...(page.deltaCursor ? { deltaCursor: page.deltaCursor } : {}),
      ...page.paging,
      defaults,
      sessionInfo,
      ...(thinkingLevel !== undefined ? { thinkingLevel } : {}),
      ...(entry?.fastMode !== undefined ? { fastMode: entry.fastMode } : {}),
      ...(entry?.verboseLevel !== undefined ? { verboseLevel: entry.verboseLevel } : {}),
    };
  } catch (err) {
    if (err instanceof ProjectionRefusal) throw unavailable(`chat.history of ${err.message}`);
    throw err;
  }
}

/**
 * `sessions.get` (dist sessions-read): the session's most recent `limit` (default 200) stored messages as
 * the legacy's raw transcript reader returns them (the same `__openclaw` display metadata, no display
 * projection, no texts capped), `{messages: []}` for a session without a window. hanzod answers the plain
 * text turns it answers in `chat.history` and refuses the same transcripts.
 */
export function sessionsGet(state: ChatReadState, params: Record<string, unknown>): Record<string, unknown> {
  const raw = params.key ?? params.sessionKey;
  const rawKey = (typeof raw === "string" ? raw : typeof raw === "number" || typeof raw === "bigint" ? String(raw) : "").trim();
  if (!rawKey) throw invalidRequest("key required");
  const limit = typeof params.limit === "number" && Number.isFinite(params.limit) ? Math.max(1, Math.floor(params.limit)) : 200;
  try {
    const cfg = state.sessions.config();
    const { agentId, key } = resolveSessionKey(state.sessions, cfg, rawKey, typeof params.agentId === "string" && params.agentId.trim() ? params.agentId : undefined);
    const { targets } = state.sessions.targets(cfg);
    const target = targets.find((t) => t.agentId === agentId);
    if (target && !target.configured) throw new ProjectionRefusal(`a session of an agent the config does not declare ("${rawKey}")`);
    const entry = target ? state.sessions.read([target], key)[0]?.entry : undefined;
    const sessionId = typeof entry?.sessionId === "string" && entry.sessionId ? entry.sessionId : undefined;
    if (!target || !sessionId) return { messages: [] };
    const transcript = state.transcripts.snapshot(target.storePath, sessionId);
    const page = historyPage(transcript, { dbPath: target.storePath, agentId }, { limit, uncappedLimit: true, offset: undefined, maxChars: Infinity, maxBytes: undefined });
    return { messages: page.messages };
  } catch (err) {
    if (err instanceof ProjectionRefusal) throw unavailable(`sessions.get of ${err.message}`);
    throw err;
  }
}

/**
 * `chat.message.get` (dist chat-message-get-handler): one stored message by its id, displayed as in
 * `chat.history` (texts capped at `maxChars`, default 1,000,000): `{ok: true, message}`, or `{ok: false,
 * unavailableReason: "not_found"}` for a session without a window or an id that is no message of the
 * active branch. hanzod answers from the same page projection, so it refuses the transcripts `chat.history`
 * refuses, and pending inputs (`pending:` ids) when the session has any.
 */
export function chatMessageGet(state: ChatReadState, params: Record<string, unknown>): Record<string, unknown> {
  const rawKey = params.sessionKey as string;
  const messageId = params.messageId as string;
  const notFound = { ok: false, unavailableReason: "not_found" };
  try {
    const cfg = state.sessions.config();
    const { agentId, key } = resolveSessionKey(state.sessions, cfg, rawKey, params.agentId);
    const { targets } = state.sessions.targets(cfg);
    const target = targets.find((t) => t.agentId === agentId);
    if (target && !target.configured) throw new ProjectionRefusal(`a session of an agent the config does not declare ("${rawKey}")`);
    const entry = target ? state.sessions.read([target], key)[0]?.entry : undefined;
    const sessionId = typeof entry?.sessionId === "string" && entry.sessionId ? entry.sessionId : undefined;
    if (!target || !sessionId) return notFound;
    const transcript = state.transcripts.snapshot(target.storePath, sessionId);
    if (messageId.startsWith("pending:")) {
      if ((transcript?.pendingInputs ?? 0) > 0) throw new ProjectionRefusal("a pending input");
      return notFound;
    }
    const page = historyPage(transcript, { dbPath: target.storePath, agentId }, { limit: Number.MAX_SAFE_INTEGER, uncappedLimit: true, offset: undefined, maxChars: optionalNumber(params.maxChars) ?? 1_000_000, maxBytes: Infinity });
    const message = page.messages.find((m) => (m.__openclaw as { id?: unknown }).id === messageId);
    if (!message) {
      if (transcript && state.transcripts.hasEvent(target.storePath, sessionId, messageId)) throw new ProjectionRefusal("an event that is not a message of the active branch");
      return notFound;
    }
    return { ok: true, message };
  } catch (err) {
    if (err instanceof ProjectionRefusal) throw unavailable(`chat.message.get of ${err.message}`);
    throw err;
  }
}
