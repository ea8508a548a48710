/**
 * The legacy's mention Inbox store (openclaw 2026.9.6, dist `mention-inbox-store`): rows of the
 * existing `config_machine_state` table of the state database, no table of its own.
 *   - `notifications.mentions.head`: `{revision, nextSequence}` (the store's revision, bumped on every write);
 *   - `notifications.mentions.source.<sha256 hex>`: one mentioned message, `{key, sequence, expiresAt,
 *     recipients: [[profileId, itemId | null]...], message?}`; a null item id is a dismissed (or evicted)
 *     recipient, kept for duplicate suppression until the source expires.
 * The legacy writes them (a committed chat message that mentions someone; a dismissal; expiry and
 * capacity eviction) inside its own state write transaction, and re-reads them whenever the head's
 * revision differs from the one it last loaded: its in-memory indexes are a projection, not a cache
 * another writer could be hidden behind.
 *
 * hanzod reads them read-only, checked the way the legacy checks them on load (a store it would
 * refuse is refused here too), and never writes.
 */
import { existsSync } from "node:fs";
import { isRecord, openSqlite, type SqliteDatabase } from "../../protocol/index.js";

export const MENTIONS_HEAD_KEY = "notifications.mentions.head";
export const MENTIONS_SOURCE_PREFIX = "notifications.mentions.source.";
/** The key just after every source key (`.` + 1 = `/`), as the legacy bounds its range scan. */
const SOURCE_END = "notifications.mentions.source/";
/** 7 days: a retained mention expires this long after its message was created. */
export const MENTION_RETENTION_MS = 604_800_000;
const MAX_SOURCES = 10_000;
const MAX_ITEMS = 10_000;
const MAX_SOURCE_JSON = 32_768;
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** A store the legacy would refuse to load (its list answers "unavailable" then). */
export class InvalidMentionStore extends Error {}

export interface MentionSource {
  key: string;
  sequence: number;
  expiresAt: number;
  /** [recipient profile id, retained item id or null]. */
  recipients: [string, string | null][];
  hasMessage: boolean;
}

export interface MentionStoreSnapshot {
  head: { revision: number; nextSequence: number };
  sources: MentionSource[];
  /** Recipients with a retained (not dismissed, not evicted) item, over all sources. */
  retainedItems: number;
}

const isTimestamp = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_TIMESTAMP;
const isReference = (v: unknown): v is string => typeof v === "string" && v.length >= 1 && v.length <= 256;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidMentionStore("Invalid mention store record");
  }
}

function parseHead(text: string): { revision: number; nextSequence: number } {
  const v = parseJson(text);
  if (!isRecord(v) || !isTimestamp(v.revision) || !isTimestamp(v.nextSequence)) throw new InvalidMentionStore("Invalid mention store head");
  return { revision: v.revision, nextSequence: v.nextSequence };
}

/** The legacy's `messageSchema` (zod, non-strict objects: unknown keys pass). */
function isMessage(v: unknown): boolean {
  if (!isRecord(v) || !isReference(v.sessionId) || !isRecord(v.content)) return false;
  const c = v.content;
  return (
    isReference(c.senderProfileId) &&
    typeof c.sessionKey === "string" &&
    c.sessionKey.length >= 1 &&
    c.sessionKey.length <= 512 &&
    isReference(c.agentId) &&
    isReference(c.messageId) &&
    isTimestamp(c.createdAt) &&
    (c.excerpt === undefined || (typeof c.excerpt === "string" && c.excerpt.length <= 280))
  );
}

function parseSource(text: string): MentionSource & { createdAt?: number } {
  const v = parseJson(text);
  if (!isRecord(v) || typeof v.key !== "string" || !/^[a-f0-9]{64}$/.test(v.key) || !isTimestamp(v.sequence) || !isTimestamp(v.expiresAt)) throw new InvalidMentionStore("Invalid mention source");
  if (!Array.isArray(v.recipients) || v.recipients.length > 10) throw new InvalidMentionStore("Invalid mention source");
  const recipients: [string, string | null][] = [];
  for (const r of v.recipients) {
    if (!Array.isArray(r) || r.length !== 2 || !isReference(r[0]) || !(r[1] === null || isReference(r[1]))) throw new InvalidMentionStore("Invalid mention source");
    recipients.push([r[0], r[1]]);
  }
  if (v.message !== undefined && !isMessage(v.message)) throw new InvalidMentionStore("Invalid mention source");
  const createdAt = v.message === undefined ? undefined : ((v.message as { content: { createdAt: number } }).content.createdAt);
  return { key: v.key, sequence: v.sequence, expiresAt: v.expiresAt, recipients, hasMessage: v.message !== undefined, ...(createdAt === undefined ? {} : { createdAt }) };
}

/**
 * The store as the legacy loads it (dist `readMentionStoreSnapshot`), with the same checks: unique
 * sequences below the head's `nextSequence`, a key matching its row, unique recipients, a retained item
 * only with its message and only once, the 7-day window, the source and item budgets.
 */
export function readMentionStore(db: SqliteDatabase): MentionStoreSnapshot {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'config_machine_state'").get();
  if (table === undefined) return { head: { revision: 0, nextSequence: 0 }, sources: [], retainedItems: 0 };
  // One read transaction: the head and the sources it counts come from one state of the file.
  return db.transaction(() => {
    const headRow = db.prepare("SELECT value_json FROM config_machine_state WHERE state_key = ?").get(MENTIONS_HEAD_KEY) as { value_json: string } | undefined;
    const head = headRow ? parseHead(headRow.value_json) : { revision: 0, nextSequence: 0 };
    const rows = db
      .prepare("SELECT state_key, value_json FROM config_machine_state WHERE state_key >= ? AND state_key < ? LIMIT ?")
      .all(MENTIONS_SOURCE_PREFIX, SOURCE_END, MAX_SOURCES + 1) as { state_key: string; value_json: string }[];
    if (rows.length > MAX_SOURCES) throw new InvalidMentionStore("Mention retention exceeds its source budget");
    const ids = new Set<string>();
    const sequences = new Set<number>();
    let retainedItems = 0;
    const sources = rows.map((row) => {
      if (row.value_json.length > MAX_SOURCE_JSON) throw new InvalidMentionStore("Mention source exceeds its record budget");
      const s = parseSource(row.value_json);
      if (row.state_key !== `${MENTIONS_SOURCE_PREFIX}${s.key}` || s.sequence >= head.nextSequence || sequences.has(s.sequence) || new Set(s.recipients.map(([p]) => p)).size !== s.recipients.length) {
        throw new InvalidMentionStore("Invalid mention source identity");
      }
      sequences.add(s.sequence);
      for (const [, id] of s.recipients) {
        if (id === null) continue;
        if (!s.hasMessage || ids.has(id)) throw new InvalidMentionStore("Invalid retained mention");
        ids.add(id);
        retainedItems++;
      }
      if (s.createdAt !== undefined && s.expiresAt !== s.createdAt + MENTION_RETENTION_MS) throw new InvalidMentionStore("Invalid mention retention window");
      const { createdAt: _createdAt, ...source } = s;
      return source;
    });
    if (retainedItems > MAX_ITEMS) throw new InvalidMentionStore("Mention retention exceeds its item budget");
    return { head, sources: sources.sort((a, b) => a.sequence - b.sequence), retainedItems };
  })();
}

/** The state database, opened read-only on first use (it may not exist yet when hanzod starts). */
export class MentionStoreReader {
  private db: SqliteDatabase | undefined;

  constructor(private readonly stateDbPath: string) {}

  /** undefined: the legacy has no state database yet (its Inbox is empty). */
  read(): MentionStoreSnapshot | undefined {
    if (!this.db) {
      if (!existsSync(this.stateDbPath)) return undefined;
      this.db = openSqlite(this.stateDbPath, { readonly: true, fileMustExist: true });
    }
    return readMentionStore(this.db);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
