/**
 * The proxy-to-hanzod agreement on a shared challenge nonce. When the proxy cannot know before a
 * client's `connect` whether legacy or hanzod will authenticate it (auth and nodes owned by different
 * backends), it opens both and shows the client legacy's challenge; hanzod must then challenge with that
 * same nonce. The proof is an HMAC of the nonce under hanzod's own token, so neither a client nor a stray
 * header can choose the nonce a device signs. hanzod's side of the check is hanzod/auth/asserted-nonce.ts.
 */
import { createHmac } from "node:crypto";

export const CHALLENGE_NONCE_HEADER = "x-hanzonode-challenge-nonce";
export const CHALLENGE_PROOF_HEADER = "x-hanzonode-challenge-proof";

/** Every header of ours starts with this; the proxy never forwards a client's own. */
export const HANZONODE_HEADER_PREFIX = "x-hanzonode-";

/** The proof the proxy sends with a nonce: base64url HMAC-SHA256 keyed by hanzod's token. */
export function challengeProof(token: string, nonce: string): string {
  return createHmac("sha256", token).update(`hanzonode-challenge:${nonce}`).digest("base64url");
}
