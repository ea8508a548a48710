/**
 * `sessions.list` on the legacy's agent databases, the way 2026.9.x answers it (dist
 * session-utils-list: filterSessionCandidateEntries, filterSessionEntries, selectSessionEntries,
 * buildSessionsListResult): candidate filters, activity window, sort (pinned first for
 * `updatedAt`), then the offset/limit window with `totalCount`, `nextOffset` and `hasMore`.
 *
 * Params the legacy answers from state hanzod does not read yet (profiles and involvement, subagent
 * runs, transcript titles and previews, activity summaries) are refused with a message naming them,
 * never answered differently; so are configs and entries `row.ts` cannot present exactly.
 */
import { existsSync } from "node:fs";
import { declined, MethodError } from "../../core/method.js";
import { normalizeAgentId, type SessionRecord, type SessionStoreReader, type SessionStoreTarget } from "../../state/sessions.js";
import { parseAgentSessionKey, presentSessionRow, releaseRows, sessionDefaults, unsupportedConfig, unsupportedEntryField, unsupportedKey, type ReleaseRows } from "./row.js";

const DEFAULT_LIMIT = 100;

/** Params whose answer needs legacy state hanzod does not read yet (checked only when set to a value that matters). */
const NEEDS_LEGACY_STATE: readonly [string, (v: unknown) => boolean][] = [
  ["spawnedBy", (v) => v !== undefined],
  ["excludeSubagents", (v) => v === true],
  ["includeDerivedTitles", (v) => v === true],
  ["includeLastMessage", (v) => v === true],
  ["includeActivitySummary", (v) => v === true],
  ["creatorId", (v) => v !== undefined],
  ["ownerId", (v) => v !== undefined],
  ["ownerFirst", (v) => v === true],
  ["involvingMe", (v) => v === true],
  ["profileRelation", (v) => v !== undefined],
  ["involvingProfileId", (v) => v !== undefined],
  ["includePeople", (v) => v === true],
  ["activeOnly", (v) => v === true],
  ["workspaceDir", (v) => v !== undefined],
  ["hasBoard", (v) => v !== undefined],
  // Beyond the stored fields the legacy's search matches run state, model names and the agent's identity
  // name (config or workspace identity file): not derived yet, so not half-answered.
  ["search", (v) => typeof v === "string" && v.trim() !== ""],
];

/** The row presentation of the release hanzod answers as, or a refusal naming it. */
export function rowsFor(release: string): ReleaseRows {
  const rows = releaseRows(release);
  if (!rows) throw unavailable(`session rows as openclaw ${release}`);
  return rows;
}

export function unavailable(what: string): MethodError {
  return declined(`hanzod does not serve ${what} yet; route this call to the legacy gateway`);
}

interface Scope {
  targets: SessionStoreTarget[];
  path: string;
  defaultAgentId: string;
}

/**
 * The legacy's store scope: one agent's database, configured agents only, or all. Its `path` names the
 * one database the scope reads, else "(multiple)"; the legacy drops targets whose database does not exist
 * yet before it counts, so a fresh state (no database at all) answers "(multiple)" too.
 */
export function resolveScope(reader: SessionStoreReader, cfg: Record<string, unknown>, agentIdParam: unknown, configuredOnly: boolean): Scope {
  const { defaultAgentId, targets } = reader.targets(cfg);
  let chosen: SessionStoreTarget[];
  if (typeof agentIdParam === "string" && agentIdParam.trim()) {
    const id = normalizeAgentId(agentIdParam);
    chosen = targets.filter((t) => t.agentId === id);
  } else chosen = configuredOnly ? targets.filter((t) => t.configured) : targets;
  const existing = chosen.filter((t) => existsSync(t.storePath));
  return { targets: chosen, path: existing.length === 1 ? (existing[0] as SessionStoreTarget).storePath : "(multiple)", defaultAgentId };
}

function isCronDisplayKey(key: string): boolean {
  return /^(?:cron:|agent::*[^:]+:+cron:+[^:])/u.test(key.toLowerCase());
}

function isSystemCreated(r: SessionRecord): boolean {
  const e = r.entry;
  if (isCronDisplayKey(r.key)) return false;
  const actor = e.createdActor as { type?: unknown } | undefined;
  if (actor?.type === "system") return true;
  if (e.createdVia !== "run" && e.createdVia !== "internal") return false;
  if (actor?.type === "human") return false;
  const text = (v: unknown) => typeof v === "string" && v.trim() !== "";
  return !(text(e.label) || text(e.displayName) || text(e.subject));
}

function activityTimestamp(e: SessionRecord["entry"]): number {
  const pos = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);
  const a = pos(e.lastActivityAt);
  const i = pos(e.lastInteractionAt);
  if (a !== undefined || i !== undefined) return Math.max(a ?? 0, i ?? 0);
  return pos(e.updatedAt) ?? pos(e.createdAt) ?? 0;
}

function compare(a: SessionRecord, b: SessionRecord, sortBy: string): number {
  if (sortBy === "updatedAt") {
    const ap = (a.entry.pinnedAt as number | undefined) ?? 0;
    const bp = (b.entry.pinnedAt as number | undefined) ?? 0;
    if (ap !== bp) return bp - ap;
  }
  const ts = (r: SessionRecord): number => (sortBy === "activity" ? activityTimestamp(r.entry) : ((sortBy === "lastInteractionAt" ? r.entry.lastInteractionAt : r.entry.updatedAt) as number | undefined) ?? 0);
  const d = ts(b) - ts(a);
  if (d !== 0) return d;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Why a row cannot be presented, per parsed entry. Every list call checks every row in scope, which was
 * half of `sessions.list`'s time over 1,000 sessions; entries are shared and never modified
 * (state/sessions.ts) and a commit by the legacy makes new ones, so the verdict is kept with the entry.
 */
const rowRefusals = new WeakMap<SessionRecord["entry"], string | null>();

function rowRefusal(r: SessionRecord): string | null {
  let why = rowRefusals.get(r.entry);
  if (why === undefined) {
    const badKey = unsupportedKey(r.key);
    const field = badKey ? undefined : unsupportedEntryField(r.entry);
    why = badKey ? `session rows for key "${r.key}" (route/peer classification)` : field ? `session rows whose entry has "${field}" (session "${r.key}")` : null;
    rowRefusals.set(r.entry, why);
  }
  return why;
}

/** Refuses a config or a row hanzod cannot present as the legacy does. */
export function assertPresentable(cfg: Record<string, unknown>, records: readonly SessionRecord[]): void {
  const setting = unsupportedConfig(cfg);
  if (setting) throw unavailable(`session rows under the config setting "${setting}"`);
  for (const r of records) {
    const why = rowRefusal(r);
    if (why !== null) throw unavailable(why);
  }
}

/** The params that pick and order rows (not the window): a memo key. */
const SELECTING_PARAMS = ["configuredAgentsOnly", "includeGlobal", "includeUnknown", "label", "archived", "requireLastInteraction", "boardFace", "projectId", "group", "pinned", "excludeCron", "excludeSystem", "sortBy"] as const;

interface Selection {
  parts: readonly (readonly SessionRecord[])[];
  signature: string;
  /** The rows in scope (before the filters): every one must be presentable, not just the window. */
  rows: readonly SessionRecord[];
  filtered: readonly SessionRecord[];
}

/**
 * The last selections per reader. Polling clients (the Control UI's sessions view, dashboards) ask the
 * same list again and again; while the legacy commits nothing, the shared row arrays keep their
 * identity and the filtered, sorted rows are reused: the call then costs its window only.
 */
const MEMO_SIZE = 16;
const selections = new WeakMap<SessionStoreReader, Selection[]>();

function sameParts(a: readonly (readonly SessionRecord[])[], b: readonly (readonly SessionRecord[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function select(reader: SessionStoreReader, scope: Scope, params: Record<string, unknown>, now: number): Selection {
  const parts = reader.readShared(scope.targets);
  const activeMinutes = typeof params.activeMinutes === "number" ? Math.max(1, Math.floor(params.activeMinutes)) : undefined;
  // A window of recent activity depends on the clock: never memoised.
  const signature = activeMinutes === undefined ? JSON.stringify([scope.targets.map((t) => t.agentId), SELECTING_PARAMS.map((k) => params[k] ?? null)]) : "";
  const memo = selections.get(reader) ?? [];
  if (signature !== "") {
    const hit = memo.find((m) => m.signature === signature && sameParts(m.parts, parts));
    if (hit) return hit;
  }
  const all = parts.flat();
  // The legacy's configured-only scope also drops rows whose key names an agent the config does not declare.
  const rows = params.configuredAgentsOnly === true ? all.filter((r) => { const p = parseAgentSessionKey(r.key); return !p || scope.targets.some((t) => t.agentId === p.agentId); }) : all;

  const includeGlobal = params.includeGlobal === true;
  const includeUnknown = params.includeUnknown === true;
  const label = typeof params.label === "string" ? params.label.trim() : "";
  const archived = params.archived;
  const cutoff = activeMinutes === undefined ? undefined : now - activeMinutes * 60_000;
  const sortBy = typeof params.sortBy === "string" ? params.sortBy : "updatedAt";

  const filtered = rows.filter((r) => {
    const e = r.entry;
    if (params.excludeCron === true && isCronDisplayKey(r.key)) return false;
    if (params.excludeSystem === true && isSystemCreated(r)) return false;
    if (!includeGlobal && r.key === "global") return false;
    if (!includeUnknown && r.key === "unknown") return false;
    if (archived !== "all") {
      const isArchived = e.archivedAt !== undefined;
      if (archived === true ? !isArchived : isArchived) return false;
    }
    if (params.requireLastInteraction === true && !(typeof e.lastInteractionAt === "number" && e.lastInteractionAt > 0)) return false;
    if (label && e.label !== label) return false;
    if (params.boardFace !== undefined && e.boardFace !== params.boardFace) return false;
    if (params.projectId !== undefined && e.projectId !== params.projectId) return false;
    if (params.group !== undefined && (e.category ?? "") !== params.group) return false;
    if (params.pinned !== undefined && (e.pinnedAt !== undefined) !== params.pinned) return false;
    if (cutoff !== undefined && (sortBy === "activity" ? activityTimestamp(e) : ((e.updatedAt as number | undefined) ?? 0)) < cutoff) return false;
    return true;
  });
  filtered.sort((a, b) => compare(a, b, sortBy));
  const selection: Selection = { parts, signature, rows, filtered };
  if (signature !== "") {
    memo.unshift(selection);
    if (memo.length > MEMO_SIZE) memo.length = MEMO_SIZE;
    selections.set(reader, memo);
  }
  return selection;
}

export function sessionsList(reader: SessionStoreReader, release: string, params: Record<string, unknown>, admin: boolean, now = Date.now()): Record<string, unknown> {
  const rowsOf = rowsFor(release);
  for (const [name, matters] of NEEDS_LEGACY_STATE) if (matters(params[name])) throw unavailable(`sessions.list with "${name}"`);
  const cfg = reader.config();
  const scope = resolveScope(reader, cfg, params.agentId, params.configuredAgentsOnly === true);
  const { rows, filtered } = select(reader, scope, params, now);

  const limit = typeof params.limit === "number" ? Math.max(1, Math.floor(params.limit)) : DEFAULT_LIMIT;
  const offset = typeof params.offset === "number" ? Math.max(0, Math.floor(params.offset)) : 0;
  // Every row in scope, not just the window: a row hanzod cannot read fully could change filters and counts.
  assertPresentable(cfg, rows);
  const window = filtered.slice(offset, offset + limit);
  const nextOffset = offset + window.length;
  const hasMore = nextOffset < filtered.length;
  const result: Record<string, unknown> = {
    ts: now,
    path: scope.path,
    count: window.length,
    totalCount: filtered.length,
    limitApplied: limit,
  };
  if (offset > 0) result.offset = offset;
  result.nextOffset = hasMore ? nextOffset : null;
  result.hasMore = hasMore;
  result.owners = [];
  result.defaults = sessionDefaults(rowsOf, admin);
  result.sessions = window.map((r) => presentSessionRow(r.key, r.entry, { release: rowsOf, agentId: r.agentId, listRow: true, defaultAgentId: scope.defaultAgentId, admin, now }));
  return result;
}
