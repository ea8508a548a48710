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
import { configAt } from "../../state/config-path.js";

/**
 * What the two supported releases present differently for the same stored session (observed with the
 * real 2026.9.1 and 2026.9.6 on the same kind of state): the built-in model when the config selects
 * none, its thinking levels, where a model selection applies, the fields 2026.9.6 added to rows
 * (`runtimeSelectionLocked`, `snapshotAt`, describe's `activitySummary` and `sharingRole`), and which
 * main sessions carry the heartbeat (every agent's under 2026.9.1, the default agent's under 2026.9.6).
 */
export interface ReleaseRows {
  model: string;
  thinkingIds: readonly string[];
  /** Where a model selection applies; 2026.9.1 makes it global for callers that can persist config (admins). */
  modelSelectionTarget: { admin: "session" | "global"; other: "session" | "global" };
  rowClockAndLock: boolean;
  describeViewerFields: boolean;
  heartbeatOnEveryAgentMain: boolean;
}

const RELEASE_ROWS: Readonly<Record<string, ReleaseRows>> = {
  "2026.9.1": { model: "gpt-5.6-sol", thinkingIds: ["off", "low", "medium", "high", "xhigh", "max", "ultra"], modelSelectionTarget: { admin: "global", other: "session" }, rowClockAndLock: false, describeViewerFields: false, heartbeatOnEveryAgentMain: true },
  "2026.9.6": { model: "gpt-6-astra", thinkingIds: ["low", "medium", "high", "xhigh", "max", "ultra"], modelSelectionTarget: { admin: "session", other: "session" }, rowClockAndLock: true, describeViewerFields: true, heartbeatOnEveryAgentMain: false },
};

/** The presentation of the release hanzod answers as; undefined for a release hanzod has not observed. */
export function releaseRows(release: string): ReleaseRows | undefined {
  return RELEASE_ROWS[release];
}

/** Shared by both releases: the built-in model's provider, context, runtime and fast-mode defaults. */
export const AGENT_RUNTIME = { id: "codex", cloudPlacementSupported: false, devicePlacementSupported: false, source: "implicit" } as const;
export const BUILTIN = { modelProvider: "openai", contextTokens: 200_000, thinkingDefault: "medium", fastAutoOnSeconds: 60 } as const;

function thinkingLevels(r: ReleaseRows): { id: string; label: string }[] {
  return r.thinkingIds.map((id) => ({ id, label: id }));
}

/** `defaults` of a sessions.list answer under the built-in model selection. */
export function sessionDefaults(r: ReleaseRows, admin: boolean): Record<string, unknown> {
  return {
    modelProvider: BUILTIN.modelProvider,
    model: r.model,
    contextTokens: BUILTIN.contextTokens,
    agentRuntime: { ...AGENT_RUNTIME },
    thinkingLevels: thinkingLevels(r),
    thinkingOptions: [...r.thinkingIds],
    thinkingDefault: BUILTIN.thinkingDefault,
    modelSelectionTarget: admin ? r.modelSelectionTarget.admin : r.modelSelectionTarget.other,
  };
}

/** Config settings that change rows in ways hanzod does not derive yet (model catalog, roles, stores, keys). */
export function unsupportedConfig(cfg: Record<string, unknown>): string | undefined {
  const at = (path: readonly string[]): unknown => configAt(cfg, path);
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
  release: ReleaseRows;
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
  row.thinkingLevels = thinkingLevels(ctx.release);
  row.thinkingOptions = [...ctx.release.thinkingIds];
  row.thinkingDefault = BUILTIN.thinkingDefault;
  set(row, "fastMode", entry.fastMode);
  const sessionFast = typeof entry.fastMode === "boolean";
  row.effectiveFastMode = sessionFast ? entry.fastMode : false;
  row.effectiveFastModeSource = sessionFast ? "session" : "default";
  row.fastAutoOnSeconds = BUILTIN.fastAutoOnSeconds;
  for (const k of ["verboseLevel", "traceLevel", "reasoningLevel", "elevatedLevel", "sendPolicy"]) set(row, k, entry[k]);
  row.totalTokensFresh = false;
  // Main sessions that carry the heartbeat (the legacy's automation keys).
  if (isMain && (ctx.release.heartbeatOnEveryAgentMain || parsed?.agentId === ctx.defaultAgentId)) row.hasAutomation = true;
  row.effectiveResponseUsage = "off";
  row.effectiveQueueMode = "steer";
  row.modelProvider = BUILTIN.modelProvider;
  row.model = ctx.release.model;
  row.modelOverrideSource = null;
  if (ctx.release.rowClockAndLock) row.runtimeSelectionLocked = false;
  row.agentRuntime = { ...AGENT_RUNTIME };
  set(row, "projectId", entry.projectId);
  if (ctx.release.rowClockAndLock) row.snapshotAt = ctx.now;
  // Runs are served by the legacy; hanzod answers the reads of sessions with no run in flight.
  if (ctx.listRow) {
    row.hasActiveRun = false;
    row.activeRunIds = [];
  }
  if (!ctx.listRow && !ctx.release.describeViewerFields) return row;
  Object.assign(row, extra);
  // A token-authenticated operator has no profile: admins are "admin", others "owner" (no gateway.roles).
  row.sharingRole = ctx.admin ? "admin" : "owner";
  return row;
}
