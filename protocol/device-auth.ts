/**
 * The device proof both sides of the handshake speak (legacy-protocol.md §4): Ed25519 over a
 * `|`-joined payload, device id = lowercase hex sha256 of the raw 32-byte public key. hanzod verifies
 * with it, replay and tests sign with it, so the payload is spelled in exactly one place.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

export type DevicePayloadVersion = "v2" | "v3";

/** The connect fields a device signature covers, exactly as sent in connect params. */
export interface DeviceSignedFields {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  /** auth.token ?? auth.deviceToken ?? auth.bootstrapToken; the password is never signed. */
  token: string | null;
  platform?: unknown;
  deviceFamily?: unknown;
}

export interface DeviceBlock {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce: string;
}

export interface DeviceIdentity {
  id: string;
  /** Raw public key, base64url without padding, as `device.publicKey` carries it. */
  publicKeyRaw: string;
  privateKey: KeyObject;
}

// ASCII-only lowercasing, as the legacy does: non-ASCII letters stay as they are.
function normalizeMeta(value: unknown): string {
  return typeof value === "string" ? value.trim().replace(/[A-Z]/g, (c) => c.toLowerCase()) : "";
}

export function deviceAuthPayload(version: DevicePayloadVersion, deviceId: string, f: DeviceSignedFields, signedAt: number, nonce: string): string {
  const parts = [version, deviceId, f.clientId, f.clientMode, f.role, f.scopes.join(","), String(signedAt), f.token ?? "", nonce];
  if (version === "v3") parts.push(normalizeMeta(f.platform), normalizeMeta(f.deviceFamily));
  return parts.join("|");
}

export function deviceIdFromRawKey(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex");
}

export function createDeviceIdentity(): DeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("ed25519 public key export lacks x");
  return { id: deviceIdFromRawKey(Buffer.from(jwk.x, "base64url")), publicKeyRaw: jwk.x, privateKey };
}

/** The `device` block of connect params, signed for one socket's challenge. */
export function signDeviceBlock(identity: DeviceIdentity, f: DeviceSignedFields, signedAt: number, nonce: string, version: DevicePayloadVersion = "v3"): DeviceBlock {
  const payload = Buffer.from(deviceAuthPayload(version, identity.id, f, signedAt, nonce), "utf8");
  return { id: identity.id, publicKey: identity.publicKeyRaw, signature: sign(null, payload, identity.privateKey).toString("base64url"), signedAt, nonce };
}
