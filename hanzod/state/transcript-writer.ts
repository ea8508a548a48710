/**
 * hanzod's first writer of the legacy's own state: a chat turn appended to a session the legacy also
 * serves, in the legacy's per-agent schema, the way its transcript store appends (dist
 * session-accessor.sqlite-transcript-store `appendTranscriptEvent`, session-transcript-index
 * `createTranscriptIndexAppenderInTransaction`, session-transcript-fts, session-accessor.sqlite-entry-store
 * `bindSessionNode`), each append in one write transaction so the legacy never sees a half-written turn:
 *
 * - `transcript_events` (next `seq` read from the table, `created_at` = the event's timestamp,
 *   `event_utf8_bytes` where the schema has it), `transcript_event_identities` (the user turn's
 *   `message_idempotency_key`);
 * - the projection index, forward-appended as the legacy's appender does when the event extends the
 *   active branch: `session_transcript_active_events`, `session_transcript_index_state`, the FTS row
 *   (`session_transcript_fts` + `session_transcript_fts_rows` where the schema has it);
 * - `session_windows` (`updated_at`, `transcript_updated_at` strictly advanced);
 * - the session row (`session_nodes.entry_json` and its projected columns, re-certified valid).
 *
 * The legacy re-reads all of this from SQLite (its session-entry cache is keyed by `PRAGMA data_version`,
 * which another connection's commit moves), so what hanzod commits is what the legacy's next read and
 * next turn see. What it cannot append faithfully (an index behind its events, a compressed or cold
 * transcript, pending inputs) is named by `preflight` for a decline, before anything is written.
 */
import { randomUUID } from "node:crypto";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import type { SessionEntry } from "./sessions.js";

export interface TurnTarget {
  storePath: string;
  sessionKey: string;
  sessionId: string;
}

interface IndexState {
  indexedSeq: number;
  leafEventId: string | null;
  needsRebuild: boolean;
  activeEventCount: number;
  activeMessageCount: number;
}

/** A transcript message event as the legacy stores it. */
export interface MessageEvent {
  type: "message";
  id: string;
  parentId: string | null;
  timestamp: string;
  message: Record<string, unknown>;
}

const hasTable = (db: SqliteDatabase, name: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
const hasColumn = (db: SqliteDatabase, table: string, column: string): boolean => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);

/** The searchable text of a user or assistant message (dist session-transcript-projection-append readMessageText). */
function messageText(message: Record<string, unknown>): string | undefined {
  if (typeof message.content === "string") return message.content.trim() || undefined;
  if (!Array.isArray(message.content)) return undefined;
  const parts = (message.content as { type?: unknown; text?: unknown }[]).flatMap((b) => (b.type === "text" && typeof b.text === "string" && b.text.trim() ? [b.text] : []));
  return parts.length > 0 ? parts.join("\n") : undefined;
}

export class TranscriptWriter {
  private readonly open = new Map<string, SqliteDatabase>();

  private db(storePath: string): SqliteDatabase {
    let db = this.open.get(storePath);
    if (!db) {
      // The legacy holds its own write transactions briefly: wait for them rather than fail the turn.
      db = openSqlite(storePath, { fileMustExist: true, timeout: 10_000 });
      this.open.set(storePath, db);
    }
    return db;
  }

  private indexState(db: SqliteDatabase, sessionId: string): IndexState | undefined {
    const row = db.prepare("SELECT indexed_seq, leaf_event_id, needs_rebuild, active_event_count, active_message_count FROM session_transcript_index_state WHERE session_id = ?").get(sessionId) as
      | { indexed_seq: number; leaf_event_id: string | null; needs_rebuild: number; active_event_count: number; active_message_count: number }
      | undefined;
    return row && { indexedSeq: row.indexed_seq, leafEventId: row.leaf_event_id, needsRebuild: row.needs_rebuild !== 0, activeEventCount: row.active_event_count, activeMessageCount: row.active_message_count };
  }

  /**
   * Why a turn cannot be appended to this window as the legacy would, or undefined when it can: the
   * window must exist with a complete, current projection index (the legacy's appender would otherwise
   * leave the index for its lazy rebuild, which hanzod does not port), no compressed or cold rows, no
   * pending inputs (they belong to the legacy's queue).
   */
  preflight(t: TurnTarget): string | undefined {
    const db = this.db(t.storePath);
    const window = db.prepare("SELECT session_key FROM session_windows WHERE session_id = ?").get(t.sessionId) as { session_key: string } | undefined;
    if (!window) return "a session without a transcript window";
    if (window.session_key !== t.sessionKey) return "a transcript window owned by another session key";
    const state = this.indexState(db, t.sessionId);
    const max = (db.prepare("SELECT max(seq) AS seq FROM transcript_events WHERE session_id = ?").get(t.sessionId) as { seq: number | null }).seq;
    if (!state || max === null) return "a transcript without a projection index";
    if (state.needsRebuild || state.indexedSeq !== max || state.leafEventId === null) return "a transcript whose projection index is behind its events";
    if (db.prepare("SELECT 1 FROM session_transcript_active_events WHERE session_id = ? AND context_eligible IS NULL LIMIT 1").get(t.sessionId)) return "a transcript with unclassified events";
    if (hasColumn(db, "transcript_events", "event_zstd") && db.prepare("SELECT 1 FROM transcript_events WHERE session_id = ? AND event_zstd IS NOT NULL LIMIT 1").get(t.sessionId)) return "a transcript with compressed events";
    if (hasTable(db, "session_transcript_cold_archives") && db.prepare("SELECT 1 FROM session_transcript_cold_archives WHERE session_id = ?").get(t.sessionId)) return "a transcript in cold storage";
    if ((db.prepare("SELECT count(*) AS n FROM session_pending_inputs WHERE session_id = ?").get(t.sessionId) as { n: number }).n > 0) return "a session with pending inputs";
    if (!db.prepare("SELECT 1 FROM transcript_rewrite_watermarks WHERE session_id = ?").get(t.sessionId)) return "a transcript without a generation";
    return undefined;
  }

  /** Whether a message with this idempotency key is stored in the window (a turn already run, by either runtime). */
  hasMessageKey(t: TurnTarget, key: string): boolean {
    return this.db(t.storePath).prepare("SELECT 1 FROM transcript_event_identities WHERE session_id = ? AND message_idempotency_key = ?").get(t.sessionId, key) !== undefined;
  }

  /** The branch leaf a new message hangs from (the index state's leaf). */
  leaf(t: TurnTarget): string | null {
    return this.indexState(this.db(t.storePath), t.sessionId)?.leafEventId ?? null;
  }

  /**
   * Appends one message event (user or assistant) as the next event of the active branch, with its
   * identity, index rows and FTS row, in one transaction. Returns the stored event and its position.
   * Throws (nothing written) if the legacy appended in between so that the index no longer extends.
   */
  appendMessage(t: TurnTarget, message: Record<string, unknown>, opts: { idempotencyKey?: string; at: number }): { event: MessageEvent; seq: number; createdAt: number; messagePosition: number } {
    const r = this.append(t, (id, parentId, timestamp) => ({ type: "message", id, parentId, timestamp, message }), opts);
    return { event: r.event as unknown as MessageEvent, seq: r.seq, createdAt: r.createdAt, messagePosition: r.messagePosition as number };
  }

  /**
   * Appends one of the legacy's non-message tree entries (`custom` with `data`, `custom_message` with
   * `content` and `display`), shaped and keyed as the legacy writes them (`type`, `customType`, the body,
   * then `id`, `parentId`, `timestamp`). The projection indexes such an entry as an active event without
   * a message position and without an FTS row (dist session-transcript-projection-append:
   * `shouldProjectActiveEvent` true, `hasTranscriptMessage` false, `extractTranscriptIndexEntry` only for
   * messages), and the branch leaf moves to it.
   */
  appendCustom(t: TurnTarget, body: { type: "custom"; customType: string; data: Record<string, unknown> } | { type: "custom_message"; customType: string; content: string; display: boolean }, opts: { at: number }): { seq: number } {
    return this.append(t, (id, parentId, timestamp) => ({ ...body, id, parentId, timestamp }), opts);
  }

  private append(t: TurnTarget, build: (id: string, parentId: string | null, timestamp: string) => Record<string, unknown>, opts: { idempotencyKey?: string; at: number }): { event: Record<string, unknown>; seq: number; createdAt: number; messagePosition: number | null } {
    const db = this.db(t.storePath);
    const hasUtf8Bytes = hasColumn(db, "transcript_events", "event_utf8_bytes");
    const hasFtsRows = hasTable(db, "session_transcript_fts_rows");
    const hasFts = hasTable(db, "session_transcript_fts");
    return db.transaction(() => {
      const state = this.indexState(db, t.sessionId);
      const max = (db.prepare("SELECT max(seq) AS seq FROM transcript_events WHERE session_id = ?").get(t.sessionId) as { seq: number | null }).seq;
      if (!state || max === null || state.needsRebuild || state.indexedSeq !== max) throw new Error("hanzod: the transcript's projection index moved; the turn was not written");
      const seq = max + 1;
      const createdAt = opts.at;
      const id = randomUUID();
      const event = build(id, state.leafEventId, new Date(createdAt).toISOString());
      const message = event.type === "message" ? (event.message as Record<string, unknown>) : undefined;
      const json = JSON.stringify(event);
      if (hasUtf8Bytes) {
        db.prepare("INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_utf8_bytes) VALUES (?, ?, ?, ?, ?)").run(t.sessionId, seq, json, createdAt, Buffer.byteLength(json, "utf8"));
      } else {
        db.prepare("INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, ?)").run(t.sessionId, seq, json, createdAt);
      }
      db.prepare("INSERT INTO transcript_event_identities (session_id, event_id, seq, event_type, parent_id, message_idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(t.sessionId, id, seq, event.type, state.leafEventId, opts.idempotencyKey ?? null, createdAt);
      const text = message ? messageText(message) : undefined;
      if (text !== undefined && hasFts) {
        if (hasFtsRows) {
          db.prepare("INSERT INTO session_transcript_fts_rows (session_id, message_id) VALUES (?, ?)").run(t.sessionId, id);
          db.prepare("INSERT INTO session_transcript_fts (rowid, text, session_id, message_id, role, timestamp) VALUES (last_insert_rowid(), ?, ?, ?, ?, ?)").run(text, t.sessionId, id, message?.role, createdAt);
        } else {
          db.prepare("INSERT INTO session_transcript_fts (text, session_id, message_id, role, timestamp) VALUES (?, ?, ?, ?, ?)").run(text, t.sessionId, id, message?.role, createdAt);
        }
      }
      const messagePosition = message ? state.activeMessageCount : null;
      db.prepare("INSERT INTO session_transcript_active_events (session_id, active_position, event_seq, message_position, context_eligible) VALUES (?, ?, ?, ?, 1)").run(t.sessionId, state.activeEventCount, seq, messagePosition);
      db.prepare("UPDATE session_transcript_index_state SET indexed_seq = ?, leaf_event_id = ?, needs_rebuild = 0, active_event_count = ?, active_message_count = ?, updated_at = ? WHERE session_id = ?").run(seq, id, state.activeEventCount + 1, state.activeMessageCount + (message ? 1 : 0), createdAt, t.sessionId);
      this.touchWindow(db, t.sessionId, createdAt);
      return { event, seq, createdAt, messagePosition };
    }).immediate();
  }

  /** session_windows after an append: `updated_at` = the event's time, `transcript_updated_at` strictly advanced (dist touchTranscriptMutationInTransaction). */
  private touchWindow(db: SqliteDatabase, sessionId: string, createdAt: number): void {
    const row = db.prepare("SELECT transcript_updated_at AS u, transcript_observed_at AS o FROM session_windows WHERE session_id = ?").get(sessionId) as { u: number | null; o: number | null };
    const next = Math.max(Date.now(), (row.u ?? -1) + 1, (row.o ?? -1) + 1);
    db.prepare("UPDATE session_windows SET updated_at = ?, transcript_updated_at = ? WHERE session_id = ?").run(createdAt, next, sessionId);
  }

  /** The session row as stored now (entry_json), read inside the writer's own connection. */
  readEntry(t: TurnTarget): SessionEntry | undefined {
    const row = this.db(t.storePath).prepare("SELECT entry_json AS json FROM session_nodes WHERE session_key = ? AND entry_valid = 1").get(t.sessionKey) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as SessionEntry) : undefined;
  }

  /**
   * Rewrites the session row with `patch` applied to the entry read in the same transaction, and the
   * columns the legacy projects from it (dist bindSessionNode / bindSessionWindowEntryProjection), the row
   * certified valid as the legacy's canonical writer does. Refuses (throws) if the session moved to
   * another window meanwhile.
   */
  patchEntry(t: TurnTarget, patch: (entry: SessionEntry) => SessionEntry): SessionEntry {
    const db = this.db(t.storePath);
    return db.transaction(() => {
      const row = db.prepare("SELECT entry_json AS json, current_session_id AS sid FROM session_nodes WHERE session_key = ?").get(t.sessionKey) as { json: string; sid: string } | undefined;
      if (!row || row.sid !== t.sessionId) throw new Error("hanzod: the session moved to another window; the turn's session row was not written");
      const entry = patch(JSON.parse(row.json) as SessionEntry);
      const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
      const status = typeof entry.status === "string" ? entry.status : null;
      db.prepare("UPDATE session_nodes SET entry_json = ?, updated_at = ?, status = ?, last_interaction_at = ? WHERE session_key = ?").run(JSON.stringify(entry), num(entry.updatedAt) ?? Date.now(), status, num(entry.lastInteractionAt), t.sessionKey);
      // The triggers mark an updated row for validation; the legacy's canonical writer certifies its own row in the same transaction.
      db.prepare("UPDATE session_nodes SET entry_valid = 1 WHERE session_key = ?").run(t.sessionKey);
      if (hasTable(db, "session_canonical_validation_pending")) db.prepare("DELETE FROM session_canonical_validation_pending WHERE session_key = ?").run(t.sessionKey);
      db.prepare("UPDATE session_windows SET updated_at = ?, started_at = ?, ended_at = ?, status = ?, model_provider = ?, model = ? WHERE session_id = ?").run(
        num(entry.updatedAt) ?? Date.now(),
        num(entry.startedAt),
        num(entry.endedAt),
        status,
        typeof entry.modelProvider === "string" ? entry.modelProvider : null,
        typeof entry.model === "string" ? entry.model : null,
        t.sessionId,
      );
      return entry;
    }).immediate();
  }

  close(): void {
    for (const db of this.open.values()) db.close();
    this.open.clear();
  }
}
