/**
 * The legacy gateway's own device identity, read-only, from its state database (`device_identities`, row
 * `identity_key = "primary"`, the key the gateway process loads; same table in state schemas 15 and 18).
 * Only `device_id` and `public_key_pem` are read: the private key column is never selected, so it never
 * enters hanzod's memory.
 *
 * The legacy creates this row when it first needs its identity (at start) and caches it for its process
 * lifetime; the gateway never rewrites it (only `openclaw doctor --fix` repairs an invalid row). So a row
 * that exists is what the running legacy answers. A missing or invalid row is refused by the caller: the
 * legacy would create or repair it (a write), which hanzod never does.
 */
import { createHash, createPublicKey } from "node:crypto";
import { ReadOnlyDb } from "./read-only-db.js";

const IDENTITY_KEY = "primary";
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export type GatewayIdentityRead = { kind: "identity"; deviceId: string; publicKey: string } | { kind: "missing" } | { kind: "invalid"; reason: string };

/** The raw 32-byte Ed25519 key of an SPKI PEM, as the legacy derives it (dist ed25519-signature). */
function rawEd25519(pem: string): Buffer | undefined {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== "ed25519") return undefined;
    const der = key.export({ type: "spki", format: "der" });
    if (der.length !== ED25519_SPKI_PREFIX.length + 32 || !der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)) return undefined;
    return der.subarray(ED25519_SPKI_PREFIX.length);
  } catch {
    return undefined;
  }
}

export class GatewayIdentityReader {
  private readonly stateDb: ReadOnlyDb;

  constructor(stateDbPath: string) {
    this.stateDb = new ReadOnlyDb(stateDbPath);
  }

  /** Re-read on every call (one indexed row). */
  read(): GatewayIdentityRead {
    const db = this.stateDb.get();
    if (!db) return { kind: "missing" };
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'device_identities'").get() === undefined) return { kind: "missing" };
    const row = db.prepare("SELECT device_id, public_key_pem FROM device_identities WHERE identity_key = ?").get(IDENTITY_KEY) as { device_id: unknown; public_key_pem: unknown } | undefined;
    if (!row) return { kind: "missing" };
    // The legacy's own checks (dist device-identity validateStoredDeviceIdentity), less the key-pair match,
    // which needs the private key.
    if (typeof row.device_id !== "string" || !/^[a-f0-9]{64}$/.test(row.device_id) || typeof row.public_key_pem !== "string") return { kind: "invalid", reason: "malformed row" };
    const raw = rawEd25519(row.public_key_pem);
    if (!raw) return { kind: "invalid", reason: "not an Ed25519 public key" };
    if (createHash("sha256").update(raw).digest("hex") !== row.device_id) return { kind: "invalid", reason: "device id does not match the public key" };
    return { kind: "identity", deviceId: row.device_id, publicKey: raw.toString("base64url") };
  }

  close(): void {
    this.stateDb.close();
  }
}
