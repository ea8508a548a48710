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
import { ReadOnlyDb } from "./read-only-db.js";

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
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'exec_approvals_config'").get() === undefined) return null;
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
