/**
 * A PostgreSQL store's evidence for one window, read once and served through the same synchronous
 * StoreReader the SQLite DiffStore implements: the report and the gates have one code path.
 */
import type pg from "pg";
import { addPaired } from "../diff-store.js";
import { hourOf } from "../latency-bins.js";
import type { PairedLatencies, SignatureGroup, StoreReader, StoredSample, TimedSignatureGroup } from "../reader.js";
import type { ComparisonKind, LatencyBucketRow, NoisePathRow, NoiseProbeCountRow, ReplayStatusRow } from "../types.js";

interface Row {
  at: number;
  instance: string;
  kind: ComparisonKind;
  method: string;
  eok: boolean;
  aok: boolean | null;
  ems: number;
  ams: number | null;
  sig: string;
}

function parse(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

export class PgSnapshot implements StoreReader {
  private constructor(
    readonly path: string,
    private readonly rows: Row[],
    private readonly latency: LatencyBucketRow[],
    private readonly sampleRows: StoredSample[],
    private readonly probes: NoiseProbeCountRow[],
    private readonly paths: NoisePathRow[],
    private readonly replay: ReplayStatusRow[],
    private readonly counterValues: Record<string, number>,
  ) {}

  static async load(pool: pg.Pool, label: string, since: number): Promise<PgSnapshot> {
    const comparisons = await pool.query(
      `SELECT at, instance, kind, method, expected_ok AS eok, actual_ok AS aok, expected_ms AS ems, actual_ms AS ams, signature AS sig FROM comparisons WHERE at >= $1 ORDER BY id`,
      [since],
    );
    const rows: Row[] = comparisons.rows.map((r: Record<string, unknown>) => ({
      at: Number(r.at),
      instance: String(r.instance),
      kind: r.kind as ComparisonKind,
      method: String(r.method),
      eok: r.eok === true,
      aok: r.aok === null ? null : r.aok === true,
      ems: Number(r.ems),
      ams: r.ams === null ? null : Number(r.ams),
      sig: String(r.sig),
    }));
    const latency = (
      await pool.query(`SELECT method, backend, bin, SUM(count)::float8 AS count, SUM(errors)::float8 AS errors FROM latency WHERE hour >= $1 GROUP BY method, backend, bin`, [hourOf(since)])
    ).rows.map((r: Record<string, unknown>) => ({ method: String(r.method), backend: r.backend as "legacy" | "hanzod", hour: 0, bin: Number(r.bin), count: Number(r.count), errors: Number(r.errors) }));
    const samples = (await pool.query(`SELECT id, at, kind, method, path, params, expected, actual, differences FROM samples ORDER BY id LIMIT 5000`)).rows.map((r: Record<string, unknown>) => ({
      id: Number(r.id),
      at: Number(r.at),
      kind: r.kind as ComparisonKind,
      method: String(r.method),
      path: String(r.path),
      params: parse(r.params as string | null),
      expected: parse(r.expected as string | null),
      actual: parse(r.actual as string | null),
      differences: parse(r.differences as string),
    }));
    const probes = (await pool.query(`SELECT method, probes::float8 AS probes FROM noise_probes`)).rows.map((r: Record<string, unknown>) => ({ method: String(r.method), probes: Number(r.probes) }));
    const paths = (await pool.query(`SELECT method, path, kind, differences::float8 AS differences FROM noise_paths`)).rows.map((r: Record<string, unknown>) => ({ method: String(r.method), path: String(r.path), kind: String(r.kind), differences: Number(r.differences) }));
    const replay = (
      await pool.query(
        `SELECT r.method, run.target, run.at, r.passed, r.failed, r.first_failure FROM replay_results r JOIN replay_runs run ON run.id = r.run_id
         WHERE run.id = (SELECT MAX(r2.run_id) FROM replay_results r2 JOIN replay_runs run2 ON run2.id = r2.run_id WHERE r2.method = r.method AND run2.target = run.target)`,
      )
    ).rows.map((r: Record<string, unknown>) => ({ method: String(r.method), target: String(r.target), at: Number(r.at), passed: Number(r.passed), failed: Number(r.failed), firstFailure: (r.first_failure as string | null) ?? null }));
    const counters: Record<string, number> = {};
    for (const r of (await pool.query(`SELECT name, SUM(value)::float8 AS value FROM counters GROUP BY name`)).rows as Array<{ name: string; value: number }>) counters[r.name] = Number(r.value);
    return new PgSnapshot(label, rows, latency, samples, probes, paths, replay, counters);
  }

  private groups(kind: ComparisonKind, since: number, bucketMs?: number): TimedSignatureGroup[] {
    const out = new Map<string, TimedSignatureGroup>();
    for (const r of this.rows) {
      if (r.kind !== kind || r.at < since) continue;
      const bucket = bucketMs ? r.at - (r.at % bucketMs) : 0;
      const key = `${r.method}\u0000${r.sig}\u0000${bucket}`;
      let g = out.get(key);
      if (!g) out.set(key, (g = { method: r.method, signature: r.sig, bucket, count: 0, expectedErrors: 0, actualErrors: 0, failures: 0 }));
      g.count++;
      if (!r.eok) g.expectedErrors++;
      if (r.aok === false) g.actualErrors++;
      if (r.aok === null) g.failures++;
    }
    return [...out.values()];
  }

  signatureGroups(kind: ComparisonKind, since: number): SignatureGroup[] {
    return this.groups(kind, since).map(({ bucket: _bucket, ...g }) => g);
  }

  signatureGroupsOverTime(kind: ComparisonKind, since: number, bucketMs: number): TimedSignatureGroup[] {
    return this.groups(kind, since, bucketMs);
  }

  pairedLatencies(since: number): Map<string, PairedLatencies> {
    const out = new Map<string, PairedLatencies>();
    for (const r of this.rows) if (r.kind === "shadow" && r.at >= since) addPaired(out, { method: r.method, at: r.at, e: r.ems, a: r.ams });
    return out;
  }

  latencyBuckets(): LatencyBucketRow[] {
    return this.latency;
  }

  samples(filter: { method?: string; limit?: number } = {}): StoredSample[] {
    return this.sampleRows.filter((s) => filter.method === undefined || s.method === filter.method).slice(0, filter.limit ?? 1000);
  }

  noiseProbeCounts(): NoiseProbeCountRow[] {
    return this.probes;
  }

  noisePaths(): NoisePathRow[] {
    return this.paths;
  }

  latestReplay(): ReplayStatusRow[] {
    return this.replay;
  }

  counters(): Record<string, number> {
    return { ...this.counterValues };
  }

  comparisonSpan(since: number): { first: number | null; last: number | null; total: number } {
    let first: number | null = null;
    let last: number | null = null;
    let total = 0;
    for (const r of this.rows) {
      if (r.at < since) continue;
      total++;
      if (first === null || r.at < first) first = r.at;
      if (last === null || r.at > last) last = r.at;
    }
    return { first, last, total };
  }

  instances(): Array<{ instance: string; comparisons: number; lastAt: number | null }> {
    const out = new Map<string, { instance: string; comparisons: number; lastAt: number | null }>();
    for (const r of this.rows) {
      const i = out.get(r.instance) ?? { instance: r.instance, comparisons: 0, lastAt: null };
      i.comparisons++;
      i.lastAt = Math.max(i.lastAt ?? 0, r.at);
      out.set(r.instance, i);
    }
    return [...out.values()].sort((a, b) => (a.instance < b.instance ? -1 : 1));
  }
}
