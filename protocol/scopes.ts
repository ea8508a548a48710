/**
 * Scope implication rules of the legacy gateway (docs/gateway/operator-scopes.md): admin satisfies
 * everything; write satisfies read, talk and the sessions.* scopes; everything else needs an exact match.
 */
import type { OperatorScope } from "./method-types.js";

export const ADMIN_SCOPE = "operator.admin";
export const READ_SCOPE = "operator.read";
export const WRITE_SCOPE = "operator.write";

export const KNOWN_OPERATOR_SCOPES: readonly OperatorScope[] = [
  "operator.read",
  "operator.write",
  "operator.admin",
  "operator.approvals",
  "operator.questions",
  "operator.pairing",
  "operator.talk",
  "operator.talk.secrets",
  "operator.sessions.read",
  "operator.sessions.write",
];

const IMPLIED_BY_WRITE = new Set<string>(["operator.read", "operator.talk", "operator.sessions.read", "operator.sessions.write"]);

export function scopeSatisfies(granted: readonly string[], required: string): boolean {
  for (const g of granted) {
    if (g === required || g === ADMIN_SCOPE) return true;
    if (g === WRITE_SCOPE && IMPLIED_BY_WRITE.has(required)) return true;
  }
  return false;
}

/** Intersection that never widens: keeps the requested scopes the cap allows. */
export function capScopes(requested: readonly string[], cap: readonly string[]): string[] {
  return requested.filter((s) => scopeSatisfies(cap, s));
}
