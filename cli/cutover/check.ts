/**
 * The phase-6 gate: may the legacy go? Read from the parity store (traffic per backend, shadow evidence),
 * the checklist (routes and owners) and the audit log (recent returns to legacy):
 *  - every method seen in the window routes to hanzod and its gate toward hanzod passes;
 *  - authOwner and nodeOwner are hanzod, and hanzod serves every node.invoke command (none declined);
 *  - no request was answered by the legacy during the quiet period, and no change sent anything back
 *    to legacy during it;
 *  - every channel family (the phase-4 methods: channels.*, web.login.*, send, poll, message.action)
 *    routes to hanzod.
 * Each failed condition is one blocker line naming exactly what blocks.
 */
import { existsSync } from "node:fs";
import { methodsInPhase } from "../../protocol/methods.js";
import { loadChecklist, readAudit, type RoutingTable } from "../../parity/checklist/index.js";
import { DiffStore } from "../../parity/store/diff-store.js";
import { gatherGates } from "../../parity/gates/promote.js";
import { routeOf } from "../../parity/gates/from-checklist.js";
import { nodeCommandsCheck } from "../../parity/gates/owner-gate.js";
import { NODE_OWNER_GAPS } from "../../hanzod/registry.js";

export interface CutoverCheckOptions {
  storePath: string;
  checklistPath: string;
  stateDir: string;
  /** Start of the window whose traffic must all be on hanzod (epoch ms). */
  since: number;
  /** How long (ms, up to now) no request may have been answered by the legacy. */
  quietMs: number;
  now?: number;
  /** The node.invoke commands hanzod declines (default: hanzod's own list); without the legacy nobody serves them. */
  nodeOwnerGaps?: ReadonlyMap<string, string>;
}

export interface CutoverCheck {
  ok: boolean;
  blockers: string[];
  /** Methods seen in the window (any backend). */
  seen: string[];
  notes: string[];
}

function family(method: string): string {
  const dot = method.indexOf(".");
  return dot < 0 ? method : `${method.slice(0, dot)}.*`;
}

function channelFamilies(table: RoutingTable): { family: string; notOnHanzod: string[] }[] {
  const byFamily = new Map<string, string[]>();
  for (const m of methodsInPhase("phase4")) {
    const f = family(m);
    const list = byFamily.get(f) ?? [];
    if (table.decide(m).kind !== "hanzod") list.push(m);
    byFamily.set(f, list);
  }
  return [...byFamily].map(([f, notOnHanzod]) => ({ family: f, notOnHanzod }));
}

export async function checkCutover(o: CutoverCheckOptions): Promise<CutoverCheck> {
  const now = o.now ?? Date.now();
  const table = await loadChecklist(o.checklistPath);
  const blockers: string[] = [];
  const notes: string[] = [];
  let seen: string[] = [];
  let legacyRecent = new Map<string, number>();
  if (!existsSync(o.storePath)) {
    blockers.push(`no parity store at ${o.storePath}: there is no evidence that clients are served by hanzod`);
  } else {
    const store = DiffStore.open(o.storePath, { mustExist: true });
    try {
      seen = [...new Set(store.latencyBuckets(o.since).map((r) => r.method))].sort();
      legacyRecent = new Map<string, number>();
      for (const r of store.latencyBuckets(now - o.quietMs)) if (r.backend === "legacy") legacyRecent.set(r.method, (legacyRecent.get(r.method) ?? 0) + r.count);
    } finally {
      store.close();
    }
  }
  if (seen.length === 0 && existsSync(o.storePath)) blockers.push("no traffic recorded in the window: nothing proves clients work on hanzod");

  const offRoute = seen.filter((m) => table.decide(m).kind !== "hanzod");
  for (const m of offRoute) blockers.push(`method ${m}: used in the window but routed to ${routeOf(table, m)}, not hanzod`);
  const onHanzod = seen.filter((m) => table.decide(m).kind === "hanzod");
  if (onHanzod.length > 0) {
    for (const g of await gatherGates(table, o.storePath, onHanzod, "hanzod", o.since)) {
      if (g.verdict === "pass") continue;
      const why = g.checks.filter((c) => c.verdict !== "pass").map((c) => `${c.check} ${c.verdict}${c.detail ? ` (${c.detail})` : ""}`);
      blockers.push(`method ${g.method}: gate toward hanzod is ${g.verdict}: ${why.join("; ")}`);
    }
  }
  if (table.authOwner !== "hanzod") blockers.push(`authOwner is ${table.authOwner}: connect/auth still on the legacy (hanzonode parity promote --owner auth --to hanzod)`);
  if (table.nodeOwner !== "hanzod") blockers.push(`nodeOwner is ${table.nodeOwner}: node connections still on the legacy (hanzonode parity promote --owner nodes --to hanzod)`);
  const nodeCommands = nodeCommandsCheck(o.nodeOwnerGaps ?? NODE_OWNER_GAPS);
  if (nodeCommands.verdict !== "pass") blockers.push(`node commands: ${nodeCommands.detail}`);
  for (const [m, count] of [...legacyRecent].sort()) blockers.push(`method ${m}: ${count} request(s) answered by the legacy in the last ${Math.round(o.quietMs / 3_600_000)} h`);
  for (const f of channelFamilies(table)) if (f.notOnHanzod.length > 0) blockers.push(`channel family ${f.family}: not moved (${f.notOnHanzod.join(", ")} not routed to hanzod)`);

  const audit = await readAudit(o.stateDir);
  for (const e of audit) {
    const at = Date.parse(e.when);
    if (at >= now - o.quietMs && e.new === "legacy") {
      blockers.push(`audit: ${e.target} changed to ${String(e.new)} at ${e.when} by ${e.who}, within the quiet period`);
    }
    if (e.forced) notes.push(`audit: ${e.target} -> ${String(e.new)} was forced past its gate at ${e.when} (${e.why})`);
  }
  return { ok: blockers.length === 0, blockers, seen, notes };
}
