/**
 * The fleet store's write path against a real PostgreSQL: one batch of every row kind is one statement
 * (comparisons and samples appended, latency / noise / counters summed on conflict), named by its shape
 * (prepared once per connection), and a batch that touches only some tables leaves the others alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { PgStore } from "../store/pg/store.js";
import { batchStatement } from "../store/pg/batch-statement.js";
import type { StoreBatch } from "../store/diff-store.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";

const HOUR = 1_796_090_400_000;

function batch(at: number): Required<StoreBatch> {
  return {
    comparisons: [
      { at, kind: "shadow", method: "health", connectionId: "c1", expectedOk: true, actualOk: true, expectedMs: 1.5, actualMs: 2.25, failure: null, signature: "", differenceCount: 0 },
      { at: at + 1, kind: "shadow", method: "status", connectionId: "c2", expectedOk: true, actualOk: null, expectedMs: 3, actualMs: null, failure: "timeout", signature: "", differenceCount: 0 },
    ],
    samples: [{ at, kind: "shadow", method: "status", path: "/x", params: { a: 1 }, expected: { x: 1 }, actual: { x: 2 }, differences: [{ path: "/x" }] }],
    latency: [
      { method: "health", backend: "legacy", hour: HOUR, bin: 3, count: 2, errors: 0 },
      { method: "health", backend: "legacy", hour: HOUR, bin: 3, count: 1, errors: 1 },
    ],
    noiseProbes: [{ method: "health", probes: 2 }],
    noisePaths: [{ method: "health", path: "/ts", kind: "value", differences: 2 }],
    counters: { "dropped.shadow": 3 },
  };
}

describe("PostgreSQL store: a batch is one statement", () => {
  let db: TestPostgres;
  let client: pg.Client;
  beforeAll(async () => {
    db = await startTestPostgres();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await db?.dispose();
  });

  it("names the statement by the tables it touches and writes nothing for an empty batch", () => {
    const empty: Required<StoreBatch> = { comparisons: [], samples: [], latency: [], noiseProbes: [], noisePaths: [], counters: {} };
    expect(batchStatement("i", empty)).toBeUndefined();
    expect(batchStatement("i", { ...empty, counters: { x: 0 } })).toBeUndefined();
    const full = batchStatement("i", batch(1))!;
    expect(full.name).toBe("hanzonode-batch-cslpnk");
    // Latency rows with the same key are summed before the upsert (it may not touch a row twice).
    expect(full.rows).toBe(2 + 1 + 2 + 1 + 1);
    expect(batchStatement("i", { ...empty, latency: batch(1).latency })!.name).toBe("hanzonode-batch-l");
  });

  it("appends comparisons and samples, sums latency, noise and counters, twice over", async () => {
    const store = await PgStore.open(db.url, { instance: "batch-test" });
    try {
      store.writeBatch(batch(1000));
      await store.flush();
      store.writeBatch(batch(2000));
      // A batch touching only the counters leaves every other table as it was.
      store.writeBatch({ counters: { "dropped.shadow": 4 } });
      await store.flush();
      expect(store.stats()).toMatchObject({ failures: 0, droppedBatches: 0, healthy: true });
    } finally {
      await store.close();
    }
    const q = async (sql: string) => (await client.query(sql)).rows as Record<string, unknown>[];
    expect(await q("SELECT at::int AS at, instance, method, actual_ok, actual_ms, failure FROM comparisons WHERE instance = 'batch-test' ORDER BY at")).toEqual([
      { at: 1000, instance: "batch-test", method: "health", actual_ok: true, actual_ms: 2.25, failure: null },
      { at: 1001, instance: "batch-test", method: "status", actual_ok: null, actual_ms: null, failure: "timeout" },
      { at: 2000, instance: "batch-test", method: "health", actual_ok: true, actual_ms: 2.25, failure: null },
      { at: 2001, instance: "batch-test", method: "status", actual_ok: null, actual_ms: null, failure: "timeout" },
    ]);
    const samples = await q("SELECT params, expected, actual, differences FROM samples WHERE instance = 'batch-test'");
    expect(samples).toHaveLength(2);
    expect(JSON.parse(String(samples[0]!.params))).toEqual({ a: 1 });
    expect(await q(`SELECT count::int AS count, errors::int AS errors FROM latency WHERE method = 'health' AND hour = ${HOUR} AND bin = 3`)).toEqual([{ count: 6, errors: 2 }]);
    expect(await q("SELECT probes::int AS probes FROM noise_probes WHERE method = 'health'")).toEqual([{ probes: 4 }]);
    expect(await q("SELECT differences::int AS d FROM noise_paths WHERE method = 'health' AND path = '/ts'")).toEqual([{ d: 4 }]);
    expect(await q("SELECT value::int AS v FROM counters WHERE name = 'dropped.shadow' AND instance = 'batch-test'")).toEqual([{ v: 10 }]);
  });
});
