/**
 * Opening the legacy's state dir (openclaw 2026.9.x) in its own formats: `openclaw.json` (or
 * OPENCLAW_CONFIG_PATH), `<stateDir>/state/openclaw.sqlite` (global: config revision key, cron, pairing,
 * approvals, ...) and `<stateDir>/agents/<id>/agent/openclaw-agent.sqlite` (per agent: sessions,
 * transcripts). Before hanzod serves anything from it, every database is checked read-only: its
 * `user_version` must be one of a supported release's (schema-versions.ts). A newer, unknown or corrupt
 * database makes hanzod refuse to start with a message naming the file and the versions; the file is
 * never opened for writing, so it is left exactly as it was. hanzod's own data stays in its own file
 * (`hanzod.sqlite`), never in a legacy table.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { releasesFor, supportedVersions, type LegacyDbKind } from "./schema-versions.js";

export const STATE_DB_RELATIVE = join("state", "openclaw.sqlite");
export const AGENT_DB_NAME = "openclaw-agent.sqlite";

/** A refusal to open the legacy's state; the CLI exits 78 (EX_CONFIG) on it, as the legacy does on a newer schema. */
export class LegacyStateError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = "LegacyStateError";
  }
}

export interface LegacyDbInfo {
  kind: LegacyDbKind;
  file: string;
  userVersion: number;
  /** The supported releases that use this schema version. */
  releases: string[];
  /** `schema_meta` primary row: the build that last wrote the schema metadata, when recorded. */
  appVersion?: string;
  agentId?: string;
}

export interface LegacyStateLayout {
  stateDir: string;
  configPath: string;
  stateDb: string;
  agentsDir: string;
}

export interface LegacyState extends LegacyStateLayout {
  state: LegacyDbInfo;
  agents: LegacyDbInfo[];
}

export function legacyStateLayout(stateDir: string, env: NodeJS.ProcessEnv = process.env): LegacyStateLayout {
  const dir = resolve(stateDir);
  const fromEnv = env.OPENCLAW_CONFIG_PATH?.trim();
  return { stateDir: dir, configPath: fromEnv ? resolve(fromEnv) : join(dir, "openclaw.json"), stateDb: join(dir, STATE_DB_RELATIVE), agentsDir: join(dir, "agents") };
}

/** Whether `stateDir` holds a legacy state (its global database exists). */
export function isLegacyStateDir(stateDir: string): boolean {
  return existsSync(join(stateDir, STATE_DB_RELATIVE));
}

function supportedText(kind: LegacyDbKind): string {
  return supportedVersions(kind)
    .map((v) => `${v} (openclaw ${releasesFor(kind, v).join(", ")})`)
    .join(" and ");
}

/** Reads the schema version read-only; throws LegacyStateError for an unsupported version or an unreadable file. */
export function checkLegacyDatabase(file: string, kind: LegacyDbKind): LegacyDbInfo {
  let userVersion: number;
  let meta: { app_version?: unknown; agent_id?: unknown } | undefined;
  try {
    const db = openSqlite(file, { readonly: true, fileMustExist: true });
    try {
      userVersion = db.pragma("user_version", { simple: true }) as number;
      // Reading the schema proves the file is a database, not just a readable header.
      const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'").get() !== undefined;
      if (hasMeta) meta = db.prepare("SELECT app_version, agent_id FROM schema_meta WHERE meta_key = 'primary'").get() as typeof meta;
    } finally {
      db.close();
    }
  } catch (err) {
    throw new LegacyStateError(
      `hanzod: ${file} is not a readable SQLite database (${err instanceof Error ? err.message : String(err)}); hanzod supports ${kind} schema ${supportedText(kind)}. The file was not changed.`,
      file,
    );
  }
  const releases = releasesFor(kind, userVersion);
  if (releases.length === 0) {
    const newest = Math.max(...supportedVersions(kind));
    const why = userVersion > newest ? "a newer schema version than hanzod supports" : "a schema version hanzod does not support";
    throw new LegacyStateError(
      `hanzod: ${file} has ${kind} schema version ${userVersion} (PRAGMA user_version), ${why}; hanzod supports ${kind} schema ${supportedText(kind)}. The file was not changed; start hanzod beside a supported openclaw release.`,
      file,
    );
  }
  const info: LegacyDbInfo = { kind, file, userVersion, releases };
  if (typeof meta?.app_version === "string") info.appVersion = meta.app_version;
  if (typeof meta?.agent_id === "string") info.agentId = meta.agent_id;
  return info;
}

/** Where the legacy keeps an agent's database. */
export function agentDbPath(stateDir: string, agentId: string): string {
  return join(stateDir, "agents", agentId, "agent", AGENT_DB_NAME);
}

/**
 * An agent database opened read-only, or undefined while it holds no sessions table: absent, or created
 * by the legacy before its schema (a reader that queried it then would throw `no such table`). Not
 * cached by the caller in that state, so the next read sees the table once the legacy has made it.
 */
export function openAgentDbIfReady(file: string): SqliteDatabase | undefined {
  if (!existsSync(file)) return undefined;
  const db = openSqlite(file, { readonly: true, fileMustExist: true });
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'session_nodes'").get()) return db;
  db.close();
  return undefined;
}

/**
 * The agent databases one reader has open, by file: each opened read-only once it is ready
 * (openAgentDbIfReady) and kept for the reader's life; a file not ready yet is tried again next time.
 */
export class AgentDbs {
  private readonly open = new Map<string, SqliteDatabase>();

  get(file: string): SqliteDatabase | undefined {
    let db = this.open.get(file);
    if (!db) {
      db = openAgentDbIfReady(file);
      if (db) this.open.set(file, db);
    }
    return db;
  }

  close(): void {
    for (const db of this.open.values()) db.close();
    this.open.clear();
  }
}

/** The agent databases present under `<stateDir>/agents/<id>/agent/`. */
export function listAgentDatabases(layout: LegacyStateLayout): { agentId: string; file: string }[] {
  if (!existsSync(layout.agentsDir)) return [];
  return readdirSync(layout.agentsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ agentId: d.name, file: join(layout.agentsDir, d.name, "agent", AGENT_DB_NAME) }))
    .filter((a) => existsSync(a.file))
    .sort((a, b) => a.agentId.localeCompare(b.agentId));
}

/**
 * An agent database the legacy has created but not yet made (no schema committed: user_version 0, no table,
 * e.g. an empty file): the legacy writes its schema in one transaction when it first opens it, so a start
 * that meets one while a running legacy makes it skips it instead of refusing; readers find it once made
 * (openAgentDbIfReady). Anything else at version 0 is checked and refused as before.
 */
function isUnmadeDatabase(file: string): boolean {
  try {
    const db = openSqlite(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma("user_version", { simple: true }) === 0 && db.prepare("SELECT 1 FROM sqlite_master LIMIT 1").get() === undefined;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/**
 * Checks every database of a legacy state dir, each on its own: the legacy migrates agent databases
 * when it opens them, so a dir a newer release runs can hold agent databases at an older supported
 * version beside a newer state database.
 */
export function openLegacyState(stateDir: string, env: NodeJS.ProcessEnv = process.env): LegacyState {
  const layout = legacyStateLayout(stateDir, env);
  const state = checkLegacyDatabase(layout.stateDb, "state");
  const agents = listAgentDatabases(layout)
    .filter((a) => !isUnmadeDatabase(a.file))
    .map((a) => checkLegacyDatabase(a.file, "agent"));
  return { ...layout, state, agents };
}
