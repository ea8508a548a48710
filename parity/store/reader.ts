/**
 * What the report and the gates read from a parity store. The SQLite DiffStore implements it directly;
 * the PostgreSQL store reads a snapshot of the window once (async) and serves it through the same
 * synchronous interface, so report and gates have one code path for a machine and a fleet.
 */
import type { ComparisonKind, LatencyBucketRow, NoisePathRow, NoiseProbeCountRow, ReplayStatusRow, SampleRow } from "./types.js";

/** Comparisons grouped by (method, signature): what the report and gates judge against noise. */
export interface SignatureGroup {
  method: string;
  signature: string;
  count: number;
  expectedErrors: number;
  actualErrors: number;
  failures: number;
}

/** A signature group within one time bucket (start, epoch ms) of the report's series. */
export interface TimedSignatureGroup extends SignatureGroup {
  bucket: number;
}

/** Both sides' latencies of the same shadowed requests, with the time of each sample. */
export interface PairedLatencies {
  expected: number[];
  actual: number[];
  expectedAt: number[];
  actualAt: number[];
}

export interface StoredSample extends SampleRow {
  id: number;
}

export interface StoreReader {
  /** A label for the report's sources line (a file path, or the database without its password). */
  readonly path: string;
  signatureGroups(kind: ComparisonKind, since: number): SignatureGroup[];
  signatureGroupsOverTime(kind: ComparisonKind, since: number, bucketMs: number): TimedSignatureGroup[];
  pairedLatencies(since: number): Map<string, PairedLatencies>;
  latencyBuckets(since: number): LatencyBucketRow[];
  samples(filter?: { method?: string; limit?: number }): StoredSample[];
  noiseProbeCounts(): NoiseProbeCountRow[];
  noisePaths(): NoisePathRow[];
  latestReplay(): ReplayStatusRow[];
  counters(): Record<string, number>;
  comparisonSpan(since: number): { first: number | null; last: number | null; total: number };
  /** Which proxy instances wrote to this store (a fleet's PostgreSQL store; one unnamed entry for SQLite). */
  instances(): Array<{ instance: string; comparisons: number; lastAt: number | null }>;
}

/** What the shadow sink writes through. SQLite writes synchronously; PostgreSQL queues and writes off the hot path. */
export interface StoreWriter {
  /** Whether a sample for this method and path would still be kept (asked before serialising one). */
  wantsSample(method: string, path: string): boolean;
  /** Hands over one batch; never blocks on a network. May throw (the sink counts it). */
  writeBatch(batch: import("./diff-store.js").StoreBatch): void;
  applyRetention(now?: number): unknown;
  /** Writes what is pending (bounded wait) and releases the store. */
  close(): void | Promise<void>;
}
