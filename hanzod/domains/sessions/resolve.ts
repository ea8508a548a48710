/**
 * `sessions.resolve` by `key` (dist sessions-resolve: resolveSessionKeyFromResolveParams, the `hasKey`
 * branch): the session's canonical key and owning agent, `{ ok: false }` for a missing one under
 * `allowMissing`, else the legacy's INVALID_REQUEST. Both releases answer this branch from the agent
 * database they re-read per call (2026.9.1 its session store, 2026.9.6 its row projection).
 *
 * hanzod serves only what it reproduces exactly and declines the rest (the proxy hands it to the legacy):
 * - the other selections (`sessionId`, `label`, `shortId`, 2026.9.6 `reference`): they scan, filter and
 *   sort rows (archived, visibility, ACP metadata of retired agents) through code hanzod has not compared;
 * - `spawnedBy`: the legacy checks the key against its subagent list filter;
 * - configs with `gateway.roles` (the operator boundary hides rows by sharing), `session` (scope, main key,
 *   store) or `agents.defaults.sessionStore` (a fixed store's persisted owner of bare keys);
 * - a bare key without `agentId`: its owner may be the legacy's in-process retained default agent;
 * - keys the legacy canonicalises or stores elsewhere (upper case, route-shaped, incognito, `global`,
 *   `unknown`, malformed `agent:` prefixes) and keys of agents the config does not declare (its
 *   retired-agent checks), and `agentId` spellings the legacy normalises.
 */
import { normalizeOptionalString } from "../../core/legacy-strings.js";
import { invalidRequest } from "../../core/method.js";
import { configAt } from "../../state/config-path.js";
import { normalizeAgentId, type SessionStoreReader, type SessionStoreTarget } from "../../state/sessions.js";
import { resolveSessionKey } from "./describe.js";
import { unavailable } from "./list.js";
import { parseAgentSessionKey } from "./row.js";

/** The selection errors' wording per release: 2026.9.6 added the `reference` selection. */
const SELECTORS: Record<string, string> = {
  "2026.9.1": "key, sessionId, label, or shortId",
  "2026.9.6": "key, sessionId, label, shortId, or reference",
};

const text = (v: unknown): string => normalizeOptionalString(v) ?? "";

/** Keys whose canonical form or store the legacy decides with logic hanzod has not compared. */
function keyDeclined(key: string): boolean {
  if (key !== key.toLowerCase() || key.includes("incognito")) return true;
  if (key === "global" || key === "unknown" || key.startsWith("agent:")) {
    const parsed = key.startsWith("agent:") ? parseAgentSessionKey(key) : undefined;
    if (!parsed) return true;
    return /(^|:)(cron|subagent|acp|group|channel|direct|dm|thread|topic)(:|$)/.test(parsed.rest) || parsed.rest === "global" || parsed.rest === "unknown";
  }
  return key.includes(":");
}

export function sessionsResolve(reader: SessionStoreReader, release: string, params: Record<string, unknown>): Record<string, unknown> {
  const selectors = SELECTORS[release];
  if (!selectors) throw unavailable(`sessions.resolve as openclaw ${release}`);
  // hanzod's params check accepts its whole window; 2026.9.1's own validator refuses `reference`.
  if (release === "2026.9.1" && params.reference !== undefined) throw unavailable(`sessions.resolve with "reference" as openclaw ${release}`);
  const key = text(params.key);
  const hasShortId = text(params.shortId) !== "";
  // The legacy's own order: slugHint first, then how many selections were given.
  if (params.slugHint !== undefined && !hasShortId) throw invalidRequest("slugHint requires shortId");
  const count = [key !== "", text(params.sessionId) !== "", text(params.label) !== "", hasShortId, params.reference !== undefined].filter(Boolean).length;
  if (count > 1) throw invalidRequest(`Provide either ${selectors} (not multiple)`);
  if (count === 0) throw invalidRequest(`Either ${selectors} is required`);
  if (!key) throw unavailable(`sessions.resolve by sessionId, label, shortId or reference`);
  if (text(params.spawnedBy) !== "") throw unavailable(`sessions.resolve with "spawnedBy"`);

  const { agentId, key: canonical, target } = canonicalTarget(reader, "sessions.resolve", key, params.agentId);
  if (reader.read([target], canonical)[0]) return { ok: true, key: canonical, agentId };
  if (params.allowMissing === true) return { ok: false };
  throw invalidRequest(`No session found: ${key}`);
}

/**
 * A trimmed, non-empty session key's canonical form and owning agent, as the legacy's
 * `resolveRequestedSessionAgentId` + `resolveSessionStoreKey` give it (its errors, in its order), or
 * a decline (naming `method`) for the keys and configs whose canonical key is the legacy's own logic.
 */
function canonicalTarget(reader: SessionStoreReader, method: string, key: string, explicit: unknown): { agentId: string; key: string; target: SessionStoreTarget } {
  const cfg = reader.config();
  for (const setting of [["gateway", "roles"], ["session"], ["agents", "defaults", "sessionStore"]] as const) {
    if (configAt(cfg, setting) !== undefined) throw unavailable(`${method} under the config setting "${setting.join(".")}"`);
  }
  if (keyDeclined(key)) throw unavailable(`${method} of the key "${key}"`);
  if (typeof explicit === "string" && explicit !== normalizeAgentId(explicit)) throw unavailable(`${method} with the agent id "${explicit}"`);

  // A bare key needs `agentId` here; the agent errors are resolveRequestedSessionAgentId's, shared with describe.
  if (!parseAgentSessionKey(key) && typeof explicit !== "string") throw unavailable(`${method} of the bare key "${key}" without "agentId"`);
  const { agentId, key: canonical } = resolveSessionKey(reader, cfg, key, explicit);
  const target = reader.targets(cfg).targets.find((t) => t.agentId === agentId && t.configured);
  if (!target) throw unavailable(`${method} of a key of the unconfigured agent "${agentId}"`);
  return { agentId, key: canonical, target };
}

/** The canonical key `sessions.messages.(un)subscribe` answer and subscribe under (no session need exist). */
export function canonicalSessionKey(reader: SessionStoreReader, release: string, method: string, key: string, explicitAgentId: unknown): string {
  if (!SELECTORS[release]) throw unavailable(`${method} as openclaw ${release}`);
  return canonicalTarget(reader, method, key, explicitAgentId).key;
}
