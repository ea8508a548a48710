/**
 * Device identity proof: Ed25519 over the v3 (then v2) connect payload, device id = sha256(raw key),
 * ±120 s skew, nonce bound to this socket's challenge. Checks run in the legacy's order so the first
 * failing one names the same reason.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { deviceAuthPayload, deviceIdFromRawKey, type DeviceAuthFailure, type DeviceSignedFields } from "../../../protocol/index.js";
import { DEFAULTS } from "../../options.js";

export interface DeviceClaim {
  id: string;
  publicKey: string;
  signature: string;
  signedAt: number;
  nonce: string;
}

/** The connect fields the signature covers (the shared definition lives in protocol/device-auth.ts). */
export type SignedFields = DeviceSignedFields;

export type DeviceProof = { ok: true; publicKey: string; payloadVersion: "v3" | "v2" } | { ok: false; reason: DeviceAuthFailure };

// SPKI DER prefix of an Ed25519 public key; the 32 raw bytes follow it.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const MAX_KEY_INPUT = 4096;

/** Raw 32 key bytes from base64url (canonical), standard base64 or PEM; undefined when it is none of them. */
export function rawPublicKey(input: string): Buffer | undefined {
  const value = input.trim();
  if (!value || value.length > MAX_KEY_INPUT) return undefined;
  try {
    if (value.includes("BEGIN PUBLIC KEY")) {
      const der = createPublicKey(value).export({ type: "spki", format: "der" });
      return der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX) ? der.subarray(12) : undefined;
    }
    let raw: Buffer;
    if (/^[A-Za-z0-9_-]+$/.test(value)) {
      raw = Buffer.from(value, "base64url");
      if (raw.toString("base64url") !== value) return undefined;
    } else if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
      raw = Buffer.from(value, "base64");
    } else return undefined;
    return raw.length === 32 ? raw : undefined;
  } catch {
    return undefined;
  }
}

export const deviceIdFor = deviceIdFromRawKey;

function keyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

function signatureBytes(sig: string): Buffer | undefined {
  if (!sig || sig.length > MAX_KEY_INPUT) return undefined;
  const b64 = sig.replaceAll("-", "+").replaceAll("_", "/");
  return Buffer.from(b64 + "=".repeat((4 - (b64.length % 4)) % 4), "base64");
}

export function verifyDeviceProof(device: DeviceClaim, fields: SignedFields, challengeNonce: string, now = Date.now()): DeviceProof {
  const raw = rawPublicKey(device.publicKey);
  if (!raw || deviceIdFor(raw) !== device.id) return { ok: false, reason: "device-id-mismatch" };
  if (typeof device.signedAt !== "number" || Math.abs(now - device.signedAt) > DEFAULTS.deviceSignatureSkewMs) return { ok: false, reason: "device-signature-stale" };
  const nonce = typeof device.nonce === "string" ? device.nonce.trim() : "";
  if (!nonce) return { ok: false, reason: "device-nonce-missing" };
  if (nonce !== challengeNonce) return { ok: false, reason: "device-nonce-mismatch" };
  const sig = signatureBytes(device.signature);
  if (!sig) return { ok: false, reason: "device-signature" };
  let key: KeyObject;
  try {
    key = keyObject(raw);
  } catch {
    return { ok: false, reason: "device-public-key" };
  }
  for (const version of ["v3", "v2"] as const) {
    const payload = Buffer.from(deviceAuthPayload(version, device.id, fields, device.signedAt, nonce), "utf8");
    try {
      if (verify(null, payload, key, sig)) return { ok: true, publicKey: raw.toString("base64url"), payloadVersion: version };
    } catch {
      /* malformed signature bytes: try the next payload version, then fail as the legacy does */
    }
  }
  return { ok: false, reason: "device-signature" };
}
