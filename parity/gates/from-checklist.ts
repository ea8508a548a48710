/** Reads the gate settings and current routes out of a loaded checklist (RoutingTable). */
import type { RouteDecision, RoutingTable } from "../checklist/index.js";
import { DEFAULT_GATE, type GateConfig } from "./types.js";

function pickGate(raw: unknown): Partial<GateConfig> {
  if (typeof raw !== "object" || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: Partial<GateConfig> = {};
  if (typeof r.minShadowCalls === "number") out.minShadowCalls = r.minShadowCalls;
  if (typeof r.minMatchRate === "number") out.minMatchRate = r.minMatchRate;
  for (const key of ["latencyTolerance", "latencyToleranceMs", "tailFraction", "tailTolerance", "confidence"] as const) {
    const v = r[key];
    if (typeof v === "number") out[key] = v;
  }
  // Older checklists bound the tail by a p99 ratio: "hanzod's tail may be up to 1.2x legacy's" is a
  // tail tolerance of 20 %, now judged on the slowest share of the samples instead of one percentile.
  if (typeof r.maxP99Ratio === "number" && typeof r.tailTolerance !== "number") out.tailTolerance = Math.max(0, r.maxP99Ratio - 1);
  if (typeof r.requireContractReplay === "boolean") out.requireContractReplay = r.requireContractReplay;
  return out;
}

/**
 * Defaults, then the checklist's `gates:`, then the `gate:` override of the entry that routes the
 * method (exact, glob or phase entry: the same one that decides its route).
 */
export function gateFor(table: RoutingTable | undefined, method: string): GateConfig {
  if (!table) return DEFAULT_GATE;
  return { ...DEFAULT_GATE, ...pickGate(table.checklist.gates), ...pickGate(table.decide(method).gate) };
}

export function routeString(d: RouteDecision): string {
  return d.kind === "canary" ? `canary:${d.canaryPercent}` : d.kind;
}

export function routeOf(table: RoutingTable | undefined, method: string): string {
  return table ? routeString(table.decide(method)) : "legacy";
}
