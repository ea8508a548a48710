/**
 * One checklist for a fleet of proxies, kept in the PostgreSQL store. A change is validated before it
 * is written (an invalid one is refused for every instance at once), written once with its audit entry
 * in the same transaction, and announced with NOTIFY; every instance LISTENs and applies it within a
 * second. The listener reconnects by itself, and re-reads on reconnect in case it missed a change.
 */
import type { Document } from "yaml";
import pg from "pg";
import { editText, parseChecklist, routeChange, routePath, type EditActor, type EditResult, type OwnerKey, type Backend, type Route, type RouteEntry, type RoutingTable } from "../../checklist/index.js";
import { checkout, migrate } from "./migrations.js";
import { redactUrl } from "./store.js";

export const CHECKLIST_CHANNEL = "hanzonode_checklist";

export interface FleetChecklistOptions {
  instance: string;
  /** Written to the store when it holds no checklist yet (the first instance seeds the fleet). */
  seed?: { text: string; file: string };
  /** Fallback re-read period when notifications are lost (default 5 s). */
  pollMs?: number;
  log?: { warn: (obj: object, msg: string) => void; info?: (obj: object, msg: string) => void };
  /** Record "applied version N" in the audit log when this instance swaps tables (proxies do). */
  auditApplied?: boolean;
}

export interface StoredChecklist {
  text: string;
  version: number;
}

async function readRow(q: pg.Pool | pg.ClientBase): Promise<StoredChecklist | undefined> {
  const { rows } = await q.query<{ text: string; version: string }>("SELECT text, version FROM checklist WHERE id = 1");
  return rows[0] ? { text: rows[0].text, version: Number(rows[0].version) } : undefined;
}

export class FleetChecklist {
  readonly label: string;
  private table: RoutingTable;
  private version: number;
  private listener: pg.Client | undefined;
  private readonly handlers: Array<(t: RoutingTable, version: number) => void> = [];
  private closed = false;
  private poll: NodeJS.Timeout | undefined;
  private reconnecting = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly options: FleetChecklistOptions,
    initial: StoredChecklist,
  ) {
    this.label = `${redactUrl(url)}#checklist`;
    this.table = parseChecklist(initial.text, this.label);
    this.version = initial.version;
  }

  static async open(url: string, options: FleetChecklistOptions): Promise<FleetChecklist> {
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 2000, idleTimeoutMillis: 10_000, statement_timeout: 10_000, application_name: `hanzonode checklist ${options.instance}`.slice(0, 63) });
    pool.on("error", (err) => options.log?.warn({ err: err.message }, "fleet checklist: idle connection lost"));
    try {
      const client = await checkout(pool);
      try {
        await migrate(client);
        if (options.seed) {
          parseChecklist(options.seed.text, options.seed.file); // an invalid seed is refused before it reaches the fleet
          await client.query(
            `INSERT INTO checklist (id, text, version, updated_at, updated_by) VALUES (1, $1, 1, $2, $3) ON CONFLICT (id) DO NOTHING`,
            [options.seed.text, Date.now(), options.instance],
          );
        }
      } finally {
        client.done();
      }
      const row = await readRow(pool);
      if (row && options.seed && row.text !== options.seed.text) {
        options.log?.warn({ file: options.seed.file, version: row.version }, "fleet checklist: the store already holds the fleet's checklist; it wins over the --checklist file (change it with parity promote/rollback --store)");
      }
      if (!row) throw new Error(`no checklist in ${redactUrl(url)} (start one instance with --checklist FILE to seed it)`);
      const fleet = new FleetChecklist(pool, url, options, row);
      await fleet.listen();
      fleet.poll = setInterval(() => void fleet.refresh(), options.pollMs ?? 5000);
      fleet.poll.unref();
      return fleet;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  current(): RoutingTable {
    return this.table;
  }

  currentVersion(): number {
    return this.version;
  }

  onTable(handler: (t: RoutingTable, version: number) => void): void {
    this.handlers.push(handler);
  }

  async read(): Promise<StoredChecklist | undefined> {
    return readRow(this.pool);
  }

  /** Re-reads the stored checklist and applies it when its version moved. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    let row: StoredChecklist | undefined;
    try {
      row = await readRow(this.pool);
    } catch {
      return; // the database is away; the current table stays and the next notification or poll retries
    }
    if (!row || row.version <= this.version) return;
    let table: RoutingTable;
    try {
      table = parseChecklist(row.text, this.label);
    } catch (err) {
      // Writes are validated, so only a hand edit gets here: keep routing by the last good table.
      this.options.log?.warn({ err: (err as Error).message, version: row.version }, "fleet checklist: stored version does not load; previous routing stays");
      this.version = row.version;
      return;
    }
    this.table = table;
    this.version = row.version;
    for (const h of this.handlers) h(table, row.version);
    if (this.options.auditApplied) {
      await this.pool
        .query(`INSERT INTO audit (at, instance, action, version) VALUES ($1, $2, 'applied', $3)`, [Date.now(), this.options.instance, row.version])
        .catch(() => undefined);
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000, application_name: `hanzonode listen ${this.options.instance}`.slice(0, 63) });
    client.on("notification", () => void this.refresh());
    const lost = (): void => {
      if (this.listener === client) this.listener = undefined;
      void this.reconnect();
    };
    client.on("error", lost);
    client.on("end", lost);
    await client.connect();
    await client.query(`LISTEN ${CHECKLIST_CHANNEL}`);
    this.listener = client;
  }

  private async reconnect(): Promise<void> {
    if (this.closed || this.reconnecting) return;
    this.reconnecting = true;
    let wait = 250;
    try {
      while (!this.closed && !this.listener) {
        await new Promise((r) => setTimeout(r, wait).unref());
        wait = Math.min(wait * 2, 2000);
        try {
          await this.listen();
          this.options.log?.info?.({}, "fleet checklist: listening again");
          await this.refresh(); // a change may have landed while we were away
        } catch {
          /* still away */
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** One change: validated, written once, audited and announced to every instance in one transaction. */
  private async edit(path: string[], change: (doc: Document) => void, actor: EditActor & { instance?: string }): Promise<EditResult> {
    const client = await checkout(this.pool);
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ text: string; version: string }>("SELECT text, version FROM checklist WHERE id = 1 FOR UPDATE");
      const row = rows[0];
      if (!row) throw new Error(`no checklist in ${this.label}`);
      const { next, result } = editText(row.text, this.label, path, change); // throws for an invalid result: nothing written
      if (!result.changed) {
        await client.query("ROLLBACK");
        return result;
      }
      const version = Number(row.version) + 1;
      const instance = actor.instance ?? this.options.instance;
      await client.query("UPDATE checklist SET text = $1, version = $2, updated_at = $3, updated_by = $4 WHERE id = 1", [next, version, Date.now(), instance]);
      await client.query(`INSERT INTO audit (at, instance, action, who, why, target, old, new, forced, version) VALUES ($1, $2, 'change', $3, $4, $5, $6, $7, $8, $9)`, [
        Date.now(),
        instance,
        actor.who,
        actor.why,
        result.target,
        JSON.stringify(result.old ?? null),
        JSON.stringify(result.new ?? null),
        actor.forced === true,
        version,
      ]);
      await client.query("SELECT pg_notify($1, $2)", [CHECKLIST_CHANNEL, String(version)]);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.done();
    }
  }

  setRoute(target: string, route: Route | RouteEntry, actor: EditActor & { instance?: string }): Promise<EditResult> {
    const path = routePath(target);
    return this.edit(path, routeChange(path, route), actor);
  }

  setOwner(key: OwnerKey, backend: Backend, actor: EditActor & { instance?: string }): Promise<EditResult> {
    return this.edit([key], (doc) => doc.setIn([key], backend), actor);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
