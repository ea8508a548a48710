/**
 * `agents.list` the way 2026.9.x answers it (dist agents-list + session-utils-store
 * `listAgentsForGateway`): the roster (hanzod/state/agent-roster.ts), then per agent its name and
 * configured identity, workspace (and whether it sits in a git checkout), the model, runtime and
 * thinking profile it resolves to, its default permission mode, and the provenance the legacy recorded
 * when an operator or an agent created it. The answer does not depend on the caller's scopes; it
 * depends on the client: `kind` for clients declaring the `agent-kind` cap (which also see the system
 * agents found on disk).
 *
 * What the legacy derives from state hanzod does not reproduce yet is refused by name (UNAVAILABLE),
 * never answered differently: model settings and providers (catalog, utility models, thinking
 * defaults), exec policies and sandboxes (the permission mode), avatars (the avatar URL resolution),
 * session main-key settings, `$include` / `${ENV}` configs, and a config file it cannot parse.
 */
import { declined, MethodError } from "../../core/method.js";
import { insideGitCheckout, optionalString, projectRoster, unsupportedRoster } from "../../state/agent-roster.js";
import { AGENT_RUNTIME, BUILTIN, releaseRows } from "../sessions/row.js";
import type { AgentsState } from "./state.js";
import { isRecord } from "../../../protocol/index.js";

export const AGENT_KIND_CAP = "agent-kind";

function unavailable(what: string): MethodError {
  return declined(`hanzod does not serve agents.list ${what} yet; route this call to the legacy gateway`);
}

/** Settings outside the roster that change the rows (model, runtime, permission mode), or undefined. */
function unsupportedSetting(cfg: Record<string, unknown>): string | undefined {
  if (cfg.tools !== undefined) return 'under the config setting "tools" (exec policy)';
  if (cfg.models !== undefined) {
    if (!isRecord(cfg.models)) return 'under the config setting "models"';
    for (const k of Object.keys(cfg.models)) if (k !== "catalogRefresh") return `under the config setting "models.${k}"`;
  }
  return undefined;
}

/** `$include` or `${ENV}` anywhere: the legacy resolves them first; hanzod does not yet. */
export function needsResolution(v: unknown): boolean {
  if (typeof v === "string") return v.includes("${");
  if (Array.isArray(v)) return v.some(needsResolution);
  if (isRecord(v)) return Object.entries(v).some(([k, x]) => k === "$include" || needsResolution(x));
  return false;
}

export function agentsList(state: AgentsState, release: string, caps: readonly string[]): Record<string, unknown> {
  const rows = releaseRows(release);
  if (!rows) throw unavailable(`as openclaw ${release}`);
  const file = state.readConfig();
  if (file.kind === "missing") throw unavailable("without a config file (the legacy's materialized defaults)");
  if (file.kind === "invalid") throw unavailable("while the config file cannot be parsed (the legacy keeps its last good config)");
  const cfg = isRecord(file.parsed) ? file.parsed : {};
  if (needsResolution(cfg)) throw unavailable("for a config with $include or ${ENV} references");
  const refused = unsupportedRoster(cfg, state.stateDir) ?? unsupportedSetting(cfg);
  if (refused) throw unavailable(refused.startsWith("under") ? refused : `with ${refused}`);
  if (state.hasExecApprovalsPolicy()) throw unavailable("with an exec approvals policy in the state database (the permission mode)");

  const includeSystem = caps.includes(AGENT_KIND_CAP);
  const roster = projectRoster(cfg, state.stateDir, release, includeSystem);
  const provenance = state.provenance();
  const thinkingLevels = rows.thinkingIds.map((id) => ({ id, label: id }));
  const agents = roster.agents.map((a) => {
    const identity = a.entry && isRecord(a.entry.identity) ? a.entry.identity : undefined;
    const agent: Record<string, unknown> = { id: a.id };
    if (includeSystem) agent.kind = a.kind;
    if (a.name !== undefined) agent.name = a.name;
    if (identity) {
      const shown: Record<string, string> = {};
      for (const k of ["name", "theme", "emoji"] as const) {
        const v = optionalString(identity[k]);
        if (v !== undefined) shown[k] = v;
      }
      agent.identity = shown;
    }
    Object.assign(agent, {
      workspace: a.workspace,
      workspaceGit: insideGitCheckout(a.workspace),
      agentRuntime: { ...AGENT_RUNTIME },
      thinkingLevels: thinkingLevels.map((l) => ({ ...l })),
      thinkingOptions: [...rows.thinkingIds],
      thinkingDefault: BUILTIN.thinkingDefault,
      model: { primary: `${BUILTIN.modelProvider}/${rows.model}` },
      defaultPermissionMode: "full",
    });
    const p = provenance.get(a.id);
    if (p) Object.assign(agent, { createdVia: p.createdVia, creatorAgentId: p.creatorAgentId, createdAt: p.createdAt });
    return agent;
  });
  return { defaultId: roster.defaultId, ownership: roster.ownership, selectionRequired: roster.selectionRequired, mainKey: roster.mainKey, scope: roster.scope, agents };
}
