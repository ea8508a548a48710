/**
 * The fleet store's schema in PostgreSQL, as ordered migrations. Each runs once, in a transaction,
 * under an advisory lock so instances starting together do not race; a database newer than this code
 * is refused. Add a migration, never edit one that shipped.
 */
import type pg from "pg";

export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: "parity store, fleet checklist, audit",
    sql: `
CREATE TABLE comparisons (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  instance TEXT NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  expected_ok BOOLEAN NOT NULL,
  actual_ok BOOLEAN,
  expected_ms DOUBLE PRECISION NOT NULL,
  actual_ms DOUBLE PRECISION,
  failure TEXT,
  signature TEXT NOT NULL,
  difference_count INTEGER NOT NULL
);
CREATE INDEX comparisons_kind_at ON comparisons (kind, at);
CREATE INDEX comparisons_at ON comparisons (at);

CREATE TABLE samples (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  instance TEXT NOT NULL,
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  params TEXT,
  expected TEXT,
  actual TEXT,
  differences TEXT NOT NULL
);
CREATE INDEX samples_method_path ON samples (method, path);

CREATE TABLE latency (
  method TEXT NOT NULL,
  backend TEXT NOT NULL,
  hour BIGINT NOT NULL,
  bin INTEGER NOT NULL,
  count BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  PRIMARY KEY (method, backend, hour, bin)
);

CREATE TABLE noise_probes (method TEXT PRIMARY KEY, probes BIGINT NOT NULL);
CREATE TABLE noise_paths (
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  differences BIGINT NOT NULL,
  PRIMARY KEY (method, path, kind)
);

CREATE TABLE replay_runs (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, target TEXT NOT NULL, source TEXT, instance TEXT NOT NULL);
CREATE TABLE replay_results (
  run_id BIGINT NOT NULL REFERENCES replay_runs (id) ON DELETE CASCADE,
  method TEXT NOT NULL,
  passed INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  first_failure TEXT,
  PRIMARY KEY (run_id, method)
);

CREATE TABLE counters (name TEXT NOT NULL, instance TEXT NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (name, instance));

-- One checklist for the fleet; version grows by one per change; NOTIFY hanzonode_checklist tells every instance.
CREATE TABLE checklist (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  text TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  instance TEXT NOT NULL,
  action TEXT NOT NULL,
  who TEXT,
  why TEXT,
  target TEXT,
  old TEXT,
  new TEXT,
  forced BOOLEAN NOT NULL DEFAULT false,
  version BIGINT
);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies the migrations this database lacks; refuses a database migrated by newer code. */
export async function migrate(client: pg.ClientBase): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('hanzonode-parity-migrations'))");
    await client.query("CREATE TABLE IF NOT EXISTS hanzonode_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ v: number | null }>("SELECT MAX(version) AS v FROM hanzonode_migrations");
    const current = rows[0]?.v ?? 0;
    if (current > LATEST_VERSION) throw new Error(`the parity store has schema ${current}; this hanzonode knows up to ${LATEST_VERSION}`);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO hanzonode_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
    }
    await client.query("COMMIT");
    return LATEST_VERSION;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/**
 * A pooled client for a few statements. While checked out, a client whose server goes away between
 * statements emits 'error' with nobody listening (pg-pool listens only while it is idle), which would
 * end the process: listen for the duration, the next statement then fails and the caller handles it.
 */
export async function checkout(pool: pg.Pool): Promise<pg.PoolClient & { done(): void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on("error", onError);
  return Object.assign(client, {
    done(): void {
      client.removeListener("error", onError);
      client.release(broken);
    },
  });
}
