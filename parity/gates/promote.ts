/**
 * `hanzonode parity promote|rollback`: decide with the gates, then change the checklist through the
 * checklist's own edit API (which validates, writes atomically and appends the audit log).
 */
import { hostname, userInfo } from "node:os";
import { existsSync } from "node:fs";
import { methodsInPhase } from "../../protocol/index.js";
import { loadChecklist, routeSchema, setOwner, setRoute, type EditResult, type PhaseName, type RoutingTable } from "../checklist/index.js";
import type { ReplayStatusRow } from "../store/types.js";
import { NoiseModel } from "../noise/model.js";
import { analyzeGroups } from "../report/analyze.js";
import { methodLatencies } from "../report/latency.js";
import { isPostgresUrl, openFleetChecklist, openReader, defaultInstance } from "../store/open.js";
import { evaluateGate, targetNeedsEvidence } from "./evaluate.js";
import { gateFor, routeOf } from "./from-checklist.js";
import { evaluateOwnerGate, OWNER_KEYS, type Owner } from "./owner-gate.js";
import type { GateResult, Verdict } from "./types.js";
import type { EditActor } from "../checklist/index.js";

/** A method, a phase's entry, or an owner of whole connections (auth: every connect; nodes: node-role sockets). */
export type PromotionScope = { method: string } | { phase: PhaseName } | { owner: Owner };

/** Where the checklist lives: a file, or the fleet's PostgreSQL store (then every instance applies the change). */
interface ChecklistHandle {
  table(): Promise<RoutingTable>;
  setRoute(target: string, route: string, actor: EditActor): Promise<EditResult>;
  setOwner(key: "authOwner" | "nodeOwner", backend: "legacy" | "hanzod", actor: EditActor): Promise<EditResult>;
  close(): Promise<void>;
}

async function checklistHandle(o: { checklistPath: string; storePath: string; instance?: string }): Promise<ChecklistHandle> {
  if (isPostgresUrl(o.storePath)) {
    const fleet = await openFleetChecklist(o.storePath, { instance: o.instance ?? defaultInstance("cli") });
    return {
      table: async () => fleet.current(),
      setRoute: (target, route, actor) => fleet.setRoute(target, route as never, actor),
      setOwner: (key, backend, actor) => fleet.setOwner(key, backend, actor),
      close: () => fleet.close(),
    };
  }
  return {
    table: () => loadChecklist(o.checklistPath),
    setRoute: (target, route, actor) => setRoute(o.checklistPath, target, route as never, actor),
    setOwner: (key, backend, actor) => setOwner(o.checklistPath, key, backend, actor),
    close: async () => undefined,
  };
}

export interface PromoteOptions {
  checklistPath: string;
  /** A SQLite file, or postgres://... (then the checklist and audit log are the fleet's, in the store). */
  storePath: string;
  /** Who acts, in a fleet's audit log (default cli@host:pid). */
  instance?: string;
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
export function methodsMoved(table: RoutingTable, scope: { method: string } | { phase: PhaseName }): string[] {
  if ("method" in scope) return [scope.method];
  return methodsInPhase(scope.phase).filter((m) => table.decide(m).source === `phases.${scope.phase}` || table.decide(m).source === "default");
}

/** The gate of each method toward `to`, judged on the store's evidence since `since` (promote and cutover use it). */
export async function gatherGates(table: RoutingTable, storePath: string, methods: readonly string[], to: string, since: number): Promise<GateResult[]> {
  if (!targetNeedsEvidence(to)) return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: undefined, latency: undefined, replay: undefined }));
  if (!isPostgresUrl(storePath) && !existsSync(storePath)) {
    return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: undefined, latency: undefined, replay: undefined }));
  }
  const { reader: store, close } = await openReader(storePath, since);
  try {
    const noise = new NoiseModel(store.noiseProbeCounts(), store.noisePaths());
    const comparisons = analyzeGroups(store.signatureGroups("shadow", since), noise);
    const latency = methodLatencies(store, since);
    const replay = new Map(store.latestReplay().filter((r) => r.target === "hanzod").map((r) => [r.method, r]));
    return methods.map((m) => evaluateGate(m, to, gateFor(table, m), { comparisons: comparisons.get(m), latency: latency.get(m), replay: replay.get(m) }));
  } finally {
    await close();
  }
}

function overall(gates: readonly GateResult[]): Verdict {
  if (gates.some((g) => g.verdict === "fail")) return "fail";
  if (gates.some((g) => g.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

function scopeTarget(scope: PromotionScope): string {
  return "method" in scope ? scope.method : "phase" in scope ? scope.phase : OWNER_KEYS[scope.owner];
}

/** The latest contract replay of `connect` against hanzod: the recorded handshakes, replayed. */
async function connectReplay(storePath: string): Promise<ReplayStatusRow | undefined> {
  if (!isPostgresUrl(storePath) && !existsSync(storePath)) return undefined;
  const { reader, close } = await openReader(storePath, 0);
  try {
    return reader.latestReplay().find((r) => r.target === "hanzod" && r.method === "connect");
  } finally {
    await close();
  }
}

async function promoteOwner(o: PromoteOptions & { scope: { owner: Owner } }): Promise<PromoteOutcome> {
  if (o.to !== "hanzod") throw new Error(`an owner moves whole connections to a backend: --to hanzod, not ${o.to}`);
  const handle = await checklistHandle(o);
  try {
    const table = await handle.table();
    const key = OWNER_KEYS[o.scope.owner];
    const gates = [evaluateOwnerGate(o.scope.owner, gateFor(table, "connect"), o.scope.owner === "auth" ? await connectReplay(o.storePath) : undefined)];
    return await applyIfGateHolds(o, gates, (actor) => handle.setOwner(key, "hanzod", actor), table[key]);
  } finally {
    await handle.close();
  }
}

export async function promote(o: PromoteOptions): Promise<PromoteOutcome> {
  if ("owner" in o.scope) return promoteOwner({ ...o, scope: o.scope });
  checkRoute(o.to);
  if (o.to === "legacy") throw new Error("promote moves traffic toward hanzod; to go back to legacy use `hanzonode parity rollback`");
  const handle = await checklistHandle(o);
  try {
    const table = await handle.table();
    const methods = methodsMoved(table, o.scope);
    if (methods.length === 0) throw new Error(`no method of ${scopeTarget(o.scope)} is routed by its phase entry; promote methods one by one`);
    const gates = await gatherGates(table, o.storePath, methods, o.to, o.since ?? 0);
    const before = "method" in o.scope ? routeOf(table, o.scope.method) : undefined;
    const target = scopeTarget(o.scope);
    return await applyIfGateHolds(o, gates, (actor) => handle.setRoute(target, o.to, actor), before);
  } finally {
    await handle.close();
  }
}

/** The common tail of every promotion: refuse unless the gate passes (or --force, audited), then edit. */
async function applyIfGateHolds(o: PromoteOptions, gates: GateResult[], edit: (actor: EditActor) => Promise<EditResult>, before: string | undefined): Promise<PromoteOutcome> {
  const verdict = overall(gates);
  if (verdict !== "pass" && !o.force) {
    return { applied: false, forced: false, verdict, gates, message: `refused: the gate for ${scopeTarget(o.scope)} -> ${o.to} is ${verdict} (use --force to override; it is audited)` };
  }
  const forced = verdict !== "pass";
  const failing = gates.flatMap((g) => g.checks.filter((c) => c.verdict !== "pass").map((c) => `${g.method} ${c.check} ${c.verdict}`));
  const why = [forced ? `FORCED past gate (${verdict}: ${failing.slice(0, 5).join("; ")}${failing.length > 5 ? "; ..." : ""})` : `gate passed (${gates.length} method(s))`, o.why]
    .filter(Boolean)
    .join(": ");
  const result = await edit({ who: o.who ?? defaultActor(), why, stateDir: o.stateDir, forced });
  return {
    applied: result.changed,
    forced,
    verdict,
    gates,
    edit: result,
    message: result.changed ? `${scopeTarget(o.scope)}: ${before ?? JSON.stringify(result.old)} -> ${o.to}${forced ? " (forced)" : ""}` : `${scopeTarget(o.scope)} ${"owner" in o.scope ? "is" : "already routes to"} ${o.to}${"owner" in o.scope ? " already" : ""}`,
  };
}

export interface RollbackOptions {
  checklistPath: string;
  /** postgres://...: roll back in the fleet's checklist (every instance applies it). */
  storePath?: string;
  instance?: string;
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
  if ("owner" in o.scope) {
    if (to !== "legacy") throw new Error(`an owner goes back to legacy, not ${to}`);
  } else {
    checkRoute(to);
    if (to !== "legacy" && to !== "shadow") throw new Error(`rollback goes back to legacy or shadow, not ${to}; use promote to move toward hanzod`);
  }
  const handle = await checklistHandle({ checklistPath: o.checklistPath, storePath: o.storePath ?? "", instance: o.instance });
  try {
    const actor = { who: o.who ?? defaultActor(), why: o.why ?? "rollback", stateDir: o.stateDir };
    if ("owner" in o.scope) {
      const key = OWNER_KEYS[o.scope.owner];
      const edit = await handle.setOwner(key, "legacy", actor);
      return { edit, message: edit.changed ? `${key}: ${JSON.stringify(edit.old)} -> legacy (new connections)` : `${key} is already legacy` };
    }
    const edit = await handle.setRoute(scopeTarget(o.scope), to, actor);
    return { edit, message: edit.changed ? `${scopeTarget(o.scope)}: ${JSON.stringify(edit.old)} -> ${to}` : `${scopeTarget(o.scope)} already routes to ${to}` };
  } finally {
    await handle.close();
  }
}
