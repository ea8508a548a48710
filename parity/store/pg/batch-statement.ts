/**
 * One merged batch as one SQL statement: each table's rows go in through `unnest` of one array per
 * column, in a data-modifying CTE, so a batch is one round trip and one implicit transaction instead of
 * BEGIN, up to six INSERTs and COMMIT. On a small machine the database shares the proxy's cores, so
 * its per-statement work (parse, plan, commit) is throughput the proxy loses; the statement is also
 * prepared under a name per shape (which tables the batch touches, at most 64 shapes), so each
 * connection parses and plans each shape once.
 *
 * Every CTE targets a different table (PostgreSQL does not let one statement modify a row twice).
 */
import type { StoreBatch } from "../diff-store.js";

export interface BatchStatement {
  name: string;
  text: string;
  values: unknown[];
  /** Rows the statement writes (merged sums count once). */
  rows: number;
}

type Merged = Required<StoreBatch>;

function json(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return text.length > 256 * 1024 ? JSON.stringify({ truncated: true, bytes: text.length, head: text.slice(0, 4096) }) : text;
}

/** Sums rows with the same key: one INSERT ... ON CONFLICT may not touch a row twice. */
function sumBy<T>(rows: readonly T[], key: (r: T) => string, add: (into: T, from: T) => void): T[] {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const have = out.get(k);
    if (have) add(have, r);
    else out.set(k, { ...r });
  }
  return [...out.values()];
}

/** Builds the statement, or undefined when the batch holds nothing to write. */
export function batchStatement(instance: string, b: Merged): BatchStatement | undefined {
  const values: unknown[] = [instance];
  const param = (v: unknown, type: string): string => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const parts: string[] = [];
  let shape = "";
  let rows = 0;

  const c = b.comparisons;
  if (c.length > 0) {
    shape += "c";
    rows += c.length;
    parts.push(
      `ins_comparisons AS (INSERT INTO comparisons (at, instance, kind, method, connection_id, expected_ok, actual_ok, expected_ms, actual_ms, failure, signature, difference_count)
        SELECT at, $1::text, kind, method, cid, eok, aok, ems, ams, failure, sig, dc FROM unnest(${[
          param(c.map((r) => r.at), "bigint[]"),
          param(c.map((r) => r.kind), "text[]"),
          param(c.map((r) => r.method), "text[]"),
          param(c.map((r) => r.connectionId), "text[]"),
          param(c.map((r) => r.expectedOk), "boolean[]"),
          param(c.map((r) => r.actualOk), "boolean[]"),
          param(c.map((r) => r.expectedMs), "float8[]"),
          param(c.map((r) => r.actualMs), "float8[]"),
          param(c.map((r) => r.failure), "text[]"),
          param(c.map((r) => r.signature), "text[]"),
          param(c.map((r) => r.differenceCount), "int[]"),
        ].join(", ")}) AS t(at, kind, method, cid, eok, aok, ems, ams, failure, sig, dc))`,
    );
  }
  const s = b.samples;
  if (s.length > 0) {
    shape += "s";
    rows += s.length;
    parts.push(
      `ins_samples AS (INSERT INTO samples (at, instance, kind, method, path, params, expected, actual, differences)
        SELECT at, $1::text, kind, method, path, params, expected, actual, differences FROM unnest(${[
          param(s.map((r) => r.at), "bigint[]"),
          param(s.map((r) => r.kind), "text[]"),
          param(s.map((r) => r.method), "text[]"),
          param(s.map((r) => r.path), "text[]"),
          param(s.map((r) => json(r.params)), "text[]"),
          param(s.map((r) => json(r.expected)), "text[]"),
          param(s.map((r) => json(r.actual)), "text[]"),
          param(s.map((r) => json(r.differences) ?? "[]"), "text[]"),
        ].join(", ")}) AS t(at, kind, method, path, params, expected, actual, differences))`,
    );
  }
  const l = sumBy(b.latency, (r) => `${r.method}\u0000${r.backend}\u0000${r.hour}\u0000${r.bin}`, (a, r) => ((a.count += r.count), (a.errors += r.errors)));
  if (l.length > 0) {
    shape += "l";
    rows += b.latency.length;
    parts.push(
      `ups_latency AS (INSERT INTO latency (method, backend, hour, bin, count, errors)
        SELECT * FROM unnest(${[
          param(l.map((r) => r.method), "text[]"),
          param(l.map((r) => r.backend), "text[]"),
          param(l.map((r) => r.hour), "bigint[]"),
          param(l.map((r) => r.bin), "int[]"),
          param(l.map((r) => r.count), "bigint[]"),
          param(l.map((r) => r.errors), "bigint[]"),
        ].join(", ")})
        ON CONFLICT (method, backend, hour, bin) DO UPDATE SET count = latency.count + excluded.count, errors = latency.errors + excluded.errors)`,
    );
  }
  const probes = sumBy(b.noiseProbes, (r) => r.method, (a, r) => (a.probes += r.probes));
  if (probes.length > 0) {
    shape += "p";
    rows += b.noiseProbes.length;
    parts.push(
      `ups_probes AS (INSERT INTO noise_probes (method, probes) SELECT * FROM unnest(${param(
        probes.map((r) => r.method),
        "text[]",
      )}, ${param(
        probes.map((r) => r.probes),
        "bigint[]",
      )})
        ON CONFLICT (method) DO UPDATE SET probes = noise_probes.probes + excluded.probes)`,
    );
  }
  const paths = sumBy(b.noisePaths, (r) => `${r.method}\u0000${r.path}\u0000${r.kind}`, (a, r) => (a.differences += r.differences));
  if (paths.length > 0) {
    shape += "n";
    rows += b.noisePaths.length;
    parts.push(
      `ups_paths AS (INSERT INTO noise_paths (method, path, kind, differences) SELECT * FROM unnest(${[
        param(paths.map((r) => r.method), "text[]"),
        param(paths.map((r) => r.path), "text[]"),
        param(paths.map((r) => r.kind), "text[]"),
        param(paths.map((r) => r.differences), "bigint[]"),
      ].join(", ")})
        ON CONFLICT (method, path, kind) DO UPDATE SET differences = noise_paths.differences + excluded.differences)`,
    );
  }
  const counters = Object.entries(b.counters).filter(([, v]) => v !== 0);
  if (counters.length > 0) {
    shape += "k";
    parts.push(
      `ups_counters AS (INSERT INTO counters (name, instance, value) SELECT n, $1::text, v FROM unnest(${param(
        counters.map(([k]) => k),
        "text[]",
      )}, ${param(
        counters.map(([, v]) => v),
        "bigint[]",
      )}) AS t(n, v)
        ON CONFLICT (name, instance) DO UPDATE SET value = counters.value + excluded.value)`,
    );
  }
  if (parts.length === 0) return undefined;
  // A WITH needs a main statement; selecting $1 also gives the instance parameter its type when no
  // CTE of this shape uses it.
  return { name: `hanzonode-batch-${shape}`, text: `WITH ${parts.join(",\n")}\nSELECT $1::text AS instance`, values, rows };
}
