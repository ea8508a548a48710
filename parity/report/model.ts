/**
 * The parity report's data: exactly what `hanzonode parity report --json` prints. Documented in
 * parity/REPORT-FORMAT.md; fields are only ever added (then `formatVersion` stays), a removal or a
 * change of meaning bumps `formatVersion`.
 */
import type { MigrationPhase } from "../../protocol/index.js";
import type { GateResult, Verdict } from "../gates/types.js";
import type { NoiseThresholds } from "../noise/thresholds.js";
import type { SampleRow } from "../store/types.js";
import type { PathStat } from "./analyze.js";
import type { SeriesPoint } from "./series.js";

export type { SeriesPoint } from "./series.js";

/** hanzod - legacy latency (ms): the Hodges-Lehmann estimate with its interval (null limits: too few samples). */
export interface LatencyShift {
  estimateMs: number;
  lowMs: number | null;
  highMs: number | null;
  confidence: number;
}

export const REPORT_FORMAT = "hanzonode-parity-report";
export const REPORT_FORMAT_VERSION = 2;

export interface LatencyCell {
  n: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * The report shows the analysis's path statistics as they are (REPORT-FORMAT.md: DifferingPath).
 * build.ts copies the fields one by one, so a field added to PathStat reaches the JSON only when added there.
 */
export type DifferingPath = PathStat;

export interface MethodCoverage {
  recorded: boolean;
  /** Latest contract replay against legacy: true green, false red, null never replayed. */
  replayGreenLegacy: boolean | null;
  /** Latest contract replay against hanzod, same meaning. */
  replayGreenHanzod: boolean | null;
  /** null when hanzod's method list was not available. */
  implemented: boolean | null;
  shadowed: boolean;
  cutOver: boolean;
}

export interface MethodRow {
  method: string;
  phase: MigrationPhase | "unknown";
  scope: string | null;
  /** Effective route now: legacy | hanzod | shadow | canary:N. */
  route: string;
  /** Legacy-vs-hanzod comparisons in the window. */
  shadowCalls: number;
  /** Share of shadow calls matching once learned noise is discounted, 0..1; null without calls. */
  matchRate: number | null;
  /** Share matching with no difference at all, 0..1; null without calls. */
  exactMatchRate: number | null;
  mismatches: number;
  /** Shadow calls hanzod never answered (leg down, timeout). */
  noAnswer: number;
  errors: { legacy: number; hanzod: number };
  /** Up to 20 paths that count (not discounted), most frequent first. */
  topPaths: DifferingPath[];
  /** Paths discounted as noise, most frequent first (up to 20). */
  noisePaths: DifferingPath[];
  /** Legacy-vs-legacy noise probes seen for this method (all time). */
  noiseProbes: number;
  latency: { source: "shadow" | "routed" | "none"; legacy: LatencyCell; hanzod: LatencyCell; p99Ratio: number | null; shift: LatencyShift | null };
  /** Match rate and latency shift per time bucket of the window (`seriesBucketMs` wide), oldest first. */
  series: SeriesPoint[];
  coverage: MethodCoverage;
  /** Gate for the next promotion step (canary or hanzod), when the method is shadowed or in canary. */
  gate: GateResult | null;
  /** True when --fail-under is set and this shadowed / cut-over method is below it. */
  belowThreshold: boolean;
}

export interface PhaseGroup {
  phase: MigrationPhase | "unknown";
  methods: MethodRow[];
}

/** One contract method on the migration map. */
export interface MapCell {
  method: string;
  route: string;
  /** The gate for the next step (shadow / canary rows), else null. */
  verdict: Verdict | null;
  matchRate: number | null;
  implemented: boolean | null;
}

export interface MapPhase {
  phase: MigrationPhase | "unknown";
  cells: MapCell[];
}

/** A proxy instance that wrote evidence to the store (a fleet shares one PostgreSQL store). */
export interface InstanceRow {
  instance: string;
  comparisons: number;
  lastAt: string | null;
}

export interface EventRow {
  event: string;
  compared: number;
  matchRate: number | null;
  /** Legacy emitted it, hanzod did not (within the window, in order). */
  missing: number;
  /** hanzod emitted it, legacy did not. */
  extra: number;
  topPaths: DifferingPath[];
}

/** A stored sample as the report shows it: with its store id and `at` as an ISO time. */
export interface SampleView extends Omit<SampleRow, "at"> {
  id: number;
  at: string;
}

export interface CoverageSummary {
  contractMethods: number;
  recorded: number;
  replayGreenLegacy: number;
  replayGreenHanzod: number;
  /** null when hanzod's method list was not available. */
  implemented: number | null;
  shadowed: number;
  cutOver: number;
}

export interface ParityReport {
  format: typeof REPORT_FORMAT;
  formatVersion: number;
  generatedAt: string;
  window: { since: string | null; sinceArg: string | null; firstComparison: string | null; lastComparison: string | null };
  sources: { store: string; checklist: string | null; fixtures: string[] };
  noiseThresholds: NoiseThresholds;
  failUnderPercent: number | null;
  totals: {
    shadowCalls: number;
    matchRate: number | null;
    noiseProbes: number;
    eventComparisons: number;
    droppedObservations: number;
    droppedEvents: number;
    compareErrors: number;
  };
  coverage: CoverageSummary;
  phases: PhaseGroup[];
  events: EventRow[];
  samples: SampleView[];
  /** Methods that make --fail-under fail (shadowed or cut over, below the threshold). */
  failing: string[];
  /** Every contract method, by phase, with its route and gate verdict: "how far are we" at a glance. */
  map: MapPhase[];
  /** Width of one `series` bucket in milliseconds. */
  seriesBucketMs: number;
  /** Proxy instances whose evidence is in the store. */
  instances: InstanceRow[];
}
