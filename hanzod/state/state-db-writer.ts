/**
 * Opening the legacy's state database to write to it: only a file the legacy already made, at a schema of a
 * release hanzod read (anything else is refused, never guessed: hanzod never writes a schema it does not know),
 * and waiting for the legacy's write lock rather than failing on it.
 */
import { existsSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { SUPPORTED_RELEASES } from "./schema-versions.js";

/** The legacy holds its write lock for single statements; longer than this means it is stuck. */
const BUSY_TIMEOUT_MS = 5_000;

/** The open database, or why hanzod cannot write to it (`requiredTable`: a table the writer needs). */
export function openStateDbForWrites(path: string, requiredTable?: string): SqliteDatabase | string {
  if (!existsSync(path)) return "the legacy's state database does not exist yet";
  const db = openSqlite(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const version = db.pragma("user_version", { simple: true }) as number;
  if (!SUPPORTED_RELEASES.some((r) => r.state === version)) {
    db.close();
    return `a state database at schema ${version}`;
  }
  if (requiredTable !== undefined && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(requiredTable) === undefined) {
    db.close();
    return `a state database without ${requiredTable}`;
  }
  return db;
}
