/** The diff store on a real SQLite file: typed rows, batches, sample admission, retention, replay runs. */
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { DiffStore } from "../store/diff-store.js";
import { encodeSignature } from "../noise/signature.js";
import type { ComparisonRow } from "../store/types.js";
import { tempDir, type TempDir } from "./support/env.js";

function comparison(over: Partial<ComparisonRow> = {}): ComparisonRow {
  return {
    at: Date.now(),
    kind: "shadow",
    method: "status",
    connectionId: "c1",
    expectedOk: true,
    actualOk: true,
    expectedMs: 5,
    actualMs: 2,
    failure: null,
    signature: "",
    differenceCount: 0,
    ...over,
  };
}

describe("DiffStore", () => {
  let dir: TempDir;
  afterEach(() => dir?.dispose());

  it("creates one WAL file with typed rows and groups comparisons by signature", () => {
    dir = tempDir("parity-store-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    const sig = encodeSignature([{ kind: "extra", path: "/extraField" }]);
    store.writeBatch({
      comparisons: [comparison(), comparison({ signature: sig, differenceCount: 1 }), comparison({ signature: sig, differenceCount: 1, actualOk: false }), comparison({ actualOk: null, actualMs: null, failure: "hanzod is not reachable" })],
    });
    const groups = store.signatureGroups("shadow", 0).sort((a, b) => a.signature.localeCompare(b.signature));
    expect(groups).toEqual([
      { method: "status", signature: "", count: 2, expectedErrors: 0, actualErrors: 0, failures: 1 },
      { method: "status", signature: sig, count: 2, expectedErrors: 0, actualErrors: 1, failures: 0 },
    ]);
    expect(store.pairedLatencies(0).get("status")).toMatchObject({ expected: [5, 5, 5, 5], actual: [2, 2, 2] });
    store.close();
    const raw = openSqlite(dir.file("parity.sqlite"), { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
  });

  it("keeps full samples only for the first N mismatches per method and path", () => {
    dir = tempDir("parity-store-");
    const store = DiffStore.open(dir.file("parity.sqlite"), { samplesPerPath: 2 });
    const sample = (i: number, path: string) => ({ at: i, kind: "shadow" as const, method: "status", path, params: { i }, expected: { ok: true, payload: { a: i } }, actual: { ok: true, payload: { a: -i } }, differences: [{ kind: "value", path }] });
    store.writeBatch({ samples: [sample(1, "/a"), sample(2, "/a"), sample(3, "/a"), sample(4, "/b")] });
    expect(store.wantsSample("status", "/a")).toBe(false);
    expect(store.wantsSample("status", "/b")).toBe(true);
    const kept = store.samples();
    expect(kept.map((s) => [s.path, (s.params as { i: number }).i])).toEqual([
      ["/a", 1],
      ["/a", 2],
      ["/b", 4],
    ]);
    expect(kept[0]!.expected).toEqual({ ok: true, payload: { a: 1 } });
    store.close();
  });

  it("retention drops rows older than the age limit and trims to the row caps, newest kept", () => {
    dir = tempDir("parity-store-");
    const now = Date.now();
    const store = DiffStore.open(dir.file("parity.sqlite"), { retention: { maxAgeMs: 60_000, maxComparisons: 3, maxSamples: 1 } });
    store.writeBatch({
      comparisons: [comparison({ at: now - 120_000, connectionId: "old" }), ...[1, 2, 3, 4].map((i) => comparison({ at: now - 1000 + i, connectionId: `new${i}` }))],
      samples: [1, 2].map((i) => ({ at: now - 10 + i, kind: "shadow" as const, method: "m", path: `/p${i}`, params: undefined, expected: 1, actual: 2, differences: [] })),
      latency: [
        { method: "status", backend: "legacy", hour: now - 3 * 3_600_000, bin: 10, count: 1, errors: 0 },
        { method: "status", backend: "legacy", hour: now - (now % 3_600_000), bin: 10, count: 1, errors: 0 },
      ],
    });
    const removed = store.applyRetention(now);
    expect(removed.comparisons).toBe(2);
    expect(removed.samples).toBe(1);
    expect(removed.latency).toBe(1);
    expect(store.comparisonSpan(0).total).toBe(3);
    expect(store.samples().map((s) => s.path)).toEqual(["/p2"]);
    // A sample slot freed by retention can be filled again.
    expect(store.wantsSample("m", "/p1")).toBe(true);
    store.close();
  });

  it("accumulates latency bins, noise counts and counters across batches", () => {
    dir = tempDir("parity-store-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    for (let i = 0; i < 2; i++) {
      store.writeBatch({
        latency: [{ method: "health", backend: "hanzod", hour: 0, bin: 7, count: 3, errors: 1 }],
        noiseProbes: [{ method: "health", probes: 5 }],
        noisePaths: [{ method: "health", path: "/ts", kind: "value", differences: 4 }],
        counters: { "dropped.observations": 2 },
      });
    }
    expect(store.latencyBuckets(0)).toEqual([{ method: "health", backend: "hanzod", hour: 0, bin: 7, count: 6, errors: 2 }]);
    expect(store.noiseProbeCounts()).toEqual([{ method: "health", probes: 10 }]);
    expect(store.noisePaths()).toEqual([{ method: "health", path: "/ts", kind: "value", differences: 8 }]);
    expect(store.counters()).toEqual({ "dropped.observations": 4 });
    store.resetNoise("health");
    expect(store.noiseProbeCounts()).toEqual([]);
    store.close();
  });

  it("records replay runs and answers the newest result per method and target", () => {
    dir = tempDir("parity-store-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    store.recordReplayRun({ at: 1000, target: "hanzod", results: [{ method: "health", passed: 3, failed: 0 }, { method: "status", passed: 1, failed: 1, firstFailure: "extra /x" }] });
    store.recordReplayRun({ at: 2000, target: "hanzod", results: [{ method: "status", passed: 2, failed: 0 }] });
    store.recordReplayRun({ at: 3000, target: "legacy", results: [{ method: "status", passed: 0, failed: 2 }] });
    const latest = store.latestReplay().sort((a, b) => `${a.target}${a.method}`.localeCompare(`${b.target}${b.method}`));
    expect(latest).toEqual([
      { method: "health", target: "hanzod", at: 1000, passed: 3, failed: 0, firstFailure: null },
      { method: "status", target: "hanzod", at: 2000, passed: 2, failed: 0, firstFailure: null },
      { method: "status", target: "legacy", at: 3000, passed: 0, failed: 2, firstFailure: null },
    ]);
    store.close();
  });

  it("a reader refuses a missing store with a clear message instead of creating one", () => {
    dir = tempDir("parity-store-");
    expect(() => DiffStore.open(dir.file("nope.sqlite"), { mustExist: true })).toThrow(/no parity store at .*nope\.sqlite/);
  });
});
