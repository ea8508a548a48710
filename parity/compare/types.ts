/**
 * The comparator's contract, shared by replay (recorded vs live) and shadow diffing (legacy vs hanzod).
 * Rules are data (see default-rules.ts in this folder), never code scattered in tests.
 */

/** Path globs are JSON pointers with `*` (one segment) and `**` (any depth): "/ts", "/sessions/* /updatedAt", "/**\/durationMs". */
export type PathGlob = string;

/**
 * Value detectors that replace volatile values by a typed placeholder before comparing.
 * `tempPath` (absolute paths under the OS temp folder) and `digest` (`sha256:...`, `hmac-sha256:v1:...`
 * strings) were added after `nonce`: throwaway state folders and per-install keyed hashes differ
 * between any two gateways. uuid and tempPath also apply to object KEYS (maps keyed by job id).
 */
export const VOLATILE_DETECTORS = ["timestamp", "duration", "uuid", "connId", "version", "nonce", "tempPath", "digest"] as const;
export type VolatileDetector = (typeof VOLATILE_DETECTORS)[number];

export interface NormalizationRules {
  /** Paths whose values are not compared at all (neither value nor presence). */
  ignore?: PathGlob[];
  /** Arrays at these paths compare as multisets (order-insensitive). */
  unordered?: PathGlob[];
  /**
   * Value detectors that replace volatile values by a placeholder before comparing. Unset = all
   * detectors; `[]` = none. When layers merge, an unset layer inherits, set layers union.
   */
  volatile?: VolatileDetector[];
  /**
   * Paths (and everything below them) compared on JSON type and presence only, not value: runtime
   * metrics such as event-loop delay or memory use, which must exist but never repeat.
   */
  shapeOnly?: PathGlob[];
  /**
   * Paths compared on JSON type alone (`<array>`, `<object>`, `<string>`...): no length, no elements,
   * no keys. For inventories whose content is each runtime's (or release's) own truth, such as the
   * discovery lists in hello-ok or the loaded-plugin list in health. Element types stay the frozen
   * contract's job (replay --check-contract, shadow contract validation).
   */
  typeOnly?: PathGlob[];
  /**
   * Paths that may be present on one side and absent on the other without a difference; when both
   * sides have them, they compare under the other rules. For fields a runtime sends only when it has
   * the feature behind them (Control UI, plugin surfaces, a config file).
   */
  optional?: PathGlob[];
}

/**
 * A complete rule set: what applies to every payload plus what applies to one method's result or one
 * event's payload. Layers (defaults, learned noise) merge with `mergeRuleSets`.
 */
export interface RuleSet {
  global: NormalizationRules;
  /** Keyed by method name; applies to the `payload` of that method's `res` frames. */
  methods?: Record<string, NormalizationRules>;
  /** Keyed by event name; applies to the `payload` of those event frames. */
  events?: Record<string, NormalizationRules>;
}

export type DifferenceKind =
  | "frame-kind" // req/res/event mismatch, or a different event name
  | "id"
  | "ok" // one side ok, the other not
  | "error-code"
  | "error-details-code"
  | "missing" // path present in expected only
  | "extra" // path present in actual only
  | "type" // different JSON types
  | "value" // different scalar values
  | "length" // arrays of different lengths
  | "element-missing" // an unordered (set) array lacks an element the expected side has; path = the array
  | "element-extra" // an unordered (set) array has an element the expected side lacks; path = the array
  | "contract" // actual violates the frozen contract
  | "close"; // the connection closed with another code, or closed when it should not (replay)

export interface Difference {
  kind: DifferenceKind;
  /**
   * JSON pointer. Frame-level kinds (frame-kind, id, ok, error-code, error-details-code) point into the
   * frame (`/id`, `/error/code`); error shape differences point into the frame too (`/error/...`);
   * payload differences point into the payload (`/sessions/0/key`); contract issues into the frame.
   */
  path: string;
  expected?: unknown;
  actual?: unknown;
  /** Human detail, e.g. the contract definition and ajv message for `contract`. */
  note?: string;
  /** For `contract`: the definition whose rule was broken (drift reports group by it). */
  definition?: string;
}
