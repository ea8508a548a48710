/**
 * Opening "the store" named on a command line: a SQLite file (one machine, the default) or a
 * postgres:// URL (a fleet: evidence, audit and the checklist itself shared by every instance).
 */
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { DiffStore } from "./diff-store.js";
import type { StoreReader } from "./reader.js";
import { FleetChecklist } from "./pg/checklist.js";
import { isPostgresUrl, PgStore } from "./pg/store.js";

export { isPostgresUrl } from "./pg/store.js";

export function defaultInstance(role = "proxy"): string {
  return `${role}@${hostname()}:${process.pid}`;
}

/** A reader for one window: the SQLite file itself, or a snapshot of the PostgreSQL store. */
export async function openReader(store: string, since: number, options: { mustExist?: boolean } = {}): Promise<{ reader: StoreReader; close(): Promise<void> }> {
  if (isPostgresUrl(store)) {
    const pg = await PgStore.open(store, { instance: defaultInstance("report") });
    try {
      return { reader: await pg.snapshot(since), close: () => pg.close() };
    } catch (err) {
      await pg.close();
      throw err;
    }
  }
  const db = DiffStore.open(store, { mustExist: options.mustExist ?? true });
  return { reader: db, close: async () => db.close() };
}

/** The fleet's checklist in a PostgreSQL store (seeded from `seedFile` when the store has none). */
export async function openFleetChecklist(store: string, options: { instance: string; seedFile?: string; auditApplied?: boolean; log?: { warn: (o: object, m: string) => void; info?: (o: object, m: string) => void } }): Promise<FleetChecklist> {
  const seed = options.seedFile ? { text: readFileSync(options.seedFile, "utf8"), file: options.seedFile } : undefined;
  return FleetChecklist.open(store, { instance: options.instance, seed, auditApplied: options.auditApplied, log: options.log });
}
