/**
 * The legacy's agent roster (2026.9.x `listGatewayAgentsBasic`, src/gateway/agent-list.ts) derived from
 * its own state: the configured entries of `openclaw.json` (`agents.list`, or keyed `agents.entries`),
 * the agent directories under `<stateDir>/agents`, and who owns the default the way the legacy's roster
 * migration (src/config/legacy.roster.ts) sees a file on load: one entry marked `default: true` among
 * several is the retained legacy owner (ownership "legacy"); a single entry (or none: the implicit
 * `main`) is the sole owner; an explicit fleet (`agents.ownership: "explicit"`, what the legacy writes
 * back after any roster change, e.g. `agents.create`) has no legacy owner: 2026.9.6 takes its recorded
 * system agent as the default, 2026.9.1 the first entry, with selection required.
 *
 * Only the configs whose projection hanzod has compared with the real legacy are derived; anything
 * else is reported by `unsupportedRoster` so the caller refuses instead of guessing.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isRecord } from "../../protocol/index.js";

/** The legacy's reserved system agents, listed from disk only for clients declaring `agent-kind`. */
const SYSTEM_AGENT_IDS: ReadonlySet<string> = new Set(["openclaw", "crestodian"]);
const VALID_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

export interface RosterEntry {
  id: string;
  entry: Record<string, unknown>;
}

export interface RosterAgent {
  id: string;
  kind: "agent" | "system";
  name: string | undefined;
  entry: Record<string, unknown> | undefined;
  workspace: string;
}

export interface Roster {
  defaultId: string;
  ownership: "sole" | "legacy" | "explicit";
  selectionRequired: boolean;
  mainKey: string;
  scope: string;
  agents: RosterAgent[];
}

/** `normalizeOptionalString`: a trimmed non-empty string, else undefined. */
export function optionalString(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

/** The configured entries in authored order and the roster's form (list, keyed entries, or none). */
export function rosterEntries(cfg: Record<string, unknown>): { form: "list" | "entries" | "none"; entries: RosterEntry[] } {
  const agents = cfg.agents;
  if (!isRecord(agents)) return { form: "none", entries: [] };
  if (Object.hasOwn(agents, "entries") && agents.entries !== undefined) {
    const keyed = isRecord(agents.entries) ? agents.entries : {};
    return { form: "entries", entries: Object.entries(keyed).filter(([, e]) => isRecord(e)).map(([id, e]) => ({ id, entry: e as Record<string, unknown> })) };
  }
  if (Object.hasOwn(agents, "list") && agents.list !== undefined) {
    const list = Array.isArray(agents.list) ? agents.list : [];
    return { form: "list", entries: list.filter(isRecord).map((e) => ({ id: typeof e.id === "string" ? e.id : "", entry: e })) };
  }
  return { form: "none", entries: [] };
}

/** Entry keys whose effect on the roster and its rows hanzod reproduces (identity: name, theme, emoji). */
const ENTRY_KEYS: ReadonlySet<string> = new Set(["id", "default", "name", "workspace", "identity", "agentDir"]);
const AGENTS_KEYS: ReadonlySet<string> = new Set(["list", "entries", "ownership", "defaults"]);
const ROLE_DEFAULTS: ReadonlySet<string> = new Set(["heartbeat", "systemAgent", "authInheritance", "sessionStore"]);
const IDENTITY_KEYS: ReadonlySet<string> = new Set(["name", "theme", "emoji"]);

/** What in this config hanzod cannot project as the legacy does, or undefined. */
export function unsupportedRoster(cfg: Record<string, unknown>, stateDir: string): string | undefined {
  const agents = cfg.agents;
  if (agents !== undefined && !isRecord(agents)) return "a non-object agents setting";
  if (isRecord(agents)) {
    for (const k of Object.keys(agents)) if (!AGENTS_KEYS.has(k)) return `the config setting "agents.${k}"`;
    if (agents.ownership !== undefined && agents.ownership !== "explicit") return `agents.ownership ${JSON.stringify(agents.ownership)}`;
    if (agents.defaults !== undefined) {
      if (!isRecord(agents.defaults)) return "a non-object agents.defaults";
      for (const [role, v] of Object.entries(agents.defaults)) {
        // What the legacy's own roster migration writes: per-surface owners, none of which changes this roster.
        if (!ROLE_DEFAULTS.has(role) || !isRecord(v) || Object.keys(v).some((k) => k !== "agentId") || typeof v.agentId !== "string") return `the config setting "agents.defaults.${role}"`;
      }
    }
    if (Object.hasOwn(agents, "entries") && agents.entries !== undefined && !isRecord(agents.entries)) return "a non-object agents.entries";
    if (!Object.hasOwn(agents, "entries") && Object.hasOwn(agents, "list") && agents.list !== undefined && !Array.isArray(agents.list)) return "a non-array agents.list";
  }
  const { form, entries } = rosterEntries(cfg);
  if (form !== "none" && entries.length === 0) return "an empty agent roster";
  const seen = new Set<string>();
  for (const { id, entry } of entries) {
    if (!VALID_ID.test(id.trim())) return `the agent id ${JSON.stringify(id)} (the legacy rewrites or drops it)`;
    const norm = id.trim().toLowerCase();
    if (seen.has(norm)) return `the duplicate agent id "${norm}"`;
    seen.add(norm);
    for (const k of Object.keys(entry)) if (!ENTRY_KEYS.has(k)) return `the agent setting "${k}" (agent "${norm}")`;
    if (entry.default !== undefined && typeof entry.default !== "boolean") return `a non-boolean default marker (agent "${norm}")`;
    if (entry.name !== undefined && typeof entry.name !== "string") return `a non-string name (agent "${norm}")`;
    if (entry.workspace !== undefined && (typeof entry.workspace !== "string" || (entry.workspace.trim() !== "" && !isAbsolute(entry.workspace.trim())))) return `a workspace that is not an absolute path (agent "${norm}")`;
    // agents.create records the agent's directory; only the default one is known to change nothing here.
    if (entry.agentDir !== undefined && (typeof entry.agentDir !== "string" || resolve(entry.agentDir) !== join(stateDir, "agents", norm, "agent"))) return `a non-default agentDir (agent "${norm}")`;
    if (entry.identity !== undefined) {
      if (!isRecord(entry.identity)) return `a non-object identity (agent "${norm}")`;
      for (const k of Object.keys(entry.identity)) if (!IDENTITY_KEYS.has(k)) return `the identity setting "${k}" (agent "${norm}")`;
    }
  }
  const markedCount = entries.filter((e) => e.entry.default === true).length;
  if (markedCount > 1) return "several agents marked default";
  // Several unmarked entries: on load the legacy pins a list's first entry to the default workspace (legacy.roster); not compared yet.
  if (entries.length > 1 && markedCount === 0 && (agents as Record<string, unknown>).ownership !== "explicit") return "several agents listed and none marked default";
  if (cfg.session !== undefined) return 'the config setting "session" (main key, scope)';
  return undefined;
}

function recordedAgentId(agents: Record<string, unknown>, role: string): unknown {
  const defaults = agents.defaults;
  const entry = isRecord(defaults) ? defaults[role] : undefined;
  return isRecord(entry) ? entry.agentId : undefined;
}

/** Agent directories under the state dir, as the legacy lists them (normalized names of directories). */
function diskAgentIds(stateDir: string): string[] {
  const dir = join(stateDir, "agents");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name.trim().toLowerCase())
    .filter((id) => VALID_ID.test(id));
}

/** The legacy's roster for a config `unsupportedRoster` accepts. */
export function projectRoster(cfg: Record<string, unknown>, stateDir: string, release: string, includeSystem: boolean): Roster {
  const { entries } = rosterEntries(cfg);
  const configured = entries.map((e) => ({ id: e.id.trim().toLowerCase(), entry: e.entry }));
  const agentsCfg = isRecord(cfg.agents) ? cfg.agents : {};
  const explicit = agentsCfg.ownership === "explicit";
  const marked = configured.filter((e) => e.entry.default === true);
  const first = configured[0]?.id ?? "main";
  let defaultId: string;
  let ownership: Roster["ownership"];
  let selectionRequired = false;
  // The agent whose data (and default workspace) legacy single-agent state belongs to, if any.
  let dataOwner: string | undefined;
  if (configured.length === 0) [defaultId, ownership, dataOwner] = ["main", "sole", "main"];
  else if (!explicit && configured.length > 1 && marked.length === 1) {
    // The roster migration retains the one marked entry as the legacy owner (and drops the marker).
    const owner = (marked[0] as { id: string }).id;
    [defaultId, ownership, dataOwner] = [owner, "legacy", owner];
  } else if (configured.length === 1) [defaultId, ownership, dataOwner] = [first, "sole", first];
  else {
    // Several agents, no legacy owner: 2026.9.6 takes an explicit fleet's recorded system agent as its
    // default; otherwise (and always under 2026.9.1) the first entry is a default the caller must confirm.
    const recorded = explicit && release !== "2026.9.1" ? optionalString(recordedAgentId(agentsCfg, "systemAgent"))?.toLowerCase() : undefined;
    if (recorded && configured.some((e) => e.id === recorded)) [defaultId, ownership] = [recorded, "explicit"];
    else [defaultId, ownership, selectionRequired] = [first, "explicit", true];
  }

  const byId = new Map(configured.map((e) => [e.id, e.entry]));
  const disk = diskAgentIds(stateDir);
  const ids = new Set<string>([defaultId, ...byId.keys(), ...disk]);
  const visible = [...ids].filter((id) => byId.size === 0 || byId.has(id) || (disk.includes(id) && SYSTEM_AGENT_IDS.has(id)));
  visible.sort((a, b) => a.localeCompare(b));
  const ordered = visible.includes(defaultId) ? [defaultId, ...visible.filter((id) => id !== defaultId)] : visible;

  const agents: RosterAgent[] = [];
  for (const id of ordered) {
    const entry = byId.get(id);
    const kind = !entry && disk.includes(id) && SYSTEM_AGENT_IDS.has(id) ? "system" : "agent";
    if (kind === "system" && !includeSystem) continue;
    const identity = entry && isRecord(entry.identity) ? entry.identity : undefined;
    const configuredWorkspace = optionalString(entry?.workspace);
    let workspace: string;
    if (configuredWorkspace) workspace = resolve(configuredWorkspace);
    else if (id === dataOwner) workspace = join(stateDir, "workspace");
    else workspace = join(stateDir, `workspace-${id}`);
    agents.push({ id, kind, name: entry ? (optionalString(entry.name) ?? optionalString(identity?.name)) : undefined, entry, workspace: workspace.replaceAll("\0", "") });
  }
  return { defaultId, ownership, selectionRequired, mainKey: "main", scope: "per-sender", agents };
}

/** `insideGitCheckout`: a `.git` in the directory or any parent. */
export function insideGitCheckout(start: string): boolean {
  let current = resolve(start);
  for (;;) {
    if (existsSync(join(current, ".git"))) return true;
    const parent = dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}
