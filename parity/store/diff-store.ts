/**
 * The parity diff store: one SQLite file (WAL) that the shadow sink writes in batches, one
 * transaction per batch, and that the report and the gates read. Retention is bounded by age and by
 * row counts so a long shadow run cannot fill the disk.
 */
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { SCHEMA_V1, SCHEMA_VERSION } from "./schema.js";
import { hourOf } from "./latency-bins.js";
import type { PairedLatencies, SignatureGroup, StoreReader, StoreWriter, StoredSample, TimedSignatureGroup } from "./reader.js";
import {
  DEFAULT_RETENTION,
  type ComparisonKind,
  type ComparisonRow,
  type LatencyBucketRow,
  type NoisePathRow,
  type NoiseProbeCountRow,
  type ReplayRun,
  type ReplayStatusRow,
  type RetentionPolicy,
  type SampleRow,
} from "./types.js";

export const STORE_FILE_NAME = "parity.sqlite";

/** First N full samples kept per method and differing path. */
export const DEFAULT_SAMPLES_PER_PATH = 3;

export function defaultStorePath(stateDir: string): string {
  return join(stateDir, STORE_FILE_NAME);
}

export interface DiffStoreOptions {
  retention?: Partial<RetentionPolicy>;
  samplesPerPath?: number;
  /** For readers (report, gates): fail with a clear message instead of creating an empty store. */
  mustExist?: boolean;
}

/** Everything one sink flush writes; applied in one transaction. */
export interface StoreBatch {
  comparisons?: ComparisonRow[];
  samples?: SampleRow[];
  latency?: LatencyBucketRow[];
  noiseProbes?: NoiseProbeCountRow[];
  noisePaths?: NoisePathRow[];
  counters?: Record<string, number>;
}

export type { SignatureGroup, PairedLatencies, StoredSample } from "./reader.js";

const MAX_SAMPLE_JSON_CHARS = 256 * 1024;

function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  // A huge payload would bloat the store; keep a marker so the sample still explains itself.
  if (text.length > MAX_SAMPLE_JSON_CHARS) return JSON.stringify({ truncated: true, bytes: text.length, head: text.slice(0, 4096) });
  return text;
}

function fromJson(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

export class DiffStore implements StoreReader, StoreWriter {
  readonly path: string;
  readonly retention: RetentionPolicy;
  readonly samplesPerPath: number;
  private readonly db: SqliteDatabase;
  private readonly sampleCounts = new Map<string, number>();
  private readonly stmts;

  private constructor(path: string, db: SqliteDatabase, options: DiffStoreOptions) {
    this.path = path;
    this.db = db;
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.samplesPerPath = options.samplesPerPath ?? DEFAULT_SAMPLES_PER_PATH;
    this.stmts = {
      insertComparison: db.prepare(
        `INSERT INTO comparisons (at, kind, method, connection_id, expected_ok, actual_ok, expected_ms, actual_ms, failure, signature, difference_count)
         VALUES (@at, @kind, @method, @connectionId, @expectedOk, @actualOk, @expectedMs, @actualMs, @failure, @signature, @differenceCount)`,
      ),
      insertSample: db.prepare(
        `INSERT INTO samples (at, kind, method, path, params, expected, actual, differences) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertLatency: db.prepare(
        `INSERT INTO latency (method, backend, hour, bin, count, errors) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (method, backend, hour, bin) DO UPDATE SET count = count + excluded.count, errors = errors + excluded.errors`,
      ),
      upsertNoiseProbe: db.prepare(
        `INSERT INTO noise_probes (method, probes) VALUES (?, ?) ON CONFLICT (method) DO UPDATE SET probes = probes + excluded.probes`,
      ),
      upsertNoisePath: db.prepare(
        `INSERT INTO noise_paths (method, path, kind, differences) VALUES (?, ?, ?, ?)
         ON CONFLICT (method, path, kind) DO UPDATE SET differences = differences + excluded.differences`,
      ),
      upsertCounter: db.prepare(
        `INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`,
      ),
    };
    this.loadSampleCounts();
  }

  static open(path: string, options: DiffStoreOptions = {}): DiffStore {
    if (!options.mustExist) mkdirSync(dirname(path), { recursive: true });
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, { fileMustExist: options.mustExist === true });
    } catch (err) {
      if (options.mustExist) throw new Error(`no parity store at ${path} (run the proxy with shadow routes first, or pass --store)`);
      throw err;
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("foreign_keys = ON");
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new Error(`${path} has parity store schema ${version}; this hanzonode knows up to ${SCHEMA_VERSION}`);
    }
    if (version < SCHEMA_VERSION) {
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    return new DiffStore(path, db, options);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Whether a sample for this method and path would still be kept (the sink asks before serialising). */
  wantsSample(method: string, path: string): boolean {
    return (this.sampleCounts.get(sampleKey(method, path)) ?? 0) < this.samplesPerPath;
  }

  writeBatch(batch: StoreBatch): void {
    const s = this.stmts;
    const tx = this.db.transaction((b: StoreBatch) => {
      for (const c of b.comparisons ?? []) {
        s.insertComparison.run({
          ...c,
          expectedOk: c.expectedOk ? 1 : 0,
          actualOk: c.actualOk === null ? null : c.actualOk ? 1 : 0,
        });
      }
      for (const sample of b.samples ?? []) {
        const key = sampleKey(sample.method, sample.path);
        const have = this.sampleCounts.get(key) ?? 0;
        if (have >= this.samplesPerPath) continue;
        this.sampleCounts.set(key, have + 1);
        s.insertSample.run(
          sample.at,
          sample.kind,
          sample.method,
          sample.path,
          toJson(sample.params),
          toJson(sample.expected),
          toJson(sample.actual),
          toJson(sample.differences) ?? "[]",
        );
      }
      for (const l of b.latency ?? []) s.upsertLatency.run(l.method, l.backend, l.hour, l.bin, l.count, l.errors);
      for (const p of b.noiseProbes ?? []) s.upsertNoiseProbe.run(p.method, p.probes);
      for (const p of b.noisePaths ?? []) s.upsertNoisePath.run(p.method, p.path, p.kind, p.differences);
      for (const [name, value] of Object.entries(b.counters ?? {})) if (value !== 0) s.upsertCounter.run(name, value);
    });
    try {
      tx(batch);
    } catch (err) {
      // The transaction rolled back; resync the sample counts it may have advanced.
      this.loadSampleCounts();
      throw err;
    }
  }

  /** Deletes what is older than the policy allows and trims tables to their row caps. */
  applyRetention(now: number = Date.now()): { comparisons: number; samples: number; latency: number } {
    const cutoff = now - this.retention.maxAgeMs;
    const tx = this.db.transaction(() => {
      let comparisons = this.db.prepare(`DELETE FROM comparisons WHERE at < ?`).run(cutoff).changes;
      comparisons += this.db
        .prepare(`DELETE FROM comparisons WHERE id <= (SELECT id FROM comparisons ORDER BY id DESC LIMIT 1 OFFSET ?)`)
        .run(this.retention.maxComparisons).changes;
      let samples = this.db.prepare(`DELETE FROM samples WHERE at < ?`).run(cutoff).changes;
      samples += this.db
        .prepare(`DELETE FROM samples WHERE id <= (SELECT id FROM samples ORDER BY id DESC LIMIT 1 OFFSET ?)`)
        .run(this.retention.maxSamples).changes;
      const latency = this.db.prepare(`DELETE FROM latency WHERE hour < ?`).run(hourOf(cutoff)).changes;
      this.db.prepare(`DELETE FROM replay_runs WHERE at < ? AND id NOT IN (SELECT MAX(id) FROM replay_runs GROUP BY target)`).run(cutoff);
      return { comparisons, samples, latency };
    });
    const removed = tx();
    if (removed.samples > 0) this.loadSampleCounts();
    return removed;
  }

  // ---- readers -------------------------------------------------------------------------------

  signatureGroups(kind: ComparisonKind, since: number): SignatureGroup[] {
    return this.db
      .prepare(
        `SELECT method, signature, COUNT(*) AS count,
                SUM(expected_ok = 0) AS expectedErrors,
                SUM(actual_ok = 0) AS actualErrors,
                SUM(actual_ok IS NULL) AS failures
         FROM comparisons WHERE kind = ? AND at >= ? GROUP BY method, signature`,
      )
      .all(kind, since) as SignatureGroup[];
  }

  signatureGroupsOverTime(kind: ComparisonKind, since: number, bucketMs: number): TimedSignatureGroup[] {
    return this.db
      .prepare(
        `SELECT method, signature, (at - at % ?) AS bucket, COUNT(*) AS count,
                SUM(expected_ok = 0) AS expectedErrors,
                SUM(actual_ok = 0) AS actualErrors,
                SUM(actual_ok IS NULL) AS failures
         FROM comparisons WHERE kind = ? AND at >= ? GROUP BY method, signature, bucket`,
      )
      .all(bucketMs, kind, since) as TimedSignatureGroup[];
  }

  /** Both sides' latencies of the same shadowed requests, per method. */
  pairedLatencies(since: number): Map<string, PairedLatencies> {
    const out = new Map<string, PairedLatencies>();
    const rows = this.db
      .prepare(`SELECT method, at, expected_ms AS e, actual_ms AS a FROM comparisons WHERE kind = 'shadow' AND at >= ?`)
      .iterate(since) as IterableIterator<{ method: string; at: number; e: number; a: number | null }>;
    for (const row of rows) addPaired(out, row);
    return out;
  }

  instances(): Array<{ instance: string; comparisons: number; lastAt: number | null }> {
    const row = this.db.prepare(`SELECT COUNT(*) AS n, MAX(at) AS lastAt FROM comparisons`).get() as { n: number; lastAt: number | null };
    return row.n === 0 ? [] : [{ instance: "local", comparisons: row.n, lastAt: row.lastAt }];
  }

  latencyBuckets(since: number): LatencyBucketRow[] {
    return this.db
      .prepare(
        `SELECT method, backend, 0 AS hour, bin, SUM(count) AS count, SUM(errors) AS errors
         FROM latency WHERE hour >= ? GROUP BY method, backend, bin`,
      )
      .all(hourOf(since)) as LatencyBucketRow[];
  }

  samples(filter: { method?: string; limit?: number } = {}): StoredSample[] {
    const rows = this.db
      .prepare(
        `SELECT id, at, kind, method, path, params, expected, actual, differences FROM samples
         WHERE (? IS NULL OR method = ?) ORDER BY id LIMIT ?`,
      )
      .all(filter.method ?? null, filter.method ?? null, filter.limit ?? 1000) as Array<{
      id: number;
      at: number;
      kind: ComparisonKind;
      method: string;
      path: string;
      params: string | null;
      expected: string | null;
      actual: string | null;
      differences: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      kind: r.kind,
      method: r.method,
      path: r.path,
      params: fromJson(r.params),
      expected: fromJson(r.expected),
      actual: fromJson(r.actual),
      differences: fromJson(r.differences),
    }));
  }

  noiseProbeCounts(): NoiseProbeCountRow[] {
    return this.db.prepare(`SELECT method, probes FROM noise_probes`).all() as NoiseProbeCountRow[];
  }

  noisePaths(): NoisePathRow[] {
    return this.db.prepare(`SELECT method, path, kind, differences FROM noise_paths`).all() as NoisePathRow[];
  }

  /** Forgets learned noise (all methods, or one). */
  resetNoise(method?: string): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM noise_probes WHERE ? IS NULL OR method = ?`).run(method ?? null, method ?? null);
      this.db.prepare(`DELETE FROM noise_paths WHERE ? IS NULL OR method = ?`).run(method ?? null, method ?? null);
    })();
  }

  /** The recorder's `hanzonode replay` stores its per-method results here for the report and the gates. */
  recordReplayRun(run: ReplayRun): number {
    return this.db.transaction((r: ReplayRun) => {
      const id = Number(this.db.prepare(`INSERT INTO replay_runs (at, target, source) VALUES (?, ?, ?)`).run(r.at, r.target, r.source ?? null).lastInsertRowid);
      const insert = this.db.prepare(`INSERT INTO replay_results (run_id, method, passed, failed, first_failure) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id, method) DO UPDATE SET passed = passed + excluded.passed, failed = failed + excluded.failed`);
      for (const m of r.results) insert.run(id, m.method, m.passed, m.failed, m.firstFailure ?? null);
      return id;
    })(run);
  }

  /** Per method and target: the result of the newest replay run that included the method. */
  latestReplay(): ReplayStatusRow[] {
    return this.db
      .prepare(
        `SELECT r.method AS method, run.target AS target, run.at AS at, r.passed AS passed, r.failed AS failed, r.first_failure AS firstFailure
         FROM replay_results r JOIN replay_runs run ON run.id = r.run_id
         WHERE run.id = (SELECT MAX(r2.run_id) FROM replay_results r2 JOIN replay_runs run2 ON run2.id = r2.run_id
                         WHERE r2.method = r.method AND run2.target = run.target)`,
      )
      .all() as ReplayStatusRow[];
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.db.prepare(`SELECT name, value FROM counters`).all() as Array<{ name: string; value: number }>) out[row.name] = row.value;
    return out;
  }

  /** Oldest and newest comparison times (for the report's window line). */
  comparisonSpan(since: number): { first: number | null; last: number | null; total: number } {
    const row = this.db.prepare(`SELECT MIN(at) AS first, MAX(at) AS last, COUNT(*) AS total FROM comparisons WHERE at >= ?`).get(since) as {
      first: number | null;
      last: number | null;
      total: number;
    };
    return row;
  }

  private loadSampleCounts(): void {
    this.sampleCounts.clear();
    const rows = this.db.prepare(`SELECT method, path, COUNT(*) AS n FROM samples GROUP BY method, path`).all() as Array<{
      method: string;
      path: string;
      n: number;
    }>;
    for (const r of rows) this.sampleCounts.set(sampleKey(r.method, r.path), r.n);
  }
}

/** Adds one comparison's latencies to the per-method paired lists (shared with the PostgreSQL snapshot). */
export function addPaired(out: Map<string, PairedLatencies>, row: { method: string; at: number; e: number; a: number | null }): void {
  let entry = out.get(row.method);
  if (!entry) out.set(row.method, (entry = { expected: [], actual: [], expectedAt: [], actualAt: [] }));
  entry.expected.push(row.e);
  entry.expectedAt.push(row.at);
  if (row.a !== null) {
    entry.actual.push(row.a);
    entry.actualAt.push(row.at);
  }
}

function sampleKey(method: string, path: string): string {
  return `${method}\u0000${path}`;
}
