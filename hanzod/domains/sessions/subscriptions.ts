/**
 * The sessions family's connection-state methods (dist server-methods/sessions-subscriptions, the same
 * handlers in 2026.9.1 and 2026.9.6): `sessions.subscribe`, `sessions.messages.subscribe`,
 * `sessions.messages.unsubscribe`. They record, on the calling connection, what the legacy records in
 * `subscribeSessionEvents` / `subscribeSessionMessageEvents` (core/session-subscriptions.ts), and answer
 * as it answers. Behind the proxy both runtimes get these calls (proxy/mirror.ts), so each knows every
 * client's subscriptions while the sessions writers are split between them.
 *
 * Declined (the legacy answers; nothing recorded here first):
 * - `sessions.subscribe` with params whose `sessions.list` hanzod declines (the list part, list.ts);
 * - `includeApprovals: true` (the approval replay is the legacy's approvals state);
 * - keys and configs `sessions.resolve` declines (resolve.ts: their canonical key is the legacy's logic);
 * - `sessions.viewers.set` with keys whose canonical form hanzod declines (as for the subscriptions).
 * `sessions.viewers.set` is presence too: the connection's row (`watchedSessions`) and the person's
 * `lastActivityAt` (core/presence.ts), see sessionsViewersSet.
 */
import { Errors, validateInWindow, type ErrorShape } from "../../../protocol/index.js";
import { formatIssues } from "../../core/handshake/validation.js";
import { isDeclinedError } from "../../../protocol/index.js";
import { invalidRequest, MethodError } from "../../core/method.js";
import { SESSIONS_TOPIC, sessionMessagesTopic } from "../../core/session-subscriptions.js";
import { typeboxWorded } from "../../core/typebox-params.js";
import type { SessionStoreReader } from "../../state/sessions.js";
import { requireKey } from "./describe.js";
import { sessionsList, unavailable } from "./list.js";
import { canonicalSessionKey } from "./resolve.js";
import { parseAgentSessionKey } from "./row.js";

/**
 * A params check against a schema not named after the method, in the legacy's validator wording: it
 * checks `sessions.subscribe`'s params as `sessions.list`'s, and `sessions.viewers.set`'s as
 * `SessionsViewerPresenceSetParams`, each refusal named after the method called.
 */
export function paramsAs(method: string, definition: string): (params: Record<string, unknown>) => ErrorShape | undefined {
  return (params) => {
    const check = validateInWindow(definition, params);
    return check.valid ? undefined : Errors.invalidMethodParams(method, formatIssues(check.issues.map(typeboxWorded)));
  };
}

export function sessionsSubscribe(reader: SessionStoreReader, release: string, params: Record<string, unknown>, admin: boolean, subscribe: (topic: string) => void): Record<string, unknown> {
  if (Object.keys(params).length === 0) {
    subscribe(SESSIONS_TOPIC);
    return { subscribed: true };
  }
  let list: Record<string, unknown>;
  try {
    list = sessionsList(reader, release, params, admin);
  } catch (err) {
    // The legacy subscribed before listing, so a list refusal leaves the subscription in place; a
    // decline must leave nothing behind (the legacy will answer, and record it there).
    if (!(err instanceof MethodError && isDeclinedError(err.shape))) subscribe(SESSIONS_TOPIC);
    throw err;
  }
  subscribe(SESSIONS_TOPIC);
  return { subscribed: true, list };
}

/** The session's canonical key for `sessions.messages.(un)subscribe`, in the legacy's order of refusals. */
function messagesTarget(reader: SessionStoreReader, release: string, method: string, params: Record<string, unknown>): string {
  const key = requireKey(params.key);
  if (params.includeApprovals === true) throw unavailable(`${method} with "includeApprovals"`);
  // Not "global": its subscription key is per agent (resolveSessionSubscriptionKey); declined with it.
  return canonicalSessionKey(reader, release, method, key, params.agentId);
}

export function sessionsMessagesSubscribe(reader: SessionStoreReader, release: string, params: Record<string, unknown>, subscribe: (topic: string) => void): Record<string, unknown> {
  const key = messagesTarget(reader, release, "sessions.messages.subscribe", params);
  subscribe(sessionMessagesTopic(key));
  return { subscribed: true, key };
}

export function sessionsMessagesUnsubscribe(reader: SessionStoreReader, release: string, params: Record<string, unknown>, unsubscribe: (topic: string) => void): Record<string, unknown> {
  const key = messagesTarget(reader, release, "sessions.messages.unsubscribe", params);
  unsubscribe(sessionMessagesTopic(key));
  return { subscribed: false, key };
}

/** What `sessions.viewers.set` does to presence: the calling connection's row and the person's activity (core). */
export interface ViewerPresence {
  /** The connection's current declaration (none: it declared nothing, or an empty set since). */
  current(connId: string): readonly string[] | undefined;
  /** Records the declaration (empty: drops it) and stamps the presence row; the caller broadcasts. */
  replace(connId: string, keys: readonly string[]): void;
}

/**
 * `sessions.viewers.set {sessionKeys, agentId?}` (dist sessions-subscriptions + session-viewer-presence,
 * the same in 2026.9.1 and 2026.9.6): each key trimmed (a blank one: "invalid sessions.viewers.set params"),
 * its agent resolved (`agentId` only for a key that is not agent-shaped) and its canonical store key taken,
 * as `sessions.messages.subscribe` takes it (declined where that is declined); then the connection's set is
 * replaced by the sorted unique keys and answered. Only a changed set (or a first non-empty one) touches
 * presence: the connection's row gets `watchedSessions` (dropped when empty), a non-empty set is the
 * person's activity, and a presence snapshot is broadcast (`changed` true), before the answer, as there.
 */
export function sessionsViewersSet(reader: SessionStoreReader, release: string, params: Record<string, unknown>, connId: string, viewers: ViewerPresence): { answer: Record<string, unknown>; changed: boolean } {
  const canonical: string[] = [];
  for (const raw of params.sessionKeys as string[]) {
    const trimmed = raw.trim();
    if (!trimmed) throw invalidRequest("invalid sessions.viewers.set params");
    const key = canonicalSessionKey(reader, release, "sessions.viewers.set", trimmed, parseAgentSessionKey(trimmed) ? undefined : params.agentId);
    // The legacy's sessionObserverScopeKey prefixes a key that is not agent-shaped; hanzod's canonical keys all are.
    if (!parseAgentSessionKey(key)) throw unavailable(`sessions.viewers.set of the key "${trimmed}"`);
    canonical.push(key);
  }
  const next = [...new Set(canonical)].sort();
  const previous = viewers.current(connId);
  const same = previous !== undefined && previous.length === next.length && previous.every((k, i) => k === next[i]);
  if (same || (previous === undefined && next.length === 0)) return { answer: { sessionKeys: next }, changed: false };
  viewers.replace(connId, next);
  return { answer: { sessionKeys: next }, changed: true };
}
