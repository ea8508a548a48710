/**
 * Per-connection session subscriptions (issue #10, split families): what `sessions.subscribe` and
 * `sessions.messages.subscribe {key}` record on the connection that called them, as the legacy's
 * `subscribeSessionEvents(connId)` / `subscribeSessionMessageEvents(connId, subscriptionKey)` do. The
 * state is the connection's topic set (connection.ts), so it ends with the connection, like the legacy's.
 *
 * Behind the proxy both runtimes get these calls (proxy/mirror.ts), so each knows every client's
 * subscriptions and emits the events of its own writes only to the connections that asked for them:
 * a writer domain declares `sessions.changed` / `session.message` with `audience: "subscribers"` and
 * emits with `topic: SESSIONS_TOPIC` / `sessionMessagesTopic(key)`, or asks `subscribersOf(key)`.
 */
import type { Broadcaster } from "./broadcaster.js";

/** `sessions.subscribe`: the connection gets `sessions.changed`. */
export const SESSIONS_TOPIC = "sessions";

/** `sessions.messages.subscribe {key}`: the connection gets that session's `session.message` (and its chat to subscribers). */
export function sessionMessagesTopic(subscriptionKey: string): string {
  return `session.message:${subscriptionKey}`;
}

/** The read side other domains call to filter their events. */
export interface SessionSubscriptions {
  /** Connections subscribed with `sessions.subscribe`. */
  sessionEventSubscribers(): string[];
  /** Connections subscribed to the messages of the session with this subscription key (the canonical key). */
  subscribersOf(subscriptionKey: string): string[];
}

export function sessionSubscriptions(broadcaster: Pick<Broadcaster, "topicSubscribers">): SessionSubscriptions {
  return {
    sessionEventSubscribers: () => broadcaster.topicSubscribers(SESSIONS_TOPIC),
    subscribersOf: (subscriptionKey) => broadcaster.topicSubscribers(sessionMessagesTopic(subscriptionKey)),
  };
}
