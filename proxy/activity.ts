/**
 * Issue 13 gap 2: a person's presence `lastActivityAt` for the one activity the legacy still serves.
 * 2026.9.6 stamps it (recordClientPresenceActivity) when it accepts `session.typing` with `typing: true`;
 * with `authOwner: hanzod` that call reaches the legacy on the brokered leg, which has no person, while the
 * presence rows clients see are hanzod's. So once the legacy answered such a call ok, the proxy tells hanzod
 * on the client's own (auth) leg with its notice (protocol/activity-notice.ts), and hanzod stamps that
 * connection's person. Only `session.typing` answers are looked at (a method-name check in the session).
 */
import { ACTIVITY_NOTICE_METHOD, activityNoticeProof } from "../protocol/index.js";
import type { ProxyContext } from "./context.js";
import type { InternalRequests } from "./shadow-dispatch.js";

/** The legacy-served method whose accepted call is activity. */
export const ACTIVITY_METHOD = "session.typing";

/** `typing: true` is activity; `typing: false` (stopped typing) is not, as in the legacy. */
export function isActivity(params: unknown): boolean {
  return typeof params === "object" && params !== null && (params as { typing?: unknown }).typing === true;
}

/**
 * Sends the notice on hanzod's leg (the auth leg here); its answer is the proxy's and never reaches the
 * client. Without hanzod's token the proxy cannot prove it is the sender, so nothing is sent.
 */
export function noteActivity(ctx: ProxyContext, internal: InternalRequests, connectionId: string): void {
  const token = ctx.hanzodToken;
  if (!token) return;
  void internal.send("hanzod", { type: "req", id: "", method: ACTIVITY_NOTICE_METHOD, params: { proof: activityNoticeProof(token) } }).then((answer) => {
    if (!("failed" in answer) && answer.ok) return;
    ctx.log.debug({ conn: connectionId, why: "failed" in answer ? answer.failed : answer.error?.message }, "activity notice not taken by hanzod");
  });
}
