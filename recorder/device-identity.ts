/**
 * A fresh Ed25519 device identity and the v3 device proof (legacy-protocol.md §4): replay cannot reuse
 * a recorded signature (it is redacted, and it is bound to the recording's challenge nonce), so it
 * signs again against the target's live nonce.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

export interface DeviceIdentity {
  id: string;
  publicKeyRaw: string;
  privateKey: KeyObject;
}

export function createDeviceIdentity(): DeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" }) as { x?: string };
  if (!jwk.x) throw new Error("ed25519 public key export lacks x");
  const raw = Buffer.from(jwk.x, "base64url");
  return { id: createHash("sha256").update(raw).digest("hex"), publicKeyRaw: jwk.x, privateKey };
}

function normalizeMeta(v: unknown): string {
  // ASCII-only lowercasing, as the gateway does; non-ASCII letters stay as they are.
  return typeof v === "string" ? v.trim().replace(/[A-Z]/g, (c) => c.toLowerCase()) : "";
}

export interface DeviceProofInput {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  signedAtMs: number;
  token: string;
  nonce: string;
  platform?: unknown;
  deviceFamily?: unknown;
}

export function deviceAuthPayloadV3(identity: DeviceIdentity, p: DeviceProofInput): string {
  return ["v3", identity.id, p.clientId, p.clientMode, p.role, p.scopes.join(","), String(p.signedAtMs), p.token, p.nonce, normalizeMeta(p.platform), normalizeMeta(p.deviceFamily)].join("|");
}

/** The `device` block of connect params, signed for this socket's challenge. */
export function signedDeviceBlock(identity: DeviceIdentity, p: DeviceProofInput): { id: string; publicKey: string; signature: string; signedAt: number; nonce: string } {
  const signature = sign(null, Buffer.from(deviceAuthPayloadV3(identity, p), "utf8"), identity.privateKey).toString("base64url");
  return { id: identity.id, publicKey: identity.publicKeyRaw, signature, signedAt: p.signedAtMs, nonce: p.nonce };
}
