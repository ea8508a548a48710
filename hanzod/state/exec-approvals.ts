/**
 * The legacy's exec approvals policy, read-only, from its state database (`exec_approvals_config`, row
 * `config_key = "current"`, column `raw_json`: the policy document exactly as the legacy serialized it; the
 * other columns are projections of it). Same table in state schemas 15 and 18. Re-read on every call, as
 * the legacy reads it per call (its `exec.approvals.get` and `exec.approvals.set` work on the row inside a
 * transaction, with the row's sha256 as the compare-and-swap hash).
 *
 * The pre-SQLite policy file (`<stateDir>/exec-approvals.json`, or the doctor's import claim beside it)
 * blocks the legacy's every policy access until `openclaw doctor --fix` imports it; `pendingFileImport`
 * tells the domain to refuse then.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SqliteDatabase } from "../../protocol/index.js";
import { ReadOnlyDb } from "./read-only-db.js";
import { openStateDbForWrites } from "./state-db-writer.js";

const hasTable = (db: SqliteDatabase, name: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

export class ExecApprovalsReader {
  private readonly stateDb: ReadOnlyDb;

  constructor(
    private readonly stateDir: string,
    stateDbPath: string,
  ) {
    this.stateDb = new ReadOnlyDb(stateDbPath);
  }

  /** The stored document's text, or null without a row (or without the table). */
  raw(): string | null {
    const db = this.stateDb.get();
    if (!db) return null;
    if (!hasTable(db, "exec_approvals_config")) return null;
    const row = db.prepare("SELECT raw_json FROM exec_approvals_config WHERE config_key = 'current'").get() as { raw_json: unknown } | undefined;
    return typeof row?.raw_json === "string" ? row.raw_json : null;
  }

  /** The legacy's migration gate (dist exec-approvals-migration-gate): a policy file still to import. */
  pendingFileImport(): string | undefined {
    const file = join(this.stateDir, "exec-approvals.json");
    return [file, `${file}.doctor-importing`].find((p) => existsSync(p));
  }

  close(): void {
    this.stateDb.close();
  }
}

/** The policy row as one write transaction sees it. */
export interface PolicyTransaction {
  /** The stored text, or null without a row. */
  raw(): string | null;
  /** Rows of `agent_deletion_journal`: the legacy fences policy changes of an agent being deleted. */
  pendingAgentDeletions(): number;
  /** The legacy's upsert (`writeExecApprovalsConfigRow`): the text, its projection columns, the time. */
  write(raw: string, columns: Record<string, string | number | null>, nowMs: number): void;
}

/**
 * The policy row written as the legacy writes it (`exec.approvals.set`): one IMMEDIATE transaction on its
 * state database (the legacy's writers take the same lock; busy timeout), the row upserted with the same
 * columns, no table ever altered. The legacy re-reads the row on every use (its exec path's
 * `loadExecApprovals`, its get, its set's compare-and-swap), so it sees hanzod's write at once.
 */
export class ExecApprovalsWriter {
  private db: SqliteDatabase | undefined;

  constructor(private readonly path: string) {}

  /** Why hanzod cannot write here, or undefined. */
  private open(): SqliteDatabase | string {
    if (this.db) return this.db;
    const db = openStateDbForWrites(this.path);
    if (typeof db === "string") return db;
    this.db = db;
    return db;
  }

  /** `fn` inside one IMMEDIATE transaction (an exception rolls it back), or why hanzod cannot open the database for it. */
  transaction<T>(fn: (tx: PolicyTransaction) => T): { ok: true; value: T } | { ok: false; reason: string } {
    const db = this.open();
    if (typeof db === "string") return { ok: false, reason: db };
    const tx: PolicyTransaction = {
      raw: () => {
        if (!hasTable(db, "exec_approvals_config")) return null;
        const row = db.prepare("SELECT raw_json FROM exec_approvals_config WHERE config_key = 'current'").get() as { raw_json: unknown } | undefined;
        return typeof row?.raw_json === "string" ? row.raw_json : null;
      },
      pendingAgentDeletions: () => (hasTable(db, "agent_deletion_journal") ? (db.prepare("SELECT COUNT(*) AS n FROM agent_deletion_journal").get() as { n: number }).n : 0),
      write: (raw, c, nowMs) => {
        const cols = ["socket_path", "has_socket_token", "default_security", "default_ask", "default_ask_fallback", "auto_allow_skills", "agent_count", "allowlist_count"];
        db.prepare(
          `INSERT INTO exec_approvals_config (config_key, raw_json, ${cols.join(", ")}, updated_at_ms) VALUES ('current', ?, ${cols.map(() => "?").join(", ")}, ?)
           ON CONFLICT(config_key) DO UPDATE SET raw_json = excluded.raw_json, ${cols.map((k) => `${k} = excluded.${k}`).join(", ")}, updated_at_ms = excluded.updated_at_ms`,
        ).run(raw, ...cols.map((k) => c[k] ?? null), nowMs);
      },
    };
    return { ok: true, value: db.transaction(() => fn(tx)).immediate() };
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
