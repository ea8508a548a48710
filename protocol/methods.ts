/**
 * The method policy: what each of the 410 contract methods needs, which migration phase owns it and
 * whether it has side effects. Generated data lives in generated/method-table.ts.
 */
import { METHOD_TABLE, type MethodName } from "./generated/method-table.js";
import type { MethodScope, MethodTableRow, MigrationPhase } from "./method-types.js";

export { METHOD_TABLE, type MethodName };
export type { MethodScope, MethodTableRow, MigrationPhase };

const table: Readonly<Record<string, MethodTableRow>> = METHOD_TABLE;

export const CONTRACT_METHOD_NAMES: readonly string[] = Object.keys(METHOD_TABLE);

export function methodPolicy(method: string): MethodTableRow | undefined {
  return Object.prototype.hasOwnProperty.call(table, method) ? table[method] : undefined;
}

export function isContractMethod(method: string): method is MethodName {
  return methodPolicy(method) !== undefined;
}

export function isNodeRoleMethod(method: string): boolean {
  return methodPolicy(method)?.scope === "node";
}

export function methodsInPhase(phase: MigrationPhase): string[] {
  return CONTRACT_METHOD_NAMES.filter((m) => table[m]?.phase === phase);
}

/** Scopes whose methods change state; shadowing them against a shared hanzod state would double-apply. */
const SIDE_EFFECT_SCOPES = new Set<MethodScope>(["operator.write", "operator.admin", "operator.approvals", "operator.pairing", "dynamic", "node", "operator.talk", "operator.talk.secrets", "operator.questions"]);

export function isSideEffecting(method: string): boolean {
  const row = methodPolicy(method);
  // Unknown methods could be anything (plugins): treat them as side-effecting, fail closed.
  return row === undefined || SIDE_EFFECT_SCOPES.has(row.scope);
}

/**
 * Contract methods whose request can be answered twice: an interim `accepted` (see isInterimAnswer), then
 * the final answer on the same id. From the legacy's handlers (openclaw 2026.9.6): `agent` always,
 * `exec.approval.request` and `plugin.approval.request` when called with `twoPhase`. Every other
 * contract method answers once, even when that one answer says `status: "accepted"` (a progress-card
 * refresh does): only these answers need the interim check.
 */
const ANSWERS_TWICE: ReadonlySet<string> = new Set(["agent", "exec.approval.request", "plugin.approval.request"]);

export function mayAnswerTwice(method: string): boolean {
  // A method outside the contract (a plugin's) could answer any way: fail closed, as for side effects.
  return ANSWERS_TWICE.has(method) || methodPolicy(method) === undefined;
}

export function hasIdempotencyKey(params: unknown): boolean {
  return typeof params === "object" && params !== null && "idempotencyKey" in params;
}
