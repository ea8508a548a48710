/**
 * A session row as the legacy (2026.9.x) presents it in `sessions.list` / `sessions.describe`, built
 * from the stored entry (`session_nodes.entry_json`) and the config, the way the legacy's row
 * materializer does (dist session-row-prepared-read: materializeSessionRow, presentSessionRow).
 *
 * hanzod derives only what it can derive exactly. The legacy also folds in its model catalog, live
 * runs, operator roles and profile identities; where a config or an entry needs one of those, hanzod
 * does not guess: `unsupportedConfig` / `unsupportedEntryField` name what it cannot present yet, and
 * the method refuses with that message instead of answering a row that differs from the legacy's.
 */
import type { SessionEntry } from "../../state/sessions.js";

/** The legacy's built-in model defaults when the config selects no model (2026.9.1 and 2026.9.6). */
const THINKING_IDS = ["low", "medium", "high", "xhigh", "max", "ultra"] as const;
const AGENT_RUNTIME = { id: "codex", cloudPlacementSupported: false, devicePlacementSupported: false, source: "implicit" } as const;
export const BUILTIN_MODEL = {
  modelProvider: "openai",
  model: "gpt-6-astra",
  contextTokens: 200_000,
  thinkingDefault: "medium",
  fastAutoOnSeconds: 60,
} as const;

function thinkingLevels(): { id: string; label: string }[] {
  return THINKING_IDS.map((id) => ({ id, label: id }));
}

/** `defaults` of a sessions.list answer under the built-in model selection. */
export function sessionDefaults(): Record<string, unknown> {
  return {
    modelProvider: BUILTIN_MODEL.modelProvider,
    model: BUILTIN_MODEL.model,
    contextTokens: BUILTIN_MODEL.contextTokens,
    agentRuntime: { ...AGENT_RUNTIME },
    thinkingLevels: thinkingLevels(),
    thinkingOptions: [...THINKING_IDS],
    thinkingDefault: BUILTIN_MODEL.thinkingDefault,
    modelSelectionTarget: "session",
  };
}

/** Config settings that change rows in ways hanzod does not derive yet (model catalog, roles, stores, keys). */
export function unsupportedConfig(cfg: Record<string, unknown>): string | undefined {
  const at = (path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), cfg);
  const checks: [string, unknown][] = [
    ["models.providers", at(["models", "providers"])],
    ["agents.defaults.model", at(["agents", "defaults", "model"])],
    ["agents.defaults.models", at(["agents", "defaults", "models"])],
    ["agents.defaults.thinkingDefault", at(["agents", "defaults", "thinkingDefault"])],
    ["agents.defaults.heartbeat", at(["agents", "defaults", "heartbeat"])],
    ["gateway.roles", at(["gateway", "roles"])],
    ["session", at(["session"])],
    ["messages", at(["messages"])],
  ];
  const list = at(["agents", "list"]);
  if (Array.isArray(list)) {
    for (const a of list as Record<string, unknown>[]) {
      for (const k of Object.keys(a ?? {})) if (k !== "id" && k !== "default" && k !== "name" && k !== "workspace") checks.push([`agents.list[].${k}`, a[k]]);
    }
  }
  return checks.find(([, v]) => v !== undefined)?.[0];
}

/**
 * Entry fields the row materializer copies or derives without the legacy's runtime state. Any other
 * field (model overrides, delivery routes, owners/participants, run state, subagent links, ...) needs
 * a part of the legacy hanzod does not have yet.
 */
const PASS_THROUGH = [
  "icon",
  "color",
  "category",
  "boardFace",
  "boardPresentation",
  "autoLabel",
  "projectId",
  "archiveReason",
  "lastReadAt",
  "markedUnreadAt",
  "lastInteractionAt",
  "lastActivityAt",
  "thinkingLevel",
  "fastMode",
  "verboseLevel",
  "traceLevel",
  "reasoningLevel",
  "elevatedLevel",
  "sendPolicy",
] as const;
// activitySummary: the legacy writes one when it archives; list rows leave it out (describe refuses it, describe.ts).
const DERIVED = new Set(["sessionId", "lifecycleRevision", "updatedAt", "createdAt", "createdVia", "label", "delivery", "pinnedAt", "archivedAt", "activitySummary"]);
const KNOWN = new Set<string>([...PASS_THROUGH, ...DERIVED]);

export function unsupportedEntryField(entry: SessionEntry): string | undefined {
  for (const [k, v] of Object.entries(entry)) {
    if (v === undefined) continue;
    if (!KNOWN.has(k)) return k;
    if (k === "delivery" && (v as { kind?: unknown })?.kind !== "none") return "delivery";
    if (k === "createdVia" && v !== "operator") return "createdVia";
  }
  return undefined;
}

/** agent:<id>:<rest>, the legacy's canonical agent session key. */
export function parseAgentSessionKey(key: string): { agentId: string; rest: string } | undefined {
  const m = /^agent:([^:]+):(.+)$/.exec(key);
  return m ? { agentId: (m[1] as string).toLowerCase(), rest: m[2] as string } : undefined;
}

function classifyRest(rest: string): string {
  const r = rest.toLowerCase();
  if (r.startsWith("dashboard:")) return "dashboard";
  if (r.startsWith("tui-")) return "tui";
  if (r.startsWith("explicit:")) return "explicit";
  if (r.startsWith("hook:")) return "hook";
  if (r.startsWith("node-") || r.startsWith("node:")) return "node";
  if (r.startsWith("harness:")) return "harness";
  if (r.startsWith("voice:")) return "voice";
  if (r.startsWith("dreaming-narrative-")) return "dreaming";
  if (r === "boot" || r.startsWith("boot:") || r.startsWith("internal-session-effects:")) return "system";
  return "custom";
}
const BACKGROUND = new Set(["acp", "cron", "dreaming", "harness", "heartbeat", "hook", "subagent", "system"]);

/**
 * Keys whose classification needs the legacy's route parsing (channels, threads, peers, cron, subagents,
 * ACP): hanzod refuses them rather than classify them differently.
 */
export function unsupportedKey(key: string): boolean {
  if (key === "global" || key === "unknown") return false;
  const parsed = parseAgentSessionKey(key);
  if (!parsed) return true;
  return /(^|:)(cron|subagent|acp|group|channel|direct|dm|thread|topic)(:|$)/i.test(parsed.rest);
}

export interface RowContext {
  /** The agent whose database holds the row. */
  agentId: string;
  /** List rows carry the run projection (no run in flight); describe's rows do not. */
  listRow: boolean;
  defaultAgentId: string;
  admin: boolean;
  now: number;
}

function set(row: Record<string, unknown>, k: string, v: unknown): void {
  if (v !== undefined) row[k] = v;
}

/** The row; `extra` fields (describe's activity summary) go before the viewer fields, as the legacy orders them. */
export function presentSessionRow(key: string, entry: SessionEntry, ctx: RowContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const row: Record<string, unknown> = { key };
  set(row, "visibility", "shared");
  set(row, "permissionModePending", false);
  set(row, "createdVia", entry.createdVia);
  set(row, "createdAt", entry.createdAt);
  row.kind = key === "global" ? "global" : key === "unknown" ? "unknown" : "direct";
  set(row, "label", entry.label);
  for (const k of ["autoLabel", "icon", "color", "category", "boardFace", "boardPresentation"]) set(row, k, entry[k]);
  const parsed = parseAgentSessionKey(key);
  const isMain = parsed !== undefined && parsed.agentId === ctx.agentId && parsed.rest === "main";
  const classification = key === "global" || key === "unknown" ? key : isMain ? "main" : classifyRest(parsed?.rest ?? key);
  row.classification = classification;
  set(row, "agentId", parsed?.agentId ?? ctx.agentId);
  row.isMain = isMain;
  row.isBackground = BACKGROUND.has(classification);
  const label = typeof entry.label === "string" && entry.label.trim() ? entry.label.trim() : undefined;
  set(row, "displayName", label ?? (typeof entry.autoLabel === "string" ? entry.autoLabel : undefined));
  row.updatedAt = entry.updatedAt ?? null;
  row.archived = entry.archivedAt !== undefined;
  set(row, "archivedAt", entry.archivedAt);
  set(row, "archiveReason", entry.archiveReason);
  row.pinned = entry.pinnedAt !== undefined;
  set(row, "pinnedAt", entry.pinnedAt);
  const baseline = (entry.lastReadAt ?? entry.createdAt) as number | undefined;
  const lastTouch = Math.max((entry.lastInteractionAt as number | undefined) ?? 0, (entry.lastActivityAt as number | undefined) ?? 0);
  row.unread = entry.markedUnreadAt !== undefined || (baseline !== undefined && lastTouch > baseline);
  for (const k of ["lastReadAt", "markedUnreadAt", "lastInteractionAt", "lastActivityAt"]) set(row, k, entry[k]);
  set(row, "sessionId", entry.sessionId);
  set(row, "thinkingLevel", entry.thinkingLevel);
  row.thinkingLevels = thinkingLevels();
  row.thinkingOptions = [...THINKING_IDS];
  row.thinkingDefault = BUILTIN_MODEL.thinkingDefault;
  set(row, "fastMode", entry.fastMode);
  const sessionFast = typeof entry.fastMode === "boolean";
  row.effectiveFastMode = sessionFast ? entry.fastMode : false;
  row.effectiveFastModeSource = sessionFast ? "session" : "default";
  row.fastAutoOnSeconds = BUILTIN_MODEL.fastAutoOnSeconds;
  for (const k of ["verboseLevel", "traceLevel", "reasoningLevel", "elevatedLevel", "sendPolicy"]) set(row, k, entry[k]);
  row.totalTokensFresh = false;
  // The default agent's main session carries the heartbeat (the legacy's automation keys).
  if (parsed && parsed.agentId === ctx.defaultAgentId && parsed.rest === "main") row.hasAutomation = true;
  row.effectiveResponseUsage = "off";
  row.effectiveQueueMode = "steer";
  row.modelProvider = BUILTIN_MODEL.modelProvider;
  row.model = BUILTIN_MODEL.model;
  row.modelOverrideSource = null;
  row.runtimeSelectionLocked = false;
  row.agentRuntime = { ...AGENT_RUNTIME };
  set(row, "projectId", entry.projectId);
  row.snapshotAt = ctx.now;
  // Runs are served by the legacy; hanzod answers the reads of sessions with no run in flight.
  if (ctx.listRow) {
    row.hasActiveRun = false;
    row.activeRunIds = [];
  }
  Object.assign(row, extra);
  // A token-authenticated operator has no profile: admins are "admin", others "owner" (no gateway.roles).
  row.sharingRole = ctx.admin ? "admin" : "owner";
  return row;
}
