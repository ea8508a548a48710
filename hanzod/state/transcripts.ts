/**
 * The legacy's stored conversations, read-only: one session window's transcript as the legacy's own
 * history reader sees it (agent schemas 19 and 23 alike). `transcript_events` holds every event; the
 * legacy's transcript projection indexes the active branch in `session_transcript_active_events`
 * (`active_position` along the branch, `message_position` for the events that are messages) and its
 * progress in `session_transcript_index_state`; `transcript_rewrite_watermarks` names the transcript's
 * generation. hanzod reads those tables in one read transaction per call (the legacy reads them per
 * call as well: no transcript cache), never writes them, and reports what it cannot read the legacy's
 * way (compressed rows, an index behind the events, cold archives) for the caller to refuse.
 *
 * The worker placement of a session (state database `worker_session_placements`) and the session's
 * participants (`session_participants`) are read here too: both are part of the session info a
 * history answer carries.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { AgentDbs } from "./legacy-state.js";

/** One event of the active branch, in branch order. */
export interface ActiveTranscriptEvent {
  activePosition: number;
  seq: number;
  /** Set for the events that are messages (0-based position among the branch's messages). */
  messagePosition: number | null;
  eventType: string | null;
  /** The stored JSON; null for a compressed (zstd) row, which hanzod does not decode. */
  eventJson: string | null;
  createdAt: number;
}

export interface TranscriptSnapshot {
  sessionId: string;
  /** The transcript's generation (`transcript_rewrite_watermarks`); undefined without a row. */
  generation: string | undefined;
  /** The highest stored event seq; undefined for a transcript without events. */
  maxSeq: number | undefined;
  /** The projection index: how far it got, the branch leaf, whether it must be rebuilt. */
  index: { indexedSeq: number; leafEventId: string | null; needsRebuild: boolean; activeMessageCount: number } | undefined;
  events: ActiveTranscriptEvent[];
  pendingInputs: number;
  coldArchived: boolean;
}

export interface SessionParticipantRow {
  namespace: string;
  actorId: string;
}

export interface SessionPlacementRow {
  state: string;
  generation: number;
  createdAtMs: number;
  updatedAtMs: number;
  stateChangedAtMs: number;
  /** Columns whose presence means a worker or a claim is involved (the legacy presents more then). */
  busy: boolean;
}

/** The legacy's display source of a transcript (dist transcript-display-position: createTranscriptDisplaySource). */
export function transcriptDisplaySource(dbPath: string, agentId: string, sessionId: string, generation: string): string {
  return createHash("sha256").update(JSON.stringify(["sqlite", dbPath, agentId, sessionId, generation])).digest("base64url");
}

export class TranscriptReader {
  private readonly dbs = new AgentDbs();
  private stateDbHandle: SqliteDatabase | undefined;

  constructor(private readonly stateDbPath: string | undefined) {}

  private db(storePath: string): SqliteDatabase | undefined {
    return this.dbs.get(storePath);
  }

  /** One session window's transcript (active branch), or undefined when its database does not exist yet. */
  snapshot(storePath: string, sessionId: string): TranscriptSnapshot | undefined {
    const db = this.db(storePath);
    if (!db) return undefined;
    const read = db.transaction((): TranscriptSnapshot => {
      const watermark = db.prepare("SELECT generation FROM transcript_rewrite_watermarks WHERE session_id = ?").get(sessionId) as { generation: string } | undefined;
      const max = db.prepare("SELECT max(seq) AS seq FROM transcript_events WHERE session_id = ?").get(sessionId) as { seq: number | null };
      const index = db.prepare("SELECT indexed_seq, leaf_event_id, needs_rebuild, active_message_count FROM session_transcript_index_state WHERE session_id = ?").get(sessionId) as
        | { indexed_seq: number; leaf_event_id: string | null; needs_rebuild: number; active_message_count: number }
        | undefined;
      const events = (
        db
          .prepare(
            `SELECT a.active_position AS activePosition, a.event_seq AS seq, a.message_position AS messagePosition, i.event_type AS eventType, e.event_json AS eventJson, e.created_at AS createdAt
             FROM session_transcript_active_events a
             JOIN transcript_events e ON e.session_id = a.session_id AND e.seq = a.event_seq
             LEFT JOIN transcript_event_identities i ON i.session_id = a.session_id AND i.seq = a.event_seq
             WHERE a.session_id = ? ORDER BY a.active_position`,
          )
          .all(sessionId) as ActiveTranscriptEvent[]
      ).map((e) => ({ ...e }));
      const pending = db.prepare("SELECT count(*) AS n FROM session_pending_inputs WHERE session_id = ?").get(sessionId) as { n: number };
      // Cold storage came with agent schema 20 (2026.9.6's 23 has it, 2026.9.1's 19 does not).
      const hasCold = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_transcript_cold_archives'").get() !== undefined;
      const cold = hasCold && db.prepare("SELECT 1 FROM session_transcript_cold_archives WHERE session_id = ?").get(sessionId) !== undefined;
      return {
        sessionId,
        generation: watermark?.generation,
        maxSeq: max.seq ?? undefined,
        index: index ? { indexedSeq: index.indexed_seq, leafEventId: index.leaf_event_id, needsRebuild: index.needs_rebuild !== 0, activeMessageCount: index.active_message_count } : undefined,
        events,
        pendingInputs: pending.n,
        coldArchived: cold,
      };
    });
    return read();
  }

  /** Whether the transcript holds an event with this id (any branch, any type). */
  hasEvent(storePath: string, sessionId: string, eventId: string): boolean {
    const db = this.db(storePath);
    return db !== undefined && db.prepare("SELECT 1 FROM transcript_event_identities WHERE session_id = ? AND event_id = ?").get(sessionId, eventId) !== undefined;
  }

  /** The session's participants (`session_participants`), in the legacy's table order. */
  participants(storePath: string, sessionKey: string): SessionParticipantRow[] {
    const db = this.db(storePath);
    if (!db) return [];
    return db.prepare("SELECT identity_namespace AS namespace, actor_id AS actorId FROM session_participants WHERE session_key = ? ORDER BY rowid").all(sessionKey) as SessionParticipantRow[];
  }

  /** The session window's worker placement (state database), or undefined without a row. */
  placement(sessionId: string): SessionPlacementRow | undefined {
    if (!this.stateDbHandle) {
      if (!this.stateDbPath || !existsSync(this.stateDbPath)) return undefined;
      this.stateDbHandle = openSqlite(this.stateDbPath, { readonly: true, fileMustExist: true });
    }
    const db = this.stateDbHandle;
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker_session_placements'").get()) return undefined;
    const row = db.prepare("SELECT * FROM worker_session_placements WHERE session_id = ?").get(sessionId) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const busyColumns = ["execution_mode", "environment_id", "active_owner_epoch", "recovery_error", "turn_claim_owner", "terminal_reason"];
    return {
      state: row.state as string,
      generation: row.transition_generation as number,
      createdAtMs: row.created_at_ms as number,
      updatedAtMs: row.updated_at_ms as number,
      stateChangedAtMs: row.state_changed_at_ms as number,
      busy: busyColumns.some((c) => row[c] !== null && row[c] !== undefined),
    };
  }

  close(): void {
    this.dbs.close();
    this.stateDbHandle?.close();
    this.stateDbHandle = undefined;
  }
}
