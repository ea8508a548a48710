/**
 * The legacy's state database as hanzod's readers hold it: opened read-only on first use, and never
 * before the legacy has made it (opening a missing file would leave an empty database in its place).
 */
import { existsSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";

export class ReadOnlyDb {
  private db: SqliteDatabase | undefined;

  constructor(readonly path: string) {}

  /** The open database; undefined while the file does not exist. */
  get(): SqliteDatabase | undefined {
    if (!this.db && existsSync(this.path)) this.db = openSqlite(this.path, { readonly: true, fileMustExist: true });
    return this.db;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
