/**
 * Connection-state calls sent to both backends (issue #10, split families). `sessions.subscribe`,
 * `sessions.messages.subscribe|unsubscribe` and `sessions.viewers.set` record, per connection, which
 * events the connection gets (`sessions.changed`, `session.message`, chat to session subscribers,
 * presence of watched sessions). Once some sessions writers are served by hanzod and others by the
 * legacy, each runtime emits the events of its own writes, so each must know the client's subscriptions:
 * the proxy sends such a call to the routed backend (whose answer the client gets, once) and a copy to
 * the other one, on that leg's proxy-internal id space (shadow-dispatch.ts InternalRequests: never a
 * client's id). The copy's answer is consumed here, compared with the client's on the connection-state
 * fields, and a disagreement is logged and counted (labels: the method, from this fixed set, and the
 * verdict; never a client id or a client-chosen name).
 */
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import type { Frame } from "../protocol/index.js";
import { isDeclinedError } from "../protocol/index.js";

/** The legacy's connection-state methods (dist server-methods/sessions-subscriptions; 2026.9.1 and 2026.9.6). */
export const MIRRORED_METHODS: ReadonlySet<string> = new Set(["sessions.subscribe", "sessions.messages.subscribe", "sessions.messages.unsubscribe", "sessions.viewers.set"]);

/**
 * Events a runtime sends only to the connections subscribed on it, for its own writes: each backend's
 * copy is delivered (the client subscribed on both), never just the family owner's (event-router.ts).
 */
export const SUBSCRIPTION_EVENTS: ReadonlySet<string> = new Set(["sessions.changed", "session.message"]);

/**
 * `agree`: same outcome and connection-state fields; `disagree`: not; `declined`: hanzod left the call
 * to the legacy (so hanzod holds no state for it, by design); `failed`: the copy got no answer.
 */
export type MirrorVerdict = "agree" | "disagree" | "declined" | "failed";
export const MIRROR_VERDICTS: readonly MirrorVerdict[] = ["agree", "disagree", "declined", "failed"];

/** The answer fields that carry connection state (`list`, a read beside the subscription, is not compared). */
const STATE_FIELDS = ["subscribed", "key", "sessionKeys"] as const;

function stateOf(payload: unknown): Record<string, unknown> {
  const p = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
  return Object.fromEntries(STATE_FIELDS.filter((f) => f in p).map((f) => [f, p[f]]));
}

/** Compares the answer the client got with the other backend's (`clientGot` a decoded `res` frame). */
export function mirrorVerdict(clientGot: Frame | undefined, copy: BackendAnswer | BackendFailure): MirrorVerdict {
  if ("failed" in copy) return "failed";
  if (!copy.ok && isDeclinedError(copy.error)) return "declined";
  if (clientGot?.type !== "res") return "disagree";
  if (clientGot.ok !== copy.ok) return "disagree";
  if (!copy.ok) return clientGot.error?.code === copy.error?.code && clientGot.error?.message === copy.error?.message ? "agree" : "disagree";
  return JSON.stringify(stateOf(clientGot.payload)) === JSON.stringify(stateOf(copy.payload)) ? "agree" : "disagree";
}
