/**
 * `exec.approvals.set` as both releases do it (dist server-methods/exec-approvals, exec-approvals-store
 * `updateExecApprovalsInTransaction`, exec-approvals-sqlite; the same code in 2026.9.1 and 2026.9.6), decided
 * on the stored text read inside hanzod's write transaction:
 * - the compare-and-swap (`requireApprovalsBaseHash`): with a stored policy a `baseHash` (trimmed) is
 *   required and must be the sha256 of the stored text, else INVALID_REQUEST "... base hash required ..." /
 *   "exec approvals changed since last load; ...";
 * - the submitted document normalized (`normalizeExecApprovals`), its socket path and token taken from it,
 *   else kept from the stored policy, else (token only) a new random one (`generateToken`);
 * - stored as `JSON.stringify(next, null, 2) + "\n"` with its projection columns, unless that text is
 *   already the stored one (then nothing is written);
 * - answered as `exec.approvals.get` answers the stored text (parsed and normalized again).
 * hanzod declines (before any write) whatever it would not do exactly: no stored policy yet or one without
 * a socket path (the legacy then derives the path from its own environment), a stored policy the legacy
 * cannot parse (it would start from its fail-closed document), the legacy `agents.default` alias, an
 * agent named `__proto__` (its stored text would not parse back), and any pending agent deletion (the
 * legacy's mutation fence, `assertExecApprovalsMutationAllowed`, keyed on `agent_deletion_journal`).
 */
import { createHash, randomBytes } from "node:crypto";
import { isRecord } from "../../../protocol/index.js";
import { hasLegacyDefaultAgent, normalizeInternal, normalizeSubmitted, projection, serialize } from "./normalize.js";
import { parseDocument, policyPayload } from "./policy.js";

type Json = Record<string, unknown>;

export type SetPlan =
  | { kind: "invalid"; message: string }
  | { kind: "decline"; reason: string }
  | { kind: "write" | "unchanged"; raw: string; columns: Record<string, string | number | null>; payload: Json };

const STALE = "exec approvals changed since last load; re-run exec.approvals.get and retry";

/** `resolveBaseHashParam`: a trimmed non-empty string, else none. */
function baseHashParam(params: Json): string | null {
  const raw = params.baseHash;
  if (typeof raw !== "string") return null;
  return raw.trim() || null;
}

/** What `exec.approvals.set` with `params` (already valid against the contract) does to stored text `current`. */
export function planSet(current: string | null, params: Json, stateDir: string, pendingAgentDeletions: number): SetPlan {
  if (current === null) return { kind: "decline", reason: "exec.approvals.set before the legacy stored a policy (it would take the socket path from its own environment)" };
  const baseHash = baseHashParam(params);
  if (!baseHash) return { kind: "invalid", message: "exec approvals base hash required; re-run exec.approvals.get and retry" };
  if (baseHash !== createHash("sha256").update(current).digest("hex")) return { kind: "invalid", message: STALE };
  const incoming = params.file;
  if (!isRecord(incoming)) return { kind: "invalid", message: "exec approvals file is required" };
  const parsedCurrent = parseDocument(current);
  if (!parsedCurrent) return { kind: "decline", reason: "exec.approvals.set over a stored policy the legacy cannot parse (it would start from its fail-closed policy)" };
  if (hasLegacyDefaultAgent(incoming)) return { kind: "decline", reason: "exec.approvals.set with the legacy `agents.default` alias (the legacy merges it into `main`)" };
  if (isRecord(incoming.agents) && Object.hasOwn(incoming.agents, "__proto__")) return { kind: "decline", reason: "exec.approvals.set with an agent named __proto__" };
  if (pendingAgentDeletions > 0) return { kind: "decline", reason: "exec.approvals.set while an agent deletion is in progress (the legacy fences policy changes for that agent)" };

  // `mergeExecApprovalsSocketDefaults`: the submitted socket, else the stored one, else new.
  const normalized = normalizeSubmitted(incoming);
  const stored = normalizeInternal(parsedCurrent).socket as { path?: string; token?: string };
  const submitted = normalized.socket as { path?: string; token?: string };
  const path = submitted.path?.trim() ?? stored.path?.trim();
  if (path === undefined) return { kind: "decline", reason: "exec.approvals.set with no socket path submitted or stored (the legacy takes it from its own environment)" };
  const token = submitted.token?.trim() ?? stored.token?.trim() ?? randomBytes(24).toString("base64url");
  const next = { ...normalized, socket: { path, token } };
  const raw = serialize(next);

  // The answer is the legacy's re-read of what it stored; a text it could not parse back is declined.
  const reread = parseDocument(raw);
  if (!reread) return { kind: "decline", reason: "exec.approvals.set of a policy the legacy would store but not parse back" };
  const payload = policyPayload(normalizeInternal(reread), raw, stateDir);
  return { kind: raw === current ? "unchanged" : "write", raw, columns: projection(next), payload };
}
