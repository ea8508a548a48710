/**
 * `exec.approvals.get` on the legacy's stored policy (hanzod/state/exec-approvals.ts), answered as 2026.9.1
 * and 2026.9.6 answer it (dist server-methods/exec-approvals `toExecApprovalsPayload`; same code in both).
 *
 * The legacy's get is not a pure read: it "ensures" the policy first (dist exec-approvals-store
 * `ensureExecApprovalsSnapshot`): it parses the row, normalizes it, fills in a socket path and a freshly
 * generated socket token, and writes the result back unless the serialization equals the stored text. So
 * hanzod answers only when the stored text is already that fixed point (the legacy answers without writing),
 * and refuses (UNAVAILABLE, naming the reason) when the legacy would write: no row yet, a malformed or
 * invalid document, or one that is not in the normalized form. Whether it is the fixed point is decided by
 * rebuilding the normalized document the way the legacy does (its zod schema's key order, then
 * `normalizeExecApprovalsInternal`) and comparing the serialization with the stored text byte for byte;
 * anything the rebuild does not reproduce (allowlist entries without ids, string entries, the legacy
 * `agents.default` alias, ...) differs from the text and is refused.
 *
 * The answer: `{path, exists: true, file, hash, resolvedDefaults}`; `file` without the socket token (the
 * legacy's redaction), `hash` the sha256 (hex) of the stored text: the compare-and-swap hash
 * `exec.approvals.set` checks.
 */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { isRecord } from "../../../protocol/index.js";

type Json = Record<string, unknown>;

export type PolicyRead = { kind: "answer"; payload: Json } | { kind: "refuse"; reason: string };

const SECURITY = new Set(["allowlist", "full", "deny"]);
const ASK = new Set(["always", "off", "on-miss"]);

const isString = (v: unknown): v is string => typeof v === "string";
const isFinite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

class Invalid extends Error {}

/** A zod looseObject's output: the shape's keys first (in shape order, when present), then the others in input order. */
function shaped(input: Json, shape: Record<string, (v: unknown) => unknown>): Json {
  const out: Json = {};
  for (const [key, check] of Object.entries(shape)) {
    if (!Object.hasOwn(input, key) || input[key] === undefined) continue;
    const value = check(input[key]);
    if (value !== undefined) out[key] = value;
  }
  for (const [key, value] of Object.entries(input)) if (!Object.hasOwn(shape, key)) out[key] = value;
  return out;
}

const oneOf = (allowed: Set<string>) => (v: unknown) => {
  if (!isString(v) || !allowed.has(v)) throw new Invalid();
  return v;
};
const str = (v: unknown) => {
  if (!isString(v)) throw new Invalid();
  return v;
};
const nonBlank = (v: unknown) => {
  if (!isString(v) || v.trim().length === 0) throw new Invalid();
  return v;
};
const finite = (v: unknown) => {
  if (!isFinite(v)) throw new Invalid();
  return v;
};
const nonNegative = (v: unknown) => {
  if (!isFinite(v) || v < 0) throw new Invalid();
  return v;
};
const bool = (v: unknown) => {
  if (typeof v !== "boolean") throw new Invalid();
  return v;
};
const object = (shape: Record<string, (v: unknown) => unknown>) => (v: unknown) => {
  if (!isRecord(v)) throw new Invalid();
  return shaped(v, shape);
};
const array = (item: (v: unknown) => unknown) => (v: unknown) => {
  if (!Array.isArray(v)) throw new Invalid();
  return v.map(item);
};

const POLICY = { security: oneOf(SECURITY), ask: oneOf(ASK), askFallback: oneOf(SECURITY), autoAllowSkills: bool };
const ALLOWLIST_ENTRY = (v: unknown): unknown => {
  if (isString(v)) {
    const pattern = v.trim();
    if (!pattern) throw new Invalid();
    return { pattern };
  }
  return object({
    pattern: nonBlank,
    id: str,
    // The legacy keeps only "allow-always" (anything else becomes undefined and drops out).
    source: (s) => (str(s) === "allow-always" ? s : undefined),
    commandText: str,
    argPattern: str,
    lastUsedAt: finite,
    lastUsedCommand: str,
    lastResolvedPath: str,
  })(v);
};
const MCP_TOOL = object({
  server: nonBlank,
  tool: nonBlank,
  source: (v) => {
    if (v !== "allow-always") throw new Invalid();
    return v;
  },
  addedAt: nonNegative,
  lastUsedAt: nonNegative,
});
const AGENT = object({ ...POLICY, allowlist: array(ALLOWLIST_ENTRY), mcpTools: array(MCP_TOOL) });
const DOCUMENT = object({
  version: (v) => {
    if (v !== 1) throw new Invalid();
    return v;
  },
  socket: object({ path: str, token: str }),
  defaults: object(POLICY),
  agents: (v) => {
    if (!isRecord(v) || Object.hasOwn(v, "__proto__")) throw new Invalid();
    const out: Json = {};
    for (const [id, agent] of Object.entries(v)) out[id] = AGENT(agent);
    return out;
  },
});

/** The legacy's schema parse (dist exec-approvals-config `persistedExecApprovalsSchema`), or undefined where it rejects. */
export function parseDocument(raw: string): Json | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !Object.hasOwn(parsed, "version")) return undefined;
  try {
    return DOCUMENT(parsed) as Json;
  } catch (e) {
    if (e instanceof Invalid) return undefined;
    throw e;
  }
}

function sanitizePolicy(policy: unknown): Json {
  const p = isRecord(policy) ? policy : {};
  const text = (v: unknown) => (isString(v) ? v.trim() : undefined);
  const security = text(p.security);
  const ask = text(p.ask);
  const askFallback = text(p.askFallback);
  return {
    security: security && SECURITY.has(security) ? security : undefined,
    ask: ask && ASK.has(ask) ? ask : undefined,
    askFallback: askFallback && SECURITY.has(askFallback) ? askFallback : undefined,
    autoAllowSkills: p.autoAllowSkills,
  };
}

/**
 * `normalizeExecApprovalsInternal` then `ensureExecApprovalsSocket` for a document that has nothing to
 * rewrite; undefined where the legacy would rewrite an agent (the `default` alias, allowlist entries to
 * coerce, ids to mint, command texts to strip, a policy value to drop): those change the text anyway.
 */
function normalized(doc: Json): Json | undefined {
  const agents: Json = { ...(isRecord(doc.agents) ? doc.agents : {}) };
  if (agents.default) return undefined;
  for (const agent of Object.values(agents)) {
    const a = agent as Json;
    if (a.allowlist !== undefined) {
      const list = a.allowlist as unknown[];
      if (list.some((e) => !isRecord(e) || !e.id || isString(e.commandText))) return undefined;
    }
  }
  const socket = isRecord(doc.socket) ? doc.socket : {};
  const path = isString(socket.path) ? socket.path.trim() : "";
  const token = isString(socket.token) ? socket.token.trim() : "";
  if (!path || !token) return undefined;
  return { version: 1, socket: { path, token }, defaults: { ...sanitizePolicy(doc.defaults) }, agents };
}

/** Where the legacy says its policy lives (dist `resolveExecApprovalsDisplayPath`, OPENCLAW_STATE_DIR set to the state dir). */
export function policyDisplayPath(stateDir: string): string {
  return join(resolve(stateDir), "state", "openclaw.sqlite#exec_approvals_config");
}

/** The legacy's `exec.approvals.get` answer for stored text `raw`, or why hanzod cannot give it without writing. */
export function execApprovalsGet(raw: string | null, stateDir: string): PolicyRead {
  if (raw === null) return { kind: "refuse", reason: "exec.approvals.get before the legacy stored a policy (its first get writes one, with a new socket token)" };
  const doc = parseDocument(raw);
  if (!doc) return { kind: "refuse", reason: "exec.approvals.get of a stored policy the legacy cannot parse (it replaces it with its fail-closed policy on this call)" };
  const file = normalized(doc);
  if (!file || `${JSON.stringify(file, null, 2)}\n` !== raw) return { kind: "refuse", reason: "exec.approvals.get of a stored policy not in the legacy's normalized form (the legacy rewrites it on this call)" };
  return { kind: "answer", payload: policyPayload(file, raw, stateDir) };
}

/**
 * The legacy's `toExecApprovalsPayload` for stored text `raw` whose parsed, normalized document is `file`:
 * the socket without its token (`redactExecApprovals`), the text's sha256, and the defaults resolved.
 */
export function policyPayload(file: Json, raw: string, stateDir: string): Json {
  const socketPath = isRecord(file.socket) && isString(file.socket.path) ? file.socket.path.trim() : "";
  const defaults = (isRecord(file.defaults) ? file.defaults : {}) as Json;
  return {
    path: policyDisplayPath(stateDir),
    exists: true,
    file: { ...file, socket: socketPath ? { path: socketPath } : undefined },
    hash: createHash("sha256").update(raw).digest("hex"),
    resolvedDefaults: {
      security: isString(defaults.security) && SECURITY.has(defaults.security) ? defaults.security : "full",
      ask: isString(defaults.ask) && ASK.has(defaults.ask) ? defaults.ask : "off",
      askFallback: isString(defaults.askFallback) && SECURITY.has(defaults.askFallback) ? defaults.askFallback : "deny",
      autoAllowSkills: defaults.autoAllowSkills ?? false,
    },
  };
}

/** The legacy's default state dir: its display path there depends on the legacy's environment (see the README). */
export const isDefaultStateDir = (stateDir: string): boolean => resolve(stateDir) === join(homedir(), ".openclaw");
