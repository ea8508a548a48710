/**
 * `agents.files.list` / `agents.files.get` the way 2026.9.1 and 2026.9.6 answer them (dist agents-files
 * handlers): the agent id normalized as `normalizeAgentIdStrict` does and looked up among the configured
 * agents (`listAgentIds`: no roster = the implicit `main`), its workspace as `resolveAgentWorkspaceDir`
 * resolves it (the same as agents.list's `workspace`), then the bootstrap files read from disk
 * (hanzod/state/agent-workspace-files.ts). 2026.9.6 adds the sha256 `hash` of a read file's bytes.
 *
 * Refused by name (UNAVAILABLE, "route this call to the legacy gateway"), never answered differently:
 * the configs agents.list refuses for its roster, any `plugins` setting on 2026.9.6 (a plugin such as
 * file-transfer can bind a workspace to a node: the legacy then reads through that live connection), a
 * workspace reached through a symlink, a file that is neither missing, regular nor a refused kind, larger
 * files than compared, and for the listing a workspace whose recorded setup state the legacy would write
 * to (a missing path alias), read under another path, or find completed (a per-process migration check).
 */
import { createHash } from "node:crypto";
import { declined, invalidRequest, MethodError } from "../../core/method.js";
import { projectRoster, rosterEntries, unsupportedRoster } from "../../state/agent-roster.js";
import { isAllowedFileName, isExpectedAbsent, listedFileNames, readWorkspaceFile, statWorkspaceFile, workspaceDirState, workspaceStateKey } from "../../state/agent-workspace-files.js";
import { needsResolution } from "./list.js";
import type { AgentsState } from "./state.js";
import { isRecord } from "../../../protocol/index.js";

const RELEASES: ReadonlySet<string> = new Set(["2026.9.1", "2026.9.6"]);

function unavailable(method: string, what: string): MethodError {
  return declined(`hanzod does not serve ${method} ${what} yet; route this call to the legacy gateway`);
}

/** `normalizeAgentIdStrict`: a valid id lowercased, else invalid characters folded to dashes; "" = unrepresentable. */
export function normalizeAgentIdStrict(value: string): string {
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(trimmed)) return lower;
  return lower.replace(/[^a-z0-9_-]+/g, "-").replace(/^-+/, "").replace(/-+$/, "").slice(0, 64);
}

interface Resolved {
  agentId: string;
  workspace: string;
}

/** The config the legacy runs on, the agent and its workspace; or the legacy's "not found". */
function resolveAgent(state: AgentsState, release: string, method: string, rawAgentId: string): Resolved {
  if (!RELEASES.has(release)) throw unavailable(method, `as openclaw ${release}`);
  const file = state.readConfig();
  if (file.kind === "missing") throw unavailable(method, "without a config file (the legacy's materialized defaults)");
  if (file.kind === "invalid") throw unavailable(method, "while the config file cannot be parsed (the legacy keeps its last good config)");
  const cfg = isRecord(file.parsed) ? file.parsed : {};
  if (needsResolution(cfg)) throw unavailable(method, "for a config with $include or ${ENV} references");
  const refused = unsupportedRoster(cfg, state.stateDir);
  if (refused) throw unavailable(method, refused.startsWith("under") ? refused : `with ${refused}`);
  if (release !== "2026.9.1" && cfg.plugins !== undefined) throw unavailable(method, 'under the config setting "plugins" (a plugin may bind the workspace to a node)');

  const agentId = normalizeAgentIdStrict(rawAgentId);
  const { form } = rosterEntries(cfg);
  const roster = projectRoster(cfg, state.stateDir, release, false);
  // `listAgentIds`: the configured ids (no roster at all: the implicit main), never agents found on disk only.
  const ids = new Set(form === "none" ? ["main"] : roster.agents.filter((a) => a.entry !== undefined).map((a) => a.id));
  const agent = agentId === "" || !ids.has(agentId) ? undefined : roster.agents.find((a) => a.id === agentId);
  if (!agent) throw invalidRequest(`agent "${rawAgentId}" not found`);
  return { agentId: agent.id, workspace: agent.workspace };
}

export function agentsFilesList(state: AgentsState, release: string, params: Record<string, unknown>): Record<string, unknown> {
  const method = "agents.files.list";
  const { agentId, workspace } = resolveAgent(state, release, method, String(params.agentId));
  const dir = workspaceDirState(workspace);
  if (typeof dir === "object") throw unavailable(method, `for ${dir.why}`);
  // `isWorkspaceSetupCompleted` reads the workspace's setup row; with none recorded it is false and writes nothing.
  const setup = state.workspaceSetupCompleted(workspace, workspaceStateKey(workspace));
  if (setup !== false) throw unavailable(method, setup.refuse);
  const files = listedFileNames(setup).map((name) => {
    const path = `${workspace}/${name}`;
    const meta = dir === "missing" ? { kind: "missing" as const } : statWorkspaceFile(workspace, name);
    if (meta.kind === "unknown") throw unavailable(method, `for ${meta.why}`);
    if (meta.kind === "missing") return { name, path, missing: true, expectedAbsent: isExpectedAbsent(name) };
    return { name, path, missing: false, size: meta.size, updatedAtMs: meta.updatedAtMs };
  });
  return { agentId, workspace, files };
}

export function agentsFilesGet(state: AgentsState, release: string, params: Record<string, unknown>): Record<string, unknown> {
  const method = "agents.files.get";
  const { agentId, workspace } = resolveAgent(state, release, method, String(params.agentId));
  // The allow list is checked on the trimmed name: `../x`, `a/AGENTS.md` or any other name is "unsupported".
  const name = String(params.name).trim();
  if (!isAllowedFileName(name)) throw invalidRequest(`unsupported file "${name}"`);
  const dir = workspaceDirState(workspace);
  if (typeof dir === "object") throw unavailable(method, `for ${dir.why}`);
  const path = `${workspace}/${name}`;
  const read = readWorkspaceFile(workspace, name, dir);
  if (read.kind === "unknown") throw unavailable(method, `for ${read.why}`);
  if (read.kind === "unsafe") throw invalidRequest(`unsafe workspace file "${name}"`);
  if (read.kind === "missing") return { agentId, workspace, file: { name, path, missing: true, expectedAbsent: isExpectedAbsent(name) } };
  const file: Record<string, unknown> = { name, path, missing: false, size: read.size, updatedAtMs: read.updatedAtMs };
  if (release !== "2026.9.1") file.hash = createHash("sha256").update(read.content).digest("hex");
  // Buffer#toString("utf-8") as the legacy decodes it: invalid bytes become U+FFFD.
  file.content = read.content.toString("utf-8");
  return { agentId, workspace, file };
}
