/**
 * `sessionInfo`, `defaults` and the top-level thinking level of a `chat.history` answer: the session's row
 * (dist chat-history-handler via the session row projection) as the legacy presents it for a session
 * that has run turns, under a config whose default model is one of its own configured providers' models
 * (`models.providers` + `agents.defaults.model.primary`, the shape every deployment with a real model
 * has, and the one the project's model server uses).
 *
 * Built on the sessions domain's row (domains/sessions/row.ts: classification, labels, unread, fast mode,
 * automation) with what runs add: token counts, run status and times, context budget, participants
 * (`session_participants`), worker placement (state database), the agent runtime the run used. hanzod
 * never sees a run in flight (the legacy keeps its run state in memory), so it refuses a session whose
 * stored status is `running`, and every config, entry field or row it has not compared.
 */
import { normalizeAgentId, type SessionEntry } from "../../state/sessions.js";
import type { TranscriptReader } from "../../state/transcripts.js";
import { configAt } from "../../state/config-path.js";
import { presentSessionRow, unsupportedConfig, unsupportedEntryField, type ReleaseRows } from "../sessions/row.js";
import { ProjectionRefusal } from "./messages.js";

export interface ConfiguredModel {
  provider: string;
  model: string;
  contextTokens: number;
}

/** What each release presents differently in a history answer's session info (observed on both). */
interface ChatRelease {
  /** Thinking levels of a non-reasoning model: 2026.9.1 offers "off", 2026.9.6 leaves them out. */
  offThinking: boolean;
  expandedParticipants: boolean;
  /** After a run on the built-in harness 2026.9.6 reports the openclaw runtime's placement abilities. */
  harnessRuntime: boolean;
}

const CHAT_RELEASES: Readonly<Record<string, ChatRelease>> = {
  "2026.9.1": { offThinking: true, expandedParticipants: false, harnessRuntime: false },
  "2026.9.6": { offThinking: false, expandedParticipants: true, harnessRuntime: true },
};

const AUTO_RUNTIME = { id: "auto", cloudPlacementSupported: false, devicePlacementSupported: false, source: "implicit" } as const;
const OPENCLAW_RUNTIME = {
  id: "openclaw",
  cloudPlacementSupported: true,
  cloudPlacementExecutionMode: "worker-turn",
  devicePlacement: { requiredNodeCommands: [], consumesWorkerSlot: true },
  devicePlacementSupported: true,
  source: "implicit",
} as const;

/** Entry fields a run writes that the row shows as stored. */
const RUN_FIELDS = ["chatType", "systemSent", "abortedLastRun", "inputTokens", "outputTokens", "totalTokens", "totalTokensFresh", "estimatedCostUsd", "status", "startedAt", "endedAt", "runtimeMs", "lastRunId", "contextBudgetStatus"] as const;
/** Entry fields a run writes that the row does not show (bookkeeping, caches, prompt reports). */
const RUN_BOOKKEEPING = ["lifecycleRevision", "sessionStartedAt", "compactionCount", "totalTokensVersion", "sessionDiffBaseline", "skillsSnapshot", "activeWriterRunId", "contextTokensSource", "systemPromptReport", "cacheRead", "cacheWrite"] as const;

export function chatRelease(release: string): ChatRelease | undefined {
  return CHAT_RELEASES[release];
}

/** The configured default model, or a refusal naming the setting hanzod does not resolve. */
export function configuredModel(cfg: Record<string, unknown>): ConfiguredModel {
  const primary = configAt(cfg, ["agents", "defaults", "model", "primary"]);
  const model = configAt(cfg, ["agents", "defaults", "model"]);
  if (typeof primary !== "string" || Object.keys(model as object).length !== 1) throw new ProjectionRefusal(`the config setting "agents.defaults.model" (only a "primary" of a configured provider is resolved)`);
  if (configAt(cfg, ["models", "mode"]) !== "replace") throw new ProjectionRefusal(`the config setting "models.mode" other than "replace" (the hosted catalog is merged)`);
  const slash = primary.indexOf("/");
  const provider = primary.slice(0, slash);
  const id = primary.slice(slash + 1);
  const entry = ((configAt(cfg, ["models", "providers", provider, "models"]) ?? []) as Record<string, unknown>[]).find((m) => m?.id === id);
  if (slash <= 0 || !entry) throw new ProjectionRefusal(`a default model ("${primary}") that is not a configured provider's model`);
  if (entry.reasoning !== false) throw new ProjectionRefusal(`a reasoning model (thinking profiles)`);
  if (typeof entry.contextWindow !== "number") throw new ProjectionRefusal(`a model without "contextWindow"`);
  // The rest of the config must be what the sessions rows already present exactly.
  const rest = structuredClone(cfg);
  delete (rest.models as Record<string, unknown>).providers;
  delete ((rest.agents as Record<string, unknown>).defaults as Record<string, unknown>).model;
  const setting = unsupportedConfig(rest);
  if (setting) throw new ProjectionRefusal(`the config setting "${setting}"`);
  return { provider, model: id, contextTokens: entry.contextWindow };
}

function thinking(r: ChatRelease): Record<string, unknown> {
  return r.offThinking ? { thinkingLevels: [{ id: "off", label: "off" }], thinkingOptions: ["off"], thinkingDefault: "off" } : {};
}

export function historyDefaults(r: ChatRelease, rows: ReleaseRows, m: ConfiguredModel, admin: boolean): Record<string, unknown> {
  return {
    modelProvider: m.provider,
    model: m.model,
    contextTokens: m.contextTokens,
    agentRuntime: { ...AUTO_RUNTIME },
    ...thinking(r),
    modelSelectionTarget: admin ? rows.modelSelectionTarget.admin : rows.modelSelectionTarget.other,
  };
}

export interface SessionInfoInput {
  key: string;
  entry: SessionEntry | undefined;
  agentId: string;
  defaultAgentId: string;
  storePath: string;
  admin: boolean;
  now: number;
  /** The branch leaf when the page is the tail; undefined leaves the field out (the legacy's pages back). */
  activeLeafEntryId: string | null | undefined;
}

/** The entry without the run's fields, for the sessions row; refuses what neither part presents. */
function splitEntry(entry: SessionEntry, m: ConfiguredModel): { base: SessionEntry; run: Record<string, unknown> } {
  const base: SessionEntry = { ...entry };
  const run: Record<string, unknown> = {};
  for (const k of RUN_FIELDS) {
    if (base[k] !== undefined) run[k] = base[k];
    delete base[k];
  }
  for (const k of RUN_BOOKKEEPING) delete base[k];
  if (entry.status === "running") throw new ProjectionRefusal("a session whose run may be in flight (its run state is in the legacy's memory)");
  if ((entry.modelProvider !== undefined || entry.model !== undefined) && (entry.modelProvider !== m.provider || entry.model !== m.model)) throw new ProjectionRefusal("a session whose model differs from the default");
  delete base.modelProvider;
  delete base.model;
  if (entry.contextTokens !== undefined && entry.contextTokens !== m.contextTokens) throw new ProjectionRefusal("a session with its own context window");
  delete base.contextTokens;
  if (entry.agentHarnessId !== undefined && entry.agentHarnessId !== "openclaw") throw new ProjectionRefusal(`a session run on the "${String(entry.agentHarnessId)}" harness`);
  delete base.agentHarnessId;
  if ((entry.delivery as { kind?: unknown } | undefined)?.kind === "internal") delete base.delivery;
  const field = unsupportedEntryField(base);
  if (field) throw new ProjectionRefusal(`a session whose entry has "${field}"`);
  return { base, run };
}

export function historySessionInfo(reader: TranscriptReader, r: ChatRelease, rows: ReleaseRows, m: ConfiguredModel, s: SessionInfoInput): Record<string, unknown> {
  const split = s.entry ? splitEntry(s.entry, m) : undefined;
  const row = presentSessionRow(s.key, split?.base ?? {}, { release: rows, agentId: normalizeAgentId(s.agentId), listRow: false, defaultAgentId: s.defaultAgentId, admin: s.admin, now: s.now }, { activitySummary: { state: "unavailable", canEnsure: true } });
  delete row.thinkingLevels;
  delete row.thinkingOptions;
  delete row.thinkingDefault;
  Object.assign(row, thinking(r));
  if (!s.entry) {
    // A session that does not exist: no sharing facts, no summary.
    delete row.visibility;
    delete row.activitySummary;
    delete row.sharingRole;
  }
  row.totalTokensFresh = false;
  if (split) Object.assign(row, split.run);
  row.modelProvider = m.provider;
  row.model = m.model;
  row.contextTokens = m.contextTokens;
  row.agentRuntime = r.harnessRuntime && s.entry?.agentHarnessId === "openclaw" ? structuredClone(OPENCLAW_RUNTIME) : { ...AUTO_RUNTIME };
  if (s.entry) {
    const participants = reader.participants(s.storePath, s.key).map((p) => ({ identity: { ...(JSON.parse(p.namespace) as Record<string, unknown>), id: p.actorId } }));
    if (participants.length > 0) {
      row.participants = participants;
      if (r.expandedParticipants) row.expandedParticipants = structuredClone(participants);
      row.participantCount = participants.length;
    }
    const sessionId = s.entry.sessionId;
    const placement = typeof sessionId === "string" ? reader.placement(sessionId) : undefined;
    if (placement) {
      if (placement.busy || placement.state !== "local") throw new ProjectionRefusal("a session placed on a worker");
      row.placement = { state: placement.state, generation: placement.generation, createdAtMs: placement.createdAtMs, updatedAtMs: placement.updatedAtMs, stateChangedAtMs: placement.stateChangedAtMs };
    }
  }
  row.hasActiveRun = false;
  row.activeRunIds = [];
  if (s.activeLeafEntryId !== undefined) row.activeLeafEntryId = s.activeLeafEntryId;
  return row;
}

/** The answer's `thinkingLevel`: the session's, else its default (2026.9.1's "off"), else none. */
export function historyThinkingLevel(info: Record<string, unknown>, defaults: Record<string, unknown>): unknown {
  return info.thinkingLevel ?? info.thinkingDefault ?? defaults.thinkingDefault;
}
