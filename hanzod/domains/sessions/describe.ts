/**
 * `sessions.describe` and the key resolution the legacy's by-key reads share (dist
 * session-request-agent: resolveRequestedSessionAgentId): an agent-qualified key names its agent; a bare
 * key belongs to the requested agent, else the default agent. An unknown requested agent, or one that
 * contradicts the key's, is the legacy's INVALID_REQUEST; a key of an agent the config does not
 * declare is simply not found (`session: null`).
 */
import { invalidRequest } from "../../core/method.js";
import { normalizeAgentId, type SessionStoreReader } from "../../state/sessions.js";
import { assertPresentable, rowsFor, unavailable } from "./list.js";
import { parseAgentSessionKey, presentSessionRow } from "./row.js";

export interface ResolvedKey {
  agentId: string;
  key: string;
}

/** The legacy's answer for a key and an optional agent id: the owning agent and canonical key, or its error. */
export function resolveSessionKey(reader: SessionStoreReader, cfg: Record<string, unknown>, rawKey: string, explicitAgentId?: unknown): ResolvedKey {
  const key = rawKey.trim();
  if (/^agent:(?:[^:]*)?$|^agent::/i.test(key)) throw invalidRequest(`malformed session key "${rawKey}"`);
  const { targets, defaultAgentId } = reader.targets(cfg);
  const configured = targets.filter((t) => t.configured).map((t) => t.agentId);
  const requested = typeof explicitAgentId === "string" ? normalizeAgentId(explicitAgentId) : undefined;
  if (requested !== undefined && !configured.includes(requested)) throw invalidRequest(`Unknown agent id "${String(explicitAgentId)}"`);
  const parsed = parseAgentSessionKey(key);
  if (parsed) {
    if (requested && parsed.agentId !== requested) throw invalidRequest(`agent "${String(explicitAgentId)}" does not match session key agent "${parsed.agentId}"`);
    return { agentId: parsed.agentId, key };
  }
  if (key === "global" || key === "unknown") throw unavailable(`the "${key}" session`);
  const agentId = requested ?? defaultAgentId;
  return { agentId, key: `agent:${agentId}:${key}` };
}

export function requireKey(value: unknown): string {
  const key = typeof value === "string" ? value.trim() : "";
  if (!key) throw invalidRequest("key required");
  return key;
}

export function sessionsDescribe(reader: SessionStoreReader, release: string, params: Record<string, unknown>, admin: boolean, now = Date.now()): Record<string, unknown> {
  const rows = rowsFor(release);
  const rawKey = requireKey(params.key);
  if (params.includeLastMessage === true) throw unavailable(`sessions.describe with "includeLastMessage"`);
  const cfg = reader.config();
  const { agentId, key } = resolveSessionKey(reader, cfg, rawKey, params.agentId);
  const { targets, defaultAgentId } = reader.targets(cfg);
  const target = targets.find((t) => t.agentId === agentId && t.configured);
  const record = target ? reader.read([target], key)[0] : undefined;
  if (!record) return { session: null };
  assertPresentable(cfg, [record]);
  // The summary's state (current/stale/updating) follows the legacy's summariser; hanzod presents only sessions without one.
  if (rows.describeViewerFields && record.entry.activitySummary !== undefined) throw unavailable(`sessions.describe of a session with an activity summary ("${key}")`);
  const row = presentSessionRow(record.key, record.entry, { release: rows, agentId, listRow: false, defaultAgentId, admin, now }, { activitySummary: { state: "stale", canEnsure: true } });
  if (params.includeDerivedTitles === true) {
    // With a display name the legacy's title is that name; without one it reads the transcript.
    if (typeof row.displayName !== "string") throw unavailable(`sessions.describe "includeDerivedTitles" for a session without a display name`);
    row.derivedTitle = row.displayName;
  }
  return { session: row };
}
