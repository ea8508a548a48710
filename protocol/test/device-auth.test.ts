import { createHash, createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDeviceIdentity, deviceAuthPayload, signDeviceBlock } from "../index.js";

const fields = { clientId: "cli", clientMode: "cli", role: "operator", scopes: ["operator.read", "operator.write"], token: "T", platform: " Linux ", deviceFamily: "ÄBC" };

describe("device proof", () => {
  it("spells the v3 and v2 payloads as the legacy does (ASCII-only lowercased metadata)", () => {
    expect(deviceAuthPayload("v3", "dev", fields, 1700, "n1")).toBe("v3|dev|cli|cli|operator|operator.read,operator.write|1700|T|n1|linux|Äbc");
    expect(deviceAuthPayload("v2", "dev", { ...fields, token: null }, 1700, "n1")).toBe("v2|dev|cli|cli|operator|operator.read,operator.write|1700||n1");
  });

  it("derives the id from the raw key and signs a block that verifies over the payload", () => {
    const identity = createDeviceIdentity();
    const raw = Buffer.from(identity.publicKeyRaw, "base64url");
    expect(raw).toHaveLength(32);
    expect(identity.id).toBe(createHash("sha256").update(raw).digest("hex"));
    const block = signDeviceBlock(identity, fields, 1700, "n1");
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: block.publicKey }, format: "jwk" });
    const payload = Buffer.from(deviceAuthPayload("v3", block.id, fields, 1700, "n1"));
    expect(verify(null, payload, key, Buffer.from(block.signature, "base64url"))).toBe(true);
    expect(verify(null, Buffer.from(deviceAuthPayload("v3", block.id, fields, 1700, "n2")), key, Buffer.from(block.signature, "base64url"))).toBe(false);
  });
});
