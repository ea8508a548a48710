/**
 * The comparator's contract, shared by replay (recorded vs live) and shadow diffing (legacy vs hanzod).
 * Rules are data (see rules in this folder), never code scattered in tests.
 */

/** Path globs are JSON pointers with `*` (one segment) and `**` (any depth): "/ts", "/sessions/* /updatedAt", "/**\/durationMs". */
export type PathGlob = string;

export type VolatileDetector = "timestamp" | "duration" | "uuid" | "connId" | "version" | "nonce";

export interface NormalizationRules {
  /** Paths whose values are not compared at all. */
  ignore?: PathGlob[];
  /** Arrays at these paths compare as multisets (order-insensitive). */
  unordered?: PathGlob[];
  /** Value detectors that replace volatile values by a placeholder before comparing (default: all). */
  volatile?: VolatileDetector[];
}

export type DifferenceKind =
  | "frame-kind" // req/res/event mismatch
  | "id"
  | "ok" // one side ok, the other not
  | "error-code"
  | "error-details-code"
  | "missing" // path present in expected only
  | "extra" // path present in actual only
  | "type" // different JSON types
  | "value" // different scalar values
  | "length" // arrays of different lengths
  | "contract"; // actual violates the frozen contract

export interface Difference {
  kind: DifferenceKind;
  /** JSON pointer into the payload (or the frame, for frame-level kinds). */
  path: string;
  expected?: unknown;
  actual?: unknown;
}
