/**
 * The legacy's session records, read-only, from each agent database: `session_nodes.entry_json` is the
 * canonical logical-session record (the schema's own doctrine; the promoted columns are indexes the
 * legacy's writer projects from it), in both supported agent schemas (19 under 2026.9.1, 23 under
 * 2026.9.6). Rows the legacy marked invalid (`entry_valid = -1`) are not sessions it lists.
 *
 * Which agent databases a read covers follows the legacy's store targets: every configured agent's
 * database, plus the databases of agents that exist on disk without being configured (left out when
 * the caller asks for configured agents only). A database that does not exist yet has no rows, and
 * is not created.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { SqliteDatabase } from "../../protocol/index.js";
import { readLegacyConfigObject } from "../config-file.js";
import { configuredAgentIds } from "./agents.js";
import { agentDbPath, AgentDbs } from "./legacy-state.js";

/** A session entry as the legacy stores it (entry_json); only the fields hanzod reads are typed. */
export interface SessionEntry {
  sessionId?: string;
  updatedAt?: number;
  createdAt?: number;
  [field: string]: unknown;
}

export interface SessionRecord {
  agentId: string;
  key: string;
  entry: SessionEntry;
  /** The agent database the row lives in. */
  storePath: string;
}

export interface SessionStoreTarget {
  agentId: string;
  storePath: string;
  configured: boolean;
}

/** The legacy's agent id normalisation for ids a client sends (trimmed, lower case). */
export function normalizeAgentId(id: string): string {
  return id.trim().toLowerCase();
}

interface ParsedRows {
  /** `PRAGMA data_version` when read: it changes when any other connection (the legacy) commits to the file. */
  dataVersion: number;
  rows: { key: string; entry: SessionEntry }[];
  /** The rows as one target's records, made once per parse (a list over 10,000 sessions made them per call). */
  records?: { agentId: string; list: readonly SessionRecord[] };
}

export class SessionStoreReader {
  private readonly dbs = new AgentDbs();
  /** Parsed rows per database, reused until the legacy commits again: a list re-parses nothing unchanged. */
  private readonly parsed = new Map<string, ParsedRows>();

  constructor(
    private readonly stateDir: string,
    private readonly configPath: string,
  ) {}

  agentDbPath(agentId: string): string {
    return agentDbPath(this.stateDir, agentId);
  }

  /** The state's config, as a plain object ({} when it cannot be read: the config domain reports that). */
  config(): Record<string, unknown> {
    try {
      return readLegacyConfigObject(this.configPath);
    } catch {
      return {};
    }
  }

  /** Configured agents (default first), then agents found on disk that the config does not declare. */
  targets(config: Record<string, unknown>): { defaultAgentId: string; targets: SessionStoreTarget[] } {
    const { ids, defaultId } = configuredAgentIds(config);
    const configured = ids.map(normalizeAgentId);
    const targets: SessionStoreTarget[] = configured.map((agentId) => ({ agentId, storePath: this.agentDbPath(agentId), configured: true }));
    const agentsDir = join(this.stateDir, "agents");
    if (existsSync(agentsDir)) {
      for (const d of readdirSync(agentsDir, { withFileTypes: true })) {
        if (!d.isDirectory() || configured.includes(d.name)) continue;
        const storePath = this.agentDbPath(d.name);
        if (existsSync(storePath)) targets.push({ agentId: d.name, storePath, configured: false });
      }
    }
    return { defaultAgentId: normalizeAgentId(defaultId), targets };
  }

  private db(storePath: string): SqliteDatabase | undefined {
    return this.dbs.get(storePath);
  }

  private static parseRows(rows: readonly { key: string; json: string }[]): { key: string; entry: SessionEntry }[] {
    const out: { key: string; entry: SessionEntry }[] = [];
    for (const r of rows) {
      let entry: unknown;
      try {
        entry = JSON.parse(r.json);
      } catch {
        continue; // the legacy's validator marks such a row invalid; it is not listed either way
      }
      if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) out.push({ key: r.key, entry: entry as SessionEntry });
    }
    return out;
  }

  private allRows(storePath: string, db: SqliteDatabase): ParsedRows {
    const dataVersion = db.pragma("data_version", { simple: true }) as number;
    const cached = this.parsed.get(storePath);
    if (cached && cached.dataVersion === dataVersion) return cached;
    const rows = SessionStoreReader.parseRows(db.prepare("SELECT session_key AS key, entry_json AS json FROM session_nodes WHERE entry_valid != -1").all() as { key: string; json: string }[]);
    const parsed: ParsedRows = { dataVersion, rows };
    this.parsed.set(storePath, parsed);
    return parsed;
  }

  /** One target's listable sessions, one shared array per database until the legacy commits again. */
  private recordsOf(t: SessionStoreTarget, db: SqliteDatabase): readonly SessionRecord[] {
    const parsed = this.allRows(t.storePath, db);
    if (parsed.records?.agentId !== t.agentId) {
      parsed.records = { agentId: t.agentId, list: parsed.rows.map((r) => ({ agentId: t.agentId, key: r.key, entry: r.entry, storePath: t.storePath })) };
    }
    return parsed.records.list;
  }

  /**
   * Every listable session of these targets, one array per target that exists. The arrays (and their
   * records and entries) are shared and stay the same objects until the legacy commits to that database:
   * read, never modify; their identity says "nothing changed" to a caller that memoises.
   */
  readShared(targets: readonly SessionStoreTarget[]): (readonly SessionRecord[])[] {
    const parts: (readonly SessionRecord[])[] = [];
    for (const t of targets) {
      const db = this.db(t.storePath);
      if (db) parts.push(this.recordsOf(t, db));
    }
    return parts;
  }

  /** Every listable session of these targets; `key` narrows to one session key. Entries are shared: read, never modify. */
  read(targets: readonly SessionStoreTarget[], key?: string): SessionRecord[] {
    if (key === undefined) return this.readShared(targets).flat();
    const out: SessionRecord[] = [];
    for (const t of targets) {
      const db = this.db(t.storePath);
      if (!db) continue;
      const rows = SessionStoreReader.parseRows(db.prepare("SELECT session_key AS key, entry_json AS json FROM session_nodes WHERE entry_valid != -1 AND session_key = ?").all(key) as { key: string; json: string }[]);
      for (const r of rows) out.push({ agentId: t.agentId, key: r.key, entry: r.entry, storePath: t.storePath });
    }
    return out;
  }

  /** Whether a transcript has any events (`transcript_events`, in both supported agent schemas). */
  hasTranscriptEvents(storePath: string, sessionId: string): boolean {
    const db = this.db(storePath);
    return db !== undefined && db.prepare("SELECT 1 FROM transcript_events WHERE session_id = ? LIMIT 1").get(sessionId) !== undefined;
  }

  close(): void {
    this.dbs.close();
    this.parsed.clear();
  }
}
