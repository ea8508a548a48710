/** Assembles the ParityReport from the store, the checklist and the coverage sources. */
import { CONTRACT_METHOD_NAMES, methodPolicy, type MigrationPhase } from "../../protocol/index.js";
import type { RoutingTable } from "../checklist/index.js";
import { evaluateGate, targetNeedsEvidence } from "../gates/evaluate.js";
import { gateFor, routeOf } from "../gates/from-checklist.js";
import { NoiseModel } from "../noise/model.js";
import { DEFAULT_NOISE_THRESHOLDS, type NoiseThresholds } from "../noise/thresholds.js";
import { hodgesLehmann } from "../gates/stats.js";
import type { StoreReader } from "../store/reader.js";
import type { ReplayStatusRow } from "../store/types.js";
import { analyzeGroups, type MethodComparisons, type PathStat } from "./analyze.js";
import { methodLatencies, routedErrors, type MethodLatency } from "./latency.js";
import { methodSeries, type SeriesPoint } from "./series.js";
import {
  REPORT_FORMAT,
  REPORT_FORMAT_VERSION,
  type CoverageSummary,
  type DifferingPath,
  type EventRow,
  type LatencyShift,
  type MapPhase,
  type MethodRow,
  type ParityReport,
  type PhaseGroup,
  type SampleView,
} from "./model.js";

export interface ReportInputs {
  store: StoreReader;
  table?: RoutingTable;
  checklistPath?: string;
  /** Epoch ms; 0 = everything retained. */
  since: number;
  sinceArg?: string;
  noise?: NoiseThresholds;
  recorded?: Set<string>;
  fixtureSources?: string[];
  /** undefined = unknown (hanzod's method list unavailable). */
  implemented?: Set<string>;
  /** Percent, e.g. 99.9. */
  failUnderPercent?: number;
  /** List every contract method, not only those with activity or a non-legacy route. */
  allMethods?: boolean;
  samplesPerPath?: number;
  now?: number;
}

const PHASE_ORDER: Array<MigrationPhase | "unknown"> = ["phase1", "phase2", "phase3", "phase4", "later", "unknown"];
const TOP_PATHS = 20;

function toPath(p: PathStat): DifferingPath {
  return { path: p.path, kind: p.kind, count: p.count, rate: p.rate, noiseRate: p.noiseRate, discounted: p.discounted };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function replayIndex(rows: readonly ReplayStatusRow[]): Map<string, ReplayStatusRow> {
  const out = new Map<string, ReplayStatusRow>();
  for (const r of rows) out.set(`${r.target}\u0000${r.method}`, r);
  return out;
}

function green(r: ReplayStatusRow | undefined): boolean | null {
  return !r || r.passed + r.failed === 0 ? null : r.failed === 0;
}

export function buildReport(inputs: ReportInputs): ParityReport {
  const { store, table } = inputs;
  const now = inputs.now ?? Date.now();
  const thresholds = inputs.noise ?? DEFAULT_NOISE_THRESHOLDS;
  const noise = new NoiseModel(store.noiseProbeCounts(), store.noisePaths(), thresholds);
  const shadow = analyzeGroups(store.signatureGroups("shadow", inputs.since), noise);
  const events = analyzeGroups(store.signatureGroups("event", inputs.since), undefined);
  const probesInWindow = store.signatureGroups("noise-probe", inputs.since).reduce((n, g) => n + g.count, 0);
  const latency = methodLatencies(store, inputs.since);
  const routedErr = routedErrors(store, inputs.since);
  const replays = replayIndex(store.latestReplay());
  const span = store.comparisonSpan(inputs.since);
  const { bucketMs, series } = methodSeries(store, inputs.since, noise, span.first, span.last);
  const recorded = inputs.recorded ?? new Set<string>();
  const implemented = inputs.implemented;
  const failUnder = inputs.failUnderPercent;

  const names = new Set<string>(inputs.allMethods ? CONTRACT_METHOD_NAMES : []);
  for (const m of shadow.keys()) names.add(m);
  for (const m of latency.keys()) names.add(m);
  for (const m of noise.methods()) names.add(m);
  // A stored contract replay is evidence too: its methods get rows showing replay-green per side.
  for (const r of replays.values()) if (r.passed + r.failed > 0) names.add(r.method);
  if (table) for (const m of CONTRACT_METHOD_NAMES) if (routeOf(table, m) !== "legacy") names.add(m);

  const rows: MethodRow[] = [];
  for (const method of [...names].sort()) {
    rows.push(methodRow(method, { table, shadow: shadow.get(method), latency: latency.get(method), routedErr: routedErr.get(method), replays, recorded, implemented, noise, failUnder, series: series.get(method) ?? [] }));
  }

  const phases: PhaseGroup[] = PHASE_ORDER.map((phase) => ({ phase, methods: rows.filter((r) => r.phase === phase) })).filter((g) => g.methods.length > 0);
  const eventRows: EventRow[] = [...events.values()]
    .sort((a, b) => (a.method < b.method ? -1 : 1))
    .map((e) => ({
      event: e.method,
      compared: e.calls,
      matchRate: e.calls === 0 ? null : e.exactMatches / e.calls,
      missing: e.paths.filter((p) => p.kind === "missing" && p.path === "/event").reduce((n, p) => n + p.count, 0),
      extra: e.paths.filter((p) => p.kind === "extra" && p.path === "/event").reduce((n, p) => n + p.count, 0),
      topPaths: e.paths.slice(0, TOP_PATHS).map(toPath),
    }));

  const totalsCalls = rows.reduce((n, r) => n + r.shadowCalls, 0);
  const totalsMatches = [...shadow.values()].reduce((n, c) => n + c.matchesAfterNoise, 0);
  const counters = store.counters();

  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    generatedAt: new Date(now).toISOString(),
    window: { since: inputs.since > 0 ? iso(inputs.since) : null, sinceArg: inputs.sinceArg ?? null, firstComparison: iso(span.first), lastComparison: iso(span.last) },
    sources: { store: store.path, checklist: inputs.checklistPath ?? null, fixtures: inputs.fixtureSources ?? [] },
    noiseThresholds: thresholds,
    failUnderPercent: failUnder ?? null,
    totals: {
      shadowCalls: totalsCalls,
      matchRate: totalsCalls === 0 ? null : totalsMatches / totalsCalls,
      noiseProbes: probesInWindow,
      eventComparisons: [...events.values()].reduce((n, e) => n + e.calls, 0),
      droppedObservations: counters["dropped.observations"] ?? 0,
      droppedEvents: counters["dropped.events"] ?? 0,
      compareErrors: counters["errors.compare"] ?? 0,
    },
    coverage: coverageSummary(table, recorded, replays, implemented),
    phases,
    events: eventRows,
    samples: pickSamples(store, rows, eventRows, inputs.samplesPerPath ?? 2),
    failing: rows.filter((r) => r.belowThreshold).map((r) => r.method),
    map: migrationMap(rows, table, implemented),
    seriesBucketMs: bucketMs,
    instances: store.instances().map((i) => ({ instance: i.instance, comparisons: i.comparisons, lastAt: iso(i.lastAt) })),
  };
}

/** Every contract method as one cell, by phase; rows bring their gate verdict and match rate. */
function migrationMap(rows: readonly MethodRow[], table: RoutingTable | undefined, implemented: Set<string> | undefined): MapPhase[] {
  const byMethod = new Map(rows.map((r) => [r.method, r]));
  const phases = new Map<string, MapPhase>();
  for (const method of CONTRACT_METHOD_NAMES) {
    const phase = methodPolicy(method)?.phase ?? "unknown";
    let group = phases.get(phase);
    if (!group) phases.set(phase, (group = { phase, cells: [] }));
    const row = byMethod.get(method);
    group.cells.push({
      method,
      route: row?.route ?? routeOf(table, method),
      verdict: row?.gate?.verdict ?? null,
      matchRate: row?.matchRate ?? null,
      implemented: implemented ? implemented.has(method) : null,
    });
  }
  return PHASE_ORDER.map((p) => phases.get(p)).filter((g): g is MapPhase => g !== undefined);
}

function shiftOf(lat: MethodLatency | undefined): LatencyShift | null {
  if (!lat || lat.legacyDistribution.n === 0 || lat.hanzodDistribution.n === 0) return null;
  const hl = hodgesLehmann(lat.legacyDistribution, lat.hanzodDistribution, 0.95);
  return hl ? { estimateMs: hl.estimate, lowMs: hl.low, highMs: hl.high, confidence: 0.95 } : null;
}

interface RowContext {
  table: RoutingTable | undefined;
  shadow: MethodComparisons | undefined;
  latency: MethodLatency | undefined;
  routedErr: { legacy: number; hanzod: number } | undefined;
  replays: Map<string, ReplayStatusRow>;
  recorded: Set<string>;
  implemented: Set<string> | undefined;
  noise: NoiseModel;
  failUnder: number | undefined;
  series: SeriesPoint[];
}

function isCutOver(route: string): boolean {
  return route === "hanzod" || (route.startsWith("canary:") && route !== "canary:0");
}

function methodRow(method: string, ctx: RowContext): MethodRow {
  const policy = methodPolicy(method);
  const route = routeOf(ctx.table, method);
  const c = ctx.shadow;
  const calls = c?.calls ?? 0;
  const matchRate = c && calls > 0 ? c.matchesAfterNoise / calls : null;
  const lat = ctx.latency;
  const shadowed = route === "shadow";
  const cutOver = isCutOver(route);
  const nextTarget = route === "shadow" ? "hanzod" : route.startsWith("canary:") ? "hanzod" : null;
  const replayHanzod = ctx.replays.get(`hanzod\u0000${method}`);
  const gate =
    nextTarget && targetNeedsEvidence(nextTarget)
      ? evaluateGate(method, nextTarget, gateFor(ctx.table, method), { comparisons: c, latency: lat, replay: replayHanzod })
      : null;
  const below = ctx.failUnder !== undefined && (shadowed || cutOver) && matchRate !== null && matchRate * 100 < ctx.failUnder;
  return {
    method,
    phase: policy?.phase ?? "unknown",
    scope: policy?.scope ?? null,
    route,
    shadowCalls: calls,
    matchRate,
    exactMatchRate: c && calls > 0 ? c.exactMatches / calls : null,
    mismatches: c ? calls - c.matchesAfterNoise : 0,
    noAnswer: c?.noAnswer ?? 0,
    errors: {
      legacy: (c?.expectedErrors ?? 0) + (ctx.routedErr?.legacy ?? 0),
      hanzod: (c?.actualErrors ?? 0) + (ctx.routedErr?.hanzod ?? 0),
    },
    topPaths: (c?.paths ?? []).filter((p) => !p.discounted).slice(0, TOP_PATHS).map(toPath),
    noisePaths: (c?.paths ?? []).filter((p) => p.discounted).slice(0, TOP_PATHS).map(toPath),
    noiseProbes: ctx.noise.probes(method),
    latency: lat
      ? {
          source: lat.source,
          legacy: { n: lat.legacy.n, p50Ms: lat.legacy.p50, p99Ms: lat.legacy.p99 },
          hanzod: { n: lat.hanzod.n, p50Ms: lat.hanzod.p50, p99Ms: lat.hanzod.p99 },
          p99Ratio: lat.p99Ratio,
          shift: shiftOf(lat),
        }
      : { source: "none", legacy: { n: 0, p50Ms: null, p99Ms: null }, hanzod: { n: 0, p50Ms: null, p99Ms: null }, p99Ratio: null, shift: null },
    series: ctx.series,
    coverage: {
      recorded: ctx.recorded.has(method),
      replayGreenLegacy: green(ctx.replays.get(`legacy\u0000${method}`)),
      replayGreenHanzod: green(replayHanzod),
      implemented: ctx.implemented ? ctx.implemented.has(method) : null,
      shadowed,
      cutOver,
    },
    gate,
    belowThreshold: below,
  };
}

function coverageSummary(table: RoutingTable | undefined, recorded: Set<string>, replays: Map<string, ReplayStatusRow>, implemented: Set<string> | undefined): CoverageSummary {
  let rec = 0;
  let greenLegacy = 0;
  let greenHanzod = 0;
  let impl = 0;
  let shadowed = 0;
  let cut = 0;
  for (const m of CONTRACT_METHOD_NAMES) {
    if (recorded.has(m)) rec++;
    if (green(replays.get(`legacy\u0000${m}`)) === true) greenLegacy++;
    if (green(replays.get(`hanzod\u0000${m}`)) === true) greenHanzod++;
    if (implemented?.has(m)) impl++;
    const route = routeOf(table, m);
    if (route === "shadow") shadowed++;
    if (isCutOver(route)) cut++;
  }
  return {
    contractMethods: CONTRACT_METHOD_NAMES.length,
    recorded: rec,
    replayGreenLegacy: greenLegacy,
    replayGreenHanzod: greenHanzod,
    implemented: implemented ? impl : null,
    shadowed,
    cutOver: cut,
  };
}

/** Samples for the paths the report shows as real differences (methods) and for event rows. */
function pickSamples(store: StoreReader, rows: readonly MethodRow[], events: readonly EventRow[], perPath: number): SampleView[] {
  const wanted = new Set<string>();
  for (const r of rows) for (const p of r.topPaths) wanted.add(`${r.method}\u0000${p.path}`);
  for (const e of events) for (const p of e.topPaths) wanted.add(`${e.event}\u0000${p.path}`);
  if (wanted.size === 0) return [];
  const taken = new Map<string, number>();
  const out: SampleView[] = [];
  for (const s of store.samples({ limit: 5000 })) {
    const key = `${s.method}\u0000${s.path}`;
    if (!wanted.has(key)) continue;
    const n = taken.get(key) ?? 0;
    if (n >= perPath) continue;
    taken.set(key, n + 1);
    out.push({ id: s.id, at: new Date(s.at).toISOString(), kind: s.kind, method: s.method, path: s.path, params: s.params, expected: s.expected, actual: s.actual, differences: s.differences });
    if (out.length >= 200) break;
  }
  return out;
}
