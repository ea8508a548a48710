/**
 * A challenge nonce asserted by the hanzonode proxy. When the proxy cannot know before a client's
 * `connect` whether legacy or hanzod will authenticate it (auth and nodes owned by different backends),
 * it opens both and gives the client legacy's challenge; hanzod must then challenge with that same
 * nonce, or a device signature over it would fail here. Only a trusted-proxy address holding hanzod's
 * own token can assert one: the proof is an HMAC of the nonce under that token, so neither a client nor
 * a stray header can pick the nonce a device signs.
 */
import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { secretsEqual } from "./shared-secret.js";
import { normalizeIp, type ProxyMatcher } from "./net.js";

export const CHALLENGE_NONCE_HEADER = "x-hanzonode-challenge-nonce";
export const CHALLENGE_PROOF_HEADER = "x-hanzonode-challenge-proof";

/** Printable ASCII without spaces, like the UUIDs both gateways issue; bounded so it stays cheap. */
const NONCE_SHAPE = /^[\x21-\x7e]{1,128}$/;

/** The proof the proxy sends with a nonce: base64url HMAC-SHA256 keyed by hanzod's token. */
export function challengeProof(token: string, nonce: string): string {
  return createHmac("sha256", token).update(`hanzonode-challenge:${nonce}`).digest("base64url");
}

/**
 * The nonce this socket must use, when a trusted proxy asserted one with a valid proof; undefined
 * means "use your own random nonce" (no token configured, untrusted source, bad shape or proof).
 */
export function assertedChallengeNonce(req: IncomingMessage, token: string | undefined, proxies: ProxyMatcher): string | undefined {
  if (!token) return undefined;
  const nonce = singleHeader(req, CHALLENGE_NONCE_HEADER);
  if (nonce === undefined || !NONCE_SHAPE.test(nonce)) return undefined;
  if (!proxies.matches(normalizeIp(req.socket.remoteAddress))) return undefined;
  const proof = singleHeader(req, CHALLENGE_PROOF_HEADER);
  if (proof === undefined) return undefined;
  return secretsEqual(proof, challengeProof(token, nonce)) ? nonce : undefined;
}

/** Node joins a repeated custom header with ", ", which the nonce shape and the proof both refuse. */
function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  return typeof raw === "string" ? raw : undefined;
}
