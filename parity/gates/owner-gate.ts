/**
 * The gate for moving a whole kind of connection to hanzod. An owner is not a method: what moves is
 * every connection of that kind, with the methods and events it brings along. The auth owner answers
 * every `connect` and emits tick, presence and health; the node owner receives node-role connections
 * and everything they call. hanzod must serve all of that, and for auth the recorded handshakes must
 * replay green against it.
 */
import { CONTRACT_METHOD_NAMES, isNodeRoleMethod } from "../../protocol/index.js";
import { HANZOD_METHODS, NODE_OWNER_GAPS } from "../../hanzod/registry.js";
import type { OwnerKey } from "../checklist/index.js";
import { replayCheck } from "./evaluate.js";
import type { GateCheck, GateConfig, GateResult, Verdict } from "./types.js";
import type { ReplayStatusRow } from "../store/types.js";

export type Owner = "auth" | "nodes";

export const OWNER_KEYS: Record<Owner, OwnerKey> = { auth: "authOwner", nodes: "nodeOwner" };

/** The methods a new owner must implement: the event families the auth owner emits, or the node role's calls. */
export function methodsBroughtAlong(owner: Owner): string[] {
  return owner === "auth" ? ["health", "system-presence"] : CONTRACT_METHOD_NAMES.filter(isNodeRoleMethod);
}

function implementedCheck(owner: Owner, implemented: ReadonlySet<string>): GateCheck {
  const needed = methodsBroughtAlong(owner);
  const missing = needed.filter((m) => !implemented.has(m));
  const detail =
    missing.length === 0
      ? `hanzod implements all ${needed.length}: ${needed.join(", ")}`
      : `hanzod does not implement ${missing.length} of ${needed.length}: ${missing.slice(0, 6).join(", ")}${missing.length > 6 ? ", ..." : ""}`;
  return { check: "implemented", verdict: missing.length === 0 ? "pass" : "fail", value: missing.length, threshold: 0, detail };
}

/**
 * The node owner carries every `node.invoke` to its nodes: a command hanzod declines would reach no one once
 * hanzod owns them (the legacy cannot reach a node connected to hanzod, and its agents' exec on a node goes
 * through its own registry), so the gate fails while any is declined.
 */
export function nodeCommandsCheck(gaps: ReadonlyMap<string, string>): GateCheck {
  const names = [...gaps.keys()];
  const detail =
    names.length === 0
      ? "hanzod serves every path through a node itself"
      : `hanzod does not serve: ${[...gaps].map(([path, why]) => `${path} (${why})`).join("; ")}. With nodeOwner hanzod the legacy cannot reach the node, so these would fail`;
  return { check: "node-commands", verdict: names.length === 0 ? "pass" : "fail", value: names.length, threshold: 0, detail };
}

/** `connectReplay`: the latest contract replay of `connect` against hanzod (auth only). */
export function evaluateOwnerGate(
  owner: Owner,
  config: GateConfig,
  connectReplay: ReplayStatusRow | undefined,
  implemented: ReadonlySet<string> = new Set(HANZOD_METHODS),
  nodeOwnerGaps: ReadonlyMap<string, string> = NODE_OWNER_GAPS,
): GateResult {
  const checks = [implementedCheck(owner, implemented)];
  if (owner === "auth") checks.push(replayCheck(config, connectReplay));
  if (owner === "nodes") checks.push(nodeCommandsCheck(nodeOwnerGaps));
  const verdict: Verdict = checks.some((c) => c.verdict === "fail") ? "fail" : checks.some((c) => c.verdict === "inconclusive") ? "inconclusive" : "pass";
  return { method: OWNER_KEYS[owner], target: "hanzod", verdict, checks };
}
