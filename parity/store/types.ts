/** Typed rows of the parity diff store (parity.sqlite). Times are epoch milliseconds. */

/** `shadow` = legacy vs hanzod; `noise-probe` = legacy vs legacy; `event` = one aligned event pair. */
export type ComparisonKind = "shadow" | "noise-probe" | "event";

/**
 * One entry of a comparison's difference signature: the differing path generalised to a pattern
 * (array indices become `*`) plus the difference kind. A comparison's signature is the sorted set of
 * these; an empty signature is an exact match.
 */
export interface SignatureEntry {
  kind: string;
  path: string;
}

export interface ComparisonRow {
  at: number;
  kind: ComparisonKind;
  method: string;
  connectionId: string;
  expectedOk: boolean;
  /** null when the second side failed to answer at all (leg down, timeout). */
  actualOk: boolean | null;
  expectedMs: number;
  actualMs: number | null;
  /** Why the second side gave no answer (BackendFailure.failed), else null. */
  failure: string | null;
  /** Encoded signature (see signature.ts); "" = no difference. */
  signature: string;
  differenceCount: number;
}

/** A full side-by-side sample kept for the first N mismatches per method and differing path. */
export interface SampleRow {
  at: number;
  kind: ComparisonKind;
  method: string;
  /** The differing path pattern this sample was kept for. */
  path: string;
  params: unknown;
  expected: unknown;
  actual: unknown;
  differences: unknown;
}

export interface LatencyBucketRow {
  method: string;
  backend: "legacy" | "hanzod";
  /** Start of the hour (ms) the samples fell in. */
  hour: number;
  /** Log-scale bin index (see latency-bins.ts). */
  bin: number;
  count: number;
  errors: number;
}

/** Legacy-vs-legacy difference counts at one path pattern of one method (the learned noise). */
export interface NoisePathRow {
  method: string;
  path: string;
  kind: string;
  differences: number;
}

export interface NoiseProbeCountRow {
  method: string;
  probes: number;
}

/** One result line of a contract replay (the recorder's `hanzonode replay`), per method. */
export interface ReplayMethodResult {
  method: string;
  passed: number;
  failed: number;
  /** A short human description of the first failure, secrets already redacted. */
  firstFailure?: string;
}

export interface ReplayRun {
  at: number;
  /** What was replayed against: "legacy" or "hanzod" (or a URL label). */
  target: string;
  /** Fixture files or a label, for the report's provenance line. */
  source?: string;
  results: ReplayMethodResult[];
}

export interface ReplayStatusRow {
  method: string;
  target: string;
  at: number;
  passed: number;
  failed: number;
  firstFailure: string | null;
}

export interface RetentionPolicy {
  /** Rows older than this are deleted (default 14 days). */
  maxAgeMs: number;
  /** At most this many comparison rows are kept, newest first (default 500,000). */
  maxComparisons: number;
  /** At most this many full samples are kept, newest first (default 5,000). */
  maxSamples: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeMs: 14 * 24 * 3_600_000,
  maxComparisons: 500_000,
  maxSamples: 5_000,
};
