/**
 * The parity store of a fleet: PostgreSQL through node-postgres. Writes never wait on the database:
 * `writeBatch` only queues (bounded); one loop writes queued batches, one statement each, merged up
 * to a row budget. When the database is slow or down, batches beyond the queue bound are dropped and
 * counted (the counts are written once it is back), and the proxy keeps routing.
 */
import pg from "pg";
import { hourOf } from "../latency-bins.js";
import type { StoreBatch } from "../diff-store.js";
import type { StoreWriter } from "../reader.js";
import { DEFAULT_RETENTION, type ReplayRun, type RetentionPolicy } from "../types.js";
import { batchStatement } from "./batch-statement.js";
import { checkout, migrate } from "./migrations.js";
import { PgSnapshot } from "./snapshot.js";

export function isPostgresUrl(store: string | undefined): store is string {
  return typeof store === "string" && /^postgres(ql)?:\/\//i.test(store);
}

/** The URL without its password, for logs and the report's sources line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable)";
  }
}

export interface PgStoreOptions {
  /** Which proxy (or CLI) writes: kept with every row and audit entry. */
  instance: string;
  retention?: Partial<RetentionPolicy>;
  samplesPerPath?: number;
  /** Batches waiting for the database at most; beyond it a batch is dropped and counted (default 64). */
  maxQueuedBatches?: number;
  /** Pool size (default 4). */
  poolSize?: number;
  log?: { warn: (obj: object, msg: string) => void; info?: (obj: object, msg: string) => void };
}

export interface PgWriteStats {
  queued: number;
  written: number;
  droppedBatches: number;
  droppedRows: number;
  failures: number;
  healthy: boolean;
}

function rowsIn(b: StoreBatch): number {
  return (b.comparisons?.length ?? 0) + (b.samples?.length ?? 0) + (b.latency?.length ?? 0) + (b.noisePaths?.length ?? 0) + (b.noiseProbes?.length ?? 0);
}

export class PgStore implements StoreWriter {
  readonly instance: string;
  readonly label: string;
  readonly retention: RetentionPolicy;
  private readonly samplesPerPath: number;
  private readonly sampleCounts = new Map<string, number>();
  private queue: StoreBatch[] = [];
  private retentionDue: number | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private pendingCounters: Record<string, number> = {};
  private readonly s: PgWriteStats = { queued: 0, written: 0, droppedBatches: 0, droppedRows: 0, failures: 0, healthy: true };
  private readonly maxQueued: number;

  private constructor(
    readonly pool: pg.Pool,
    url: string,
    private readonly options: PgStoreOptions,
  ) {
    this.instance = options.instance;
    this.label = redactUrl(url);
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.samplesPerPath = options.samplesPerPath ?? 3;
    this.maxQueued = options.maxQueuedBatches ?? 64;
  }

  /** Connects, applies the migrations, and loads what the writer needs to know (sample counts). */
  static async open(url: string, options: PgStoreOptions): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 10_000,
      // A statement the database cannot finish promptly is abandoned; the batch is counted as dropped.
      statement_timeout: 10_000,
      query_timeout: 12_000,
      application_name: `hanzonode ${options.instance}`.slice(0, 63),
    });
    // An idle connection that the server drops (restart, network) must not take the process down.
    pool.on("error", (err) => options.log?.warn({ err: err.message }, "parity store (postgres): idle connection lost"));
    const store = new PgStore(pool, url, options);
    try {
      const client = await checkout(pool);
      try {
        await migrate(client);
      } finally {
        client.done();
      }
      const { rows } = await pool.query<{ method: string; path: string; n: string }>("SELECT method, path, COUNT(*) AS n FROM samples GROUP BY method, path");
      for (const r of rows) store.sampleCounts.set(`${r.method}\u0000${r.path}`, Number(r.n));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`parity store ${redactUrl(url)}: ${(err as Error).message}`);
    }
    return store;
  }

  stats(): PgWriteStats {
    return { ...this.s, queued: this.queue.length };
  }

  wantsSample(method: string, path: string): boolean {
    return (this.sampleCounts.get(`${method}\u0000${path}`) ?? 0) < this.samplesPerPath;
  }

  writeBatch(batch: StoreBatch): void {
    if (this.closed) return;
    for (const s of batch.samples ?? []) {
      const k = `${s.method}\u0000${s.path}`;
      this.sampleCounts.set(k, (this.sampleCounts.get(k) ?? 0) + 1);
    }
    if (this.queue.length >= this.maxQueued) {
      this.s.droppedBatches++;
      this.s.droppedRows += rowsIn(batch);
      this.pendingCounters["dropped.store.batches"] = (this.pendingCounters["dropped.store.batches"] ?? 0) + 1;
      this.pendingCounters["dropped.store.rows"] = (this.pendingCounters["dropped.store.rows"] ?? 0) + rowsIn(batch);
      return;
    }
    this.queue.push(batch);
    this.kick();
  }

  applyRetention(now: number = Date.now()): void {
    this.retentionDue = now;
    this.kick();
  }

  /** Resolves when everything queued so far was written (or dropped). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Give pending batches a bounded chance, then let go: shutdown must not hang on a dead database.
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  private kick(): void {
    if (this.writing || this.closed) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      if (!this.closed && (this.queue.length > 0 || this.retentionDue !== undefined)) setTimeout(() => this.kick(), this.s.healthy ? 0 : 500).unref();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      // Merge queued batches up to ~5,000 rows: fewer, larger transactions when the database lags.
      const merged: Required<StoreBatch> = { comparisons: [], samples: [], latency: [], noiseProbes: [], noisePaths: [], counters: {} };
      let rows = 0;
      while (this.queue.length > 0 && rows < 5000) {
        const b = this.queue.shift()!;
        rows += rowsIn(b);
        merged.comparisons.push(...(b.comparisons ?? []));
        merged.samples.push(...(b.samples ?? []));
        merged.latency.push(...(b.latency ?? []));
        merged.noiseProbes.push(...(b.noiseProbes ?? []));
        merged.noisePaths.push(...(b.noisePaths ?? []));
        for (const [k, v] of Object.entries(b.counters ?? {})) merged.counters[k] = (merged.counters[k] ?? 0) + v;
      }
      const counters = this.pendingCounters;
      this.pendingCounters = {};
      for (const [k, v] of Object.entries(counters)) merged.counters[k] = (merged.counters[k] ?? 0) + v;
      try {
        await this.write(merged);
        this.s.written += rows;
        if (!this.s.healthy) this.options.log?.info?.({ store: this.label }, "parity store (postgres): writing again");
        this.s.healthy = true;
      } catch (err) {
        this.s.failures++;
        this.s.droppedBatches++;
        this.s.droppedRows += rows;
        // The counters travel with the next batch that makes it.
        for (const [k, v] of Object.entries(counters)) this.pendingCounters[k] = (this.pendingCounters[k] ?? 0) + v;
        this.pendingCounters["dropped.store.batches"] = (this.pendingCounters["dropped.store.batches"] ?? 0) + 1;
        this.pendingCounters["dropped.store.rows"] = (this.pendingCounters["dropped.store.rows"] ?? 0) + rows;
        if (this.s.healthy) this.options.log?.warn({ err: (err as Error).message, store: this.label }, "parity store (postgres): write failed; shadow results are dropped and counted until it is back");
        this.s.healthy = false;
        return; // back off (kick retries in 500 ms)
      }
    }
    if (this.retentionDue !== undefined) {
      const now = this.retentionDue;
      this.retentionDue = undefined;
      await this.retain(now).catch((err: Error) => this.options.log?.warn({ err: err.message }, "parity store (postgres): retention failed"));
    }
  }

  /** One batch, one statement (batch-statement.ts): atomic without BEGIN/COMMIT, one round trip. */
  private async write(b: Required<StoreBatch>): Promise<void> {
    const statement = batchStatement(this.instance, b);
    if (statement === undefined) return;
    await this.pool.query({ name: statement.name, text: statement.text, values: statement.values });
  }

  private async retain(now: number): Promise<void> {
    const cutoff = now - this.retention.maxAgeMs;
    await this.pool.query("DELETE FROM comparisons WHERE at < $1", [cutoff]);
    await this.pool.query("DELETE FROM comparisons WHERE id <= (SELECT id FROM comparisons ORDER BY id DESC LIMIT 1 OFFSET $1)", [this.retention.maxComparisons]);
    await this.pool.query("DELETE FROM samples WHERE at < $1", [cutoff]);
    await this.pool.query("DELETE FROM samples WHERE id <= (SELECT id FROM samples ORDER BY id DESC LIMIT 1 OFFSET $1)", [this.retention.maxSamples]);
    await this.pool.query("DELETE FROM latency WHERE hour < $1", [hourOf(cutoff)]);
  }

  // ---- readers and the rest of the store's surface (async: CLI side) ---------------------------

  /** Everything the report and gates read for the window, loaded once. */
  async snapshot(since: number): Promise<PgSnapshot> {
    return PgSnapshot.load(this.pool, this.label, since);
  }

  async recordReplayRun(run: ReplayRun): Promise<number> {
    const client = await checkout(this.pool);
    try {
      await client.query("BEGIN");
      const { rows } = await client.query<{ id: string }>("INSERT INTO replay_runs (at, target, source, instance) VALUES ($1, $2, $3, $4) RETURNING id", [run.at, run.target, run.source ?? null, this.instance]);
      const id = Number(rows[0]!.id);
      for (const m of run.results) {
        await client.query(
          `INSERT INTO replay_results (run_id, method, passed, failed, first_failure) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (run_id, method) DO UPDATE SET passed = replay_results.passed + excluded.passed, failed = replay_results.failed + excluded.failed`,
          [id, m.method, m.passed, m.failed, m.firstFailure ?? null],
        );
      }
      await client.query("COMMIT");
      return id;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.done();
    }
  }

  /** The fleet's audit log, oldest first. */
  async audit(): Promise<Array<{ at: number; instance: string; action: string; who: string | null; why: string | null; target: string | null; old: unknown; new: unknown; forced: boolean; version: number | null }>> {
    const { rows } = await this.pool.query("SELECT at, instance, action, who, why, target, old, new, forced, version FROM audit ORDER BY id");
    return rows.map((r: Record<string, unknown>) => ({
      at: Number(r.at),
      instance: String(r.instance),
      action: String(r.action),
      who: (r.who as string | null) ?? null,
      why: (r.why as string | null) ?? null,
      target: (r.target as string | null) ?? null,
      old: r.old === null ? undefined : (JSON.parse(String(r.old)) as unknown),
      new: r.new === null ? undefined : (JSON.parse(String(r.new)) as unknown),
      forced: r.forced === true,
      version: r.version === null ? null : Number(r.version),
    }));
  }
}
