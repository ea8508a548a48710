/**
 * `hanzonode parity promote|rollback`: decide with the gates, then change the checklist through the
 * checklist's own edit API (which validates, writes atomically and appends the audit log).
 */
import { hostname, userInfo } from "node:os";
import { existsSync } from "node:fs";
import { methodsInPhase } from "../../protocol/index.js";
import { loadChecklist, routeSchema, setRoute, type EditResult, type PhaseName, type RoutingTable } from "../checklist/index.js";
import { NoiseModel } from "../noise/model.js";
import { analyzeGroups } from "../report/analyze.js";
import { methodLatencies } from "../report/latency.js";
import { DiffStore } from "../store/diff-store.js";
import { evaluateGate, targetNeedsEvidence } from "./evaluate.js";
import { gateFor, routeOf } from "./from-checklist.js";
import type { GateResult, Verdict } from "./types.js";

export type PromotionScope = { method: string } | { phase: PhaseName };

export interface PromoteOptions {
  checklistPath: string;
  storePath: string;
  stateDir: string;
  scope: PromotionScope;
  to: string;
  force?: boolean;
  why?: string;
  who?: string;
  /** Evidence window start (epoch ms); 0 = everything retained. */
  since?: number;
}

export interface PromoteOutcome {
  applied: boolean;
  forced: boolean;
  verdict: Verdict;
  gates: GateResult[];
  edit?: EditResult;
  message: string;
}

export function defaultActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid-${process.getuid?.() ?? "?"}@${hostname()}`;
  }
}

function checkRoute(to: string): void {
  const parsed = routeSchema.safeParse(to);
  if (!parsed.success) throw new Error(`--to ${JSON.stringify(to)}: ${parsed.error.issues[0]?.message ?? "not a route"}`);
}

/** Methods a change of this scope would move: the method, or the phase's methods that the phase entry decides. */
export function methodsMoved(table: RoutingTable, scope: PromotionScope): string[] {
  if ("method" in scope) return [scope.method];
  return methodsInPhase(scope.phase).filter((m) => table.decide(m).source === `phases.${scope.phase}` || table.decide(m).source === "default");
}

function gatherGates(table: RoutingTable, storePath: string, methods: readonly string[], to: string, since: number): GateResult[] {
  if (!targetNeedsEvidence(to)) return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: undefined, latency: undefined, replay: undefined }));
  if (!existsSync(storePath)) {
    return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: undefined, latency: undefined, replay: undefined }));
  }
  const store = DiffStore.open(storePath, { mustExist: true });
  try {
    const noise = new NoiseModel(store.noiseProbeCounts(), store.noisePaths());
    const comparisons = analyzeGroups(store.signatureGroups("shadow", since), noise);
    const latency = methodLatencies(store, since);
    const replay = new Map(store.latestReplay().filter((r) => r.target === "hanzod").map((r) => [r.method, r]));
    return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: comparisons.get(m), latency: latency.get(m), replay: replay.get(m) }));
  } finally {
    store.close();
  }
}

function overall(gates: readonly GateResult[]): Verdict {
  if (gates.some((g) => g.verdict === "fail")) return "fail";
  if (gates.some((g) => g.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

function scopeTarget(scope: PromotionScope): string {
  return "method" in scope ? scope.method : scope.phase;
}

export async function promote(o: PromoteOptions): Promise<PromoteOutcome> {
  checkRoute(o.to);
  if (o.to === "legacy") throw new Error("promote moves traffic toward hanzod; to go back to legacy use `hanzonode parity rollback`");
  const table = await loadChecklist(o.checklistPath);
  const methods = methodsMoved(table, o.scope);
  if (methods.length === 0) throw new Error(`no method of ${scopeTarget(o.scope)} is routed by its phase entry; promote methods one by one`);
  const gates = gatherGates(table, o.storePath, methods, o.to, o.since ?? 0);
  const verdict = overall(gates);
  if (verdict !== "pass" && !o.force) {
    return { applied: false, forced: false, verdict, gates, message: `refused: the gate for ${scopeTarget(o.scope)} -> ${o.to} is ${verdict} (use --force to override; it is audited)` };
  }
  const forced = verdict !== "pass";
  const failing = gates.flatMap((g) => g.checks.filter((c) => c.verdict !== "pass").map((c) => `${g.method} ${c.check} ${c.verdict}`));
  const why = [forced ? `FORCED past gate (${verdict}: ${failing.slice(0, 5).join("; ")}${failing.length > 5 ? "; ..." : ""})` : `gate passed (${gates.length} method(s))`, o.why]
    .filter(Boolean)
    .join(": ");
  const before = "method" in o.scope ? routeOf(table, o.scope.method) : undefined;
  const edit = await setRoute(o.checklistPath, scopeTarget(o.scope), o.to, { who: o.who ?? defaultActor(), why, stateDir: o.stateDir, forced });
  return {
    applied: edit.changed,
    forced,
    verdict,
    gates,
    edit,
    message: edit.changed ? `${scopeTarget(o.scope)}: ${before ?? JSON.stringify(edit.old)} -> ${o.to}${forced ? " (forced)" : ""}` : `${scopeTarget(o.scope)} already routes to ${o.to}`,
  };
}

export interface RollbackOptions {
  checklistPath: string;
  stateDir: string;
  scope: PromotionScope;
  /** legacy (default) or shadow. */
  to?: string;
  why?: string;
  who?: string;
}

/** Always allowed: moving traffic back toward legacy needs no evidence. */
export async function rollback(o: RollbackOptions): Promise<{ edit: EditResult; message: string }> {
  const to = o.to ?? "legacy";
  checkRoute(to);
  if (to !== "legacy" && to !== "shadow") throw new Error(`rollback goes back to legacy or shadow, not ${to}; use promote to move toward hanzod`);
  const edit = await setRoute(o.checklistPath, scopeTarget(o.scope), to, { who: o.who ?? defaultActor(), why: o.why ?? "rollback", stateDir: o.stateDir });
  return { edit, message: edit.changed ? `${scopeTarget(o.scope)}: ${JSON.stringify(edit.old)} -> ${to}` : `${scopeTarget(o.scope)} already routes to ${to}` };
}
