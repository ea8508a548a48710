/**
 * The one SQLite driver choice for every store (hanzod state, the parity diff store).
 *
 * better-sqlite3 12 wraps Node's raw ObjectWrap, whose destructor on Node 24 checks for a live
 * Environment: a statement or database finalized by GC at teardown (or outside a JS scope) aborts the
 * process (`Assertion failed: (env) != nullptr`). better-sqlite3 13 moved to node-addon-api and is safe
 * there, but needs Node >= 22 and crashes on 20. So both are installed (13 under the alias
 * `better-sqlite3-napi`) and each process loads the one that is safe for its runtime, on first use so
 * a process that never opens a store never pays for the native module.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

export type SqliteDatabase = BetterSqlite3.Database;
export type SqliteOptions = BetterSqlite3.Options;

const require = createRequire(import.meta.url);
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** The package this runtime loads: 13 (node-addon-api) from Node 22 on, 12 on Node 20. */
export const SQLITE_DRIVER = NODE_MAJOR >= 22 ? "better-sqlite3-napi" : "better-sqlite3";

let driver: typeof BetterSqlite3 | undefined;

export function openSqlite(path: string, options?: SqliteOptions): SqliteDatabase {
  driver ??= require(SQLITE_DRIVER) as typeof BetterSqlite3;
  return new driver(path, options);
}
