/**
 * The legacy's policy normalization, as both releases write it (dist exec-approvals-config
 * `normalizeExecApprovalsInternal`, exec-approvals `normalizeExecApprovals`; same code in 2026.9.1 and
 * 2026.9.6). Ported statement for statement, because `exec.approvals.set` stores its output byte for
 * byte: the key order of every object is the order these spreads produce, and JSON.stringify drops the
 * undefined values.
 *
 * Not ported: the legacy `agents.default` alias (merged into `main` by `mergeLegacyAgent`); callers
 * decline a document that has it (`hasLegacyDefaultAgent`).
 */
import { randomUUID } from "node:crypto";
import { isRecord } from "../../../protocol/index.js";

type Json = Record<string, unknown>;

const SECURITY = new Set(["allowlist", "full", "deny"]);
const ASK = new Set(["always", "off", "on-miss"]);

const trimmed = (v: unknown): string | undefined => (typeof v === "string" ? v.trim() : undefined);

export const hasLegacyDefaultAgent = (file: Json): boolean => isRecord(file.agents) && Boolean(file.agents.default);

/** `coerceAllowlistEntries`: strings to `{pattern}`, entries without a non-blank pattern dropped; the same array when nothing changed. */
function coerceAllowlistEntries(allowlist: unknown): unknown {
  if (!Array.isArray(allowlist) || allowlist.length === 0) return Array.isArray(allowlist) ? allowlist : undefined;
  let changed = false;
  const result: unknown[] = [];
  for (const item of allowlist) {
    if (typeof item === "string") {
      const pattern = item.trim();
      if (pattern) result.push({ pattern });
      changed = true;
    } else if (isRecord(item)) {
      if (typeof item.pattern === "string" && item.pattern.trim().length > 0) result.push(item);
      else changed = true;
    } else changed = true;
  }
  return changed ? (result.length > 0 ? result : undefined) : allowlist;
}

/** `ensureAllowlistIds`: a random UUID for each entry without an id (appended after its other keys). */
function ensureAllowlistIds(allowlist: unknown): unknown {
  if (!Array.isArray(allowlist) || allowlist.length === 0) return allowlist;
  let changed = false;
  const next = allowlist.map((entry: Json) => {
    if (entry.id) return entry;
    changed = true;
    return { ...entry, id: randomUUID() };
  });
  return changed ? next : allowlist;
}

/** `stripAllowlistCommandText`: the legacy never stores an entry's command text. */
function stripAllowlistCommandText(allowlist: unknown): unknown {
  if (!Array.isArray(allowlist) || allowlist.length === 0) return allowlist;
  let changed = false;
  const next = allowlist.map((entry: Json) => {
    if (typeof entry.commandText !== "string") return entry;
    changed = true;
    const { commandText: _dropped, ...rest } = entry;
    return rest;
  });
  return changed ? next : allowlist;
}

/** `sanitizeExecApprovalPolicy`: known values kept (trimmed), others undefined; autoAllowSkills as given. */
function sanitizePolicy(policy: unknown): Json {
  const p = isRecord(policy) ? policy : undefined;
  const security = trimmed(p?.security);
  const ask = trimmed(p?.ask);
  const askFallback = trimmed(p?.askFallback);
  return {
    security: security !== undefined && SECURITY.has(security) ? security : undefined,
    ask: ask !== undefined && ASK.has(ask) ? ask : undefined,
    askFallback: askFallback !== undefined && SECURITY.has(askFallback) ? askFallback : undefined,
    autoAllowSkills: p?.autoAllowSkills,
  };
}

/** `normalizeExecApprovalsInternal` (without the `default` alias: see the file comment). */
export function normalizeInternal(file: Json): Json {
  const socket = isRecord(file.socket) ? file.socket : {};
  const socketPath = trimmed(socket.path);
  const token = trimmed(socket.token);
  const agents: Json = { ...(isRecord(file.agents) ? file.agents : {}) };
  for (const [key, value] of Object.entries(agents)) {
    const agent = (isRecord(value) ? value : {}) as Json;
    const allowlist = stripAllowlistCommandText(ensureAllowlistIds(coerceAllowlistEntries(agent.allowlist)));
    const sanitized = sanitizePolicy(agent);
    if (allowlist !== agent.allowlist || sanitized.security !== agent.security || sanitized.ask !== agent.ask || sanitized.askFallback !== agent.askFallback) {
      agents[key] = { ...agent, allowlist, security: sanitized.security, ask: sanitized.ask, askFallback: sanitized.askFallback };
    }
  }
  return {
    version: 1,
    socket: { path: socketPath ? socketPath : undefined, token: token ? token : undefined },
    defaults: { ...sanitizePolicy(file.defaults) },
    agents,
  };
}

/** `normalizeExecApprovals`: the submitted document's socket trimmed first, then the internal normalization. */
export function normalizeSubmitted(file: Json): Json {
  const socket = isRecord(file.socket) ? file.socket : undefined;
  return normalizeInternal({ ...file, socket: { path: trimmed(socket?.path), token: trimmed(socket?.token) } });
}

/** `serializeExecApprovals`: the stored text (two-space JSON and a trailing newline). */
export const serialize = (file: Json): string => `${JSON.stringify(file, null, 2)}\n`;

/** `projectionValues`: the row's columns beside `raw_json`. */
export function projection(file: Json): Record<string, string | number | null> {
  const n = normalizeInternal(file);
  const socket = n.socket as { path?: string; token?: string };
  const defaults = n.defaults as Json;
  const agents = Object.values(n.agents as Json) as Json[];
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    socket_path: socket.path ?? null,
    has_socket_token: socket.token ? 1 : 0,
    default_security: text(defaults.security),
    default_ask: text(defaults.ask),
    default_ask_fallback: text(defaults.askFallback),
    auto_allow_skills: defaults.autoAllowSkills === undefined ? null : defaults.autoAllowSkills ? 1 : 0,
    agent_count: agents.length,
    allowlist_count: agents.reduce((total, agent) => total + (Array.isArray(agent.allowlist) ? agent.allowlist.length : 0), 0),
  };
}
