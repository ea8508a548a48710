/**
 * The challenge nonce a trusted proxy asserts (the hanzonode proxy passing on legacy's nonce): used only
 * with a valid HMAC proof under hanzod's token, from a trusted-proxy address, in a sane shape. Anything
 * else gets hanzod's own random nonce.
 */
import { describe, expect, it } from "vitest";
import { CHALLENGE_NONCE_HEADER, CHALLENGE_PROOF_HEADER, challengeProof } from "../../protocol/index.js";
import { connectFrame, isRes, newDeviceKey, openRaw, signedDevice, useTestHanzod } from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const trusted = useTestHanzod({ trustedProxies: ["127.0.0.1", "::1"] });
const untrusted = useTestHanzod({ trustedProxies: ["203.0.113.1"] });
const noToken = useTestHanzod({ auth: { mode: "none" }, trustedProxies: ["127.0.0.1", "::1"] });

/** A fresh nonce per case, so no case can pass on another's leftovers. */
function someNonce(): string {
  return `legacy-${Math.random().toString(36).slice(2)}-${Date.now()}`;
}

async function challengeWith(url: string, headers: Record<string, string>): Promise<string> {
  const s = await openRaw(url, headers);
  s.close();
  return s.challenge.nonce;
}

describe("an asserted challenge nonce", () => {
  it("is the challenge nonce when a trusted proxy proves it with hanzod's token, and a device signature over it is accepted", async () => {
    const nonce = someNonce();
    const s = await openRaw(trusted.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(trusted.token, nonce) });
    try {
      expect(s.challenge.nonce).toBe(nonce);
      // The socket verifies device proofs against it too (direct loopback: paired silently).
      const key = newDeviceKey();
      s.send(connectFrame({ scopes: ["operator.read"], auth: { token: trusted.token }, device: signedDevice({ key, scopes: ["operator.read"], token: trusted.token, nonce, signedAt: s.challenge.ts }) }));
      const res = await s.next(isRes("c1"));
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
    } finally {
      s.close();
    }
  });

  it("is ignored with a wrong proof, a proof under another key, or no proof", async () => {
    const nonce = someNonce();
    const wrong = await challengeWith(trusted.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: "A".repeat(43) });
    const otherKey = await challengeWith(trusted.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(`${trusted.token}x`, nonce) });
    const missing = await challengeWith(trusted.url, { [CHALLENGE_NONCE_HEADER]: nonce });
    for (const got of [wrong, otherKey, missing]) {
      expect(got).not.toBe(nonce);
      expect(got).toMatch(UUID);
    }
  });

  it("is ignored from an address that is not a trusted proxy, even with a valid proof", async () => {
    const nonce = someNonce();
    const got = await challengeWith(untrusted.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(untrusted.token, nonce) });
    expect(got).not.toBe(nonce);
    expect(got).toMatch(UUID);
  });

  it("is ignored when the nonce is not a sane token (whitespace, too long)", async () => {
    for (const nonce of ["two words", "x".repeat(129)]) {
      const got = await challengeWith(trusted.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(trusted.token, nonce) });
      expect(got).toMatch(UUID);
    }
    const longest = "y".repeat(128);
    expect(await challengeWith(trusted.url, { [CHALLENGE_NONCE_HEADER]: longest, [CHALLENGE_PROOF_HEADER]: challengeProof(trusted.token, longest) })).toBe(longest);
  });

  it("is ignored by a hanzod without a token (nothing to prove it with)", async () => {
    const nonce = someNonce();
    // A proof under the empty key: what anyone could compute if an empty token counted.
    const got = await challengeWith(noToken.url, { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof("", nonce) });
    expect(got).not.toBe(nonce);
    expect(got).toMatch(UUID);
  });
});
