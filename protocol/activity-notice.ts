/**
 * The proxy's notice to hanzod that a client's human activity was accepted by the legacy (issue 13 gap 2).
 * With `authOwner: hanzod` a legacy-routed `session.typing` reaches the legacy on the proxy's brokered leg,
 * which carries no person, so nobody stamps the typist's presence `lastActivityAt` (the legacy's
 * recordClientPresenceActivity). After the legacy answered it ok with `typing: true`, the proxy sends this
 * request on the client's own hanzod connection; hanzod stamps that connection's person and nobody else's.
 *
 * Only the proxy can send it: the request carries an HMAC under hanzod's own token (which a client never
 * holds; the proxy's requests and hanzod's answers to them never reach the client) and hanzod takes it only
 * on a socket from a trusted-proxy address. Without both it is an unknown method like any other name (the
 * method table does not have it, so hello-ok never lists it). It carries no identity: nothing in it can
 * name another connection or person. hanzod's side: hanzod/core/connection.ts.
 */
import { createHmac } from "node:crypto";

/** Not a legacy method name in any release (the legacy never has a `hanzonode.` namespace). */
export const ACTIVITY_NOTICE_METHOD = "hanzonode.proxy.activity";

/** The proof the notice carries in `params.proof`: base64url HMAC-SHA256 keyed by hanzod's token. */
export function activityNoticeProof(token: string): string {
  return createHmac("sha256", token).update(`hanzonode-activity:${ACTIVITY_NOTICE_METHOD}`).digest("base64url");
}
