/**
 * Durable state under --state-dir: paired devices, device tokens and pending pairing requests.
 * better-sqlite3 is loaded on first use so a gateway that never sees a device pays nothing for it at
 * startup.
 *
 * Device tokens: the database never holds a bearer. A row keeps the token's sha256 (for verification)
 * and a random salt; the bearer is HMAC-SHA256(device-token.key, deviceId|role|salt), with the key in
 * its own 0600 file beside the database. That lets hanzod re-send the SAME token on every connect, as
 * the legacy does (it stores them in plain text), without a copied database or backup leaking a usable
 * credential. A token is re-minted (new salt) only when the device has none, the requested scopes are
 * not covered by it, or the key changed; then the previous token stops working, as in the legacy.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSqlite, type SqliteDatabase as Database } from "../../protocol/index.js";


export interface PairedDevice {
  deviceId: string;
  publicKey: string;
  roles: string[];
  scopes: string[];
  clientId: string;
  clientMode: string;
  platform?: string;
  deviceFamily?: string;
  displayName?: string;
  approvedVia: string;
  createdAtMs: number;
  lastSeenAtMs?: number;
}

export interface PairingRequest {
  requestId: string;
  deviceId: string;
  publicKey: string;
  role: string;
  scopes: string[];
  clientId: string;
  clientMode: string;
  platform?: string;
  deviceFamily?: string;
  displayName?: string;
  remoteIp?: string;
  silent: boolean;
  isRepair: boolean;
  ts: number;
}

export interface IssuedDeviceToken {
  token: string;
  role: string;
  scopes: string[];
  issuedAtMs: number;
}

export type DeviceTokenCheck = { ok: true; scopes: string[] } | { ok: false; reason: "mismatch" | "scope-mismatch" };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS paired_devices (
  device_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, roles TEXT NOT NULL, scopes TEXT NOT NULL,
  client_id TEXT NOT NULL, client_mode TEXT NOT NULL, platform TEXT, device_family TEXT, display_name TEXT,
  approved_via TEXT NOT NULL, created_at_ms INTEGER NOT NULL, last_seen_at_ms INTEGER);
CREATE TABLE IF NOT EXISTS device_tokens (
  device_id TEXT NOT NULL, role TEXT NOT NULL, token_sha256 TEXT NOT NULL, scopes TEXT NOT NULL,
  issued_at_ms INTEGER NOT NULL, salt TEXT, PRIMARY KEY (device_id, role));
CREATE TABLE IF NOT EXISTS pairing_requests (
  request_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, body TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS owner_profile (
  id TEXT PRIMARY KEY, display_name TEXT, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
`;

function digest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

interface DeviceRow {
  device_id: string;
  public_key: string;
  roles: string;
  scopes: string;
  client_id: string;
  client_mode: string;
  platform: string | null;
  device_family: string | null;
  display_name: string | null;
  approved_via: string;
  created_at_ms: number;
  last_seen_at_ms: number | null;
}

function toDevice(r: DeviceRow): PairedDevice {
  return {
    deviceId: r.device_id,
    publicKey: r.public_key,
    roles: JSON.parse(r.roles) as string[],
    scopes: JSON.parse(r.scopes) as string[],
    clientId: r.client_id,
    clientMode: r.client_mode,
    ...(r.platform ? { platform: r.platform } : {}),
    ...(r.device_family ? { deviceFamily: r.device_family } : {}),
    ...(r.display_name ? { displayName: r.display_name } : {}),
    approvedVia: r.approved_via,
    createdAtMs: r.created_at_ms,
    ...(r.last_seen_at_ms ? { lastSeenAtMs: r.last_seen_at_ms } : {}),
  };
}

const TOKEN_KEY_FILE = "device-token.key";

export class HanzodStore {
  private db: Database | undefined;
  private tokenKey: Buffer | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly requestTtlMs: number,
  ) {}

  get path(): string {
    return join(this.stateDir, "hanzod.sqlite");
  }

  private open(): Database {
    if (this.db) return this.db;
    mkdirSync(this.stateDir, { recursive: true });
    const db = openSqlite(this.path);
    db.pragma("journal_mode = WAL");
    db.exec(SCHEMA);
    // State dirs from before salted tokens: their rows get a salt on the next mint.
    const columns = db.prepare("PRAGMA table_info(device_tokens)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "salt")) db.exec("ALTER TABLE device_tokens ADD COLUMN salt TEXT");
    this.db = db;
    return db;
  }

  private key(): Buffer {
    if (this.tokenKey) return this.tokenKey;
    const file = join(this.stateDir, TOKEN_KEY_FILE);
    let key = existsSync(file) ? readFileSync(file) : undefined;
    if (!key || key.length !== 32) {
      key = randomBytes(32);
      mkdirSync(this.stateDir, { recursive: true });
      writeFileSync(file, key, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    this.tokenKey = key;
    return key;
  }

  private bearer(deviceId: string, role: string, salt: string): string {
    return createHmac("sha256", this.key()).update(`${deviceId}|${role}|${salt}`).digest("base64url");
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  /**
   * hanzod's own gateway-owner profile (state/owner-profile.ts), made on first use; a name is adopted
   * only while the profile has none (then updated_at moves, as the legacy's owner row does).
   */
  ensureOwnerProfile(displayName: string | null): { displayName: string | null; updatedAtMs: number } {
    const db = this.open();
    const now = Date.now();
    const row = db.prepare("SELECT display_name, updated_at_ms FROM owner_profile WHERE id = 'gateway-owner'").get() as { display_name: string | null; updated_at_ms: number } | undefined;
    if (!row) {
      db.prepare("INSERT INTO owner_profile (id, display_name, created_at_ms, updated_at_ms) VALUES ('gateway-owner', ?, ?, ?)").run(displayName, now, now);
      return { displayName, updatedAtMs: now };
    }
    if (!row.display_name?.trim() && displayName) {
      db.prepare("UPDATE owner_profile SET display_name = ?, updated_at_ms = ? WHERE id = 'gateway-owner'").run(displayName, now);
      return { displayName, updatedAtMs: now };
    }
    return { displayName: row.display_name, updatedAtMs: row.updated_at_ms };
  }

  getPairedDevice(deviceId: string): PairedDevice | undefined {
    const row = this.open().prepare("SELECT * FROM paired_devices WHERE device_id = ?").get(deviceId) as DeviceRow | undefined;
    return row ? toDevice(row) : undefined;
  }

  listPairedDevices(): PairedDevice[] {
    return (this.open().prepare("SELECT * FROM paired_devices ORDER BY created_at_ms").all() as DeviceRow[]).map(toDevice);
  }

  touchDevice(deviceId: string, atMs: number): void {
    this.open().prepare("UPDATE paired_devices SET last_seen_at_ms = ? WHERE device_id = ?").run(atMs, deviceId);
  }

  /** One pending request per device; a newer request for the same device supersedes the old one. */
  requestPairing(input: Omit<PairingRequest, "requestId" | "ts">): { request: PairingRequest; created: boolean } {
    const db = this.open();
    const now = Date.now();
    db.prepare("DELETE FROM pairing_requests WHERE expires_at_ms <= ?").run(now);
    const existing = db.prepare("SELECT body FROM pairing_requests WHERE device_id = ?").get(input.deviceId) as { body: string } | undefined;
    if (existing) {
      const prev = JSON.parse(existing.body) as PairingRequest;
      if (prev.publicKey === input.publicKey && prev.role === input.role && prev.scopes.join(",") === input.scopes.join(",")) return { request: prev, created: false };
      db.prepare("DELETE FROM pairing_requests WHERE device_id = ?").run(input.deviceId);
    }
    const request: PairingRequest = { ...input, requestId: randomUUID(), ts: now };
    db.prepare("INSERT INTO pairing_requests (request_id, device_id, body, expires_at_ms) VALUES (?, ?, ?, ?)").run(request.requestId, request.deviceId, JSON.stringify(request), now + this.requestTtlMs);
    return { request, created: true };
  }

  listPendingRequests(): PairingRequest[] {
    const rows = this.open().prepare("SELECT body FROM pairing_requests WHERE expires_at_ms > ? ORDER BY expires_at_ms").all(Date.now()) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as PairingRequest);
  }

  /** Approve a pending request: the device record gets the union of old and requested roles/scopes. */
  approve(requestId: string, approvedVia: string): PairedDevice | undefined {
    const db = this.open();
    const row = db.prepare("SELECT body FROM pairing_requests WHERE request_id = ? AND expires_at_ms > ?").get(requestId, Date.now()) as { body: string } | undefined;
    if (!row) return undefined;
    const req = JSON.parse(row.body) as PairingRequest;
    const prev = this.getPairedDevice(req.deviceId);
    const samekey = prev?.publicKey === req.publicKey;
    const roles = [...new Set([...(samekey ? prev.roles : []), req.role])].sort();
    const scopes = [...new Set([...(samekey ? prev.scopes : []), ...req.scopes])].sort();
    const now = Date.now();
    db.transaction(() => {
      db.prepare(
        `INSERT INTO paired_devices (device_id, public_key, roles, scopes, client_id, client_mode, platform, device_family, display_name, approved_via, created_at_ms, last_seen_at_ms)
         VALUES (@deviceId, @publicKey, @roles, @scopes, @clientId, @clientMode, @platform, @deviceFamily, @displayName, @approvedVia, @now, @now)
         ON CONFLICT(device_id) DO UPDATE SET public_key=excluded.public_key, roles=excluded.roles, scopes=excluded.scopes, client_id=excluded.client_id,
           client_mode=excluded.client_mode, platform=excluded.platform, device_family=excluded.device_family, display_name=excluded.display_name,
           approved_via=excluded.approved_via, last_seen_at_ms=excluded.last_seen_at_ms`,
      ).run({
        deviceId: req.deviceId,
        publicKey: req.publicKey,
        roles: JSON.stringify(roles),
        scopes: JSON.stringify(scopes),
        clientId: req.clientId,
        clientMode: req.clientMode,
        platform: req.platform ?? null,
        deviceFamily: req.deviceFamily ?? null,
        displayName: req.displayName ?? null,
        approvedVia,
        now,
      });
      // A new key for a known id invalidates every token minted for the old key.
      if (!samekey) db.prepare("DELETE FROM device_tokens WHERE device_id = ?").run(req.deviceId);
      db.prepare("DELETE FROM pairing_requests WHERE request_id = ?").run(requestId);
    })();
    return this.getPairedDevice(req.deviceId);
  }

  /**
   * The device token for device+role: the existing one when it covers `scopes` (the same bearer and
   * issuedAtMs on every connect), else a new one (32 bytes, base64url) scoped to what was asked.
   */
  ensureDeviceToken(deviceId: string, role: string, scopes: readonly string[], allows: (granted: readonly string[], s: string) => boolean): IssuedDeviceToken {
    const db = this.open();
    const row = db.prepare("SELECT token_sha256, scopes, issued_at_ms, salt FROM device_tokens WHERE device_id = ? AND role = ?").get(deviceId, role) as
      | { token_sha256: string; scopes: string; issued_at_ms: number; salt: string | null }
      | undefined;
    if (row?.salt) {
      const granted = JSON.parse(row.scopes) as string[];
      const token = this.bearer(deviceId, role, row.salt);
      if (digest(token) === row.token_sha256 && scopes.every((s) => allows(granted, s))) return { token, role, scopes: granted, issuedAtMs: row.issued_at_ms };
    }
    const sorted = [...new Set(scopes)].sort();
    const salt = randomBytes(16).toString("base64url");
    const token = this.bearer(deviceId, role, salt);
    const now = Date.now();
    db.prepare(
      `INSERT INTO device_tokens (device_id, role, token_sha256, scopes, issued_at_ms, salt) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(device_id, role) DO UPDATE SET token_sha256=excluded.token_sha256, scopes=excluded.scopes, issued_at_ms=excluded.issued_at_ms, salt=excluded.salt`,
    ).run(deviceId, role, digest(token), JSON.stringify(sorted), now, salt);
    return { token, role, scopes: sorted, issuedAtMs: now };
  }

  verifyDeviceToken(deviceId: string, role: string, token: string, requested: readonly string[], allows: (granted: readonly string[], s: string) => boolean): DeviceTokenCheck {
    const row = this.open().prepare("SELECT token_sha256, scopes FROM device_tokens WHERE device_id = ? AND role = ?").get(deviceId, role) as { token_sha256: string; scopes: string } | undefined;
    if (!row || row.token_sha256 !== digest(token)) return { ok: false, reason: "mismatch" };
    const granted = JSON.parse(row.scopes) as string[];
    if (!requested.every((s) => allows(granted, s))) return { ok: false, reason: "scope-mismatch" };
    return { ok: true, scopes: granted };
  }
}
