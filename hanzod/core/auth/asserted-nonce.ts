/**
 * A challenge nonce asserted by the hanzonode proxy (protocol/challenge-assertion.ts): when the client was
 * shown legacy's challenge, hanzod must challenge with that same nonce, or a device signature over it
 * would fail here. Only a trusted-proxy address holding hanzod's own token can assert one.
 */
import type { IncomingMessage } from "node:http";
import { CHALLENGE_NONCE_HEADER, CHALLENGE_PROOF_HEADER, challengeProof } from "../../../protocol/index.js";
import { secretsEqual } from "./shared-secret.js";
import { normalizeIp, type ProxyMatcher } from "./net.js";

/** Printable ASCII without spaces, like the UUIDs both gateways issue; bounded so it stays cheap. */
const NONCE_SHAPE = /^[\x21-\x7e]{1,128}$/;

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
