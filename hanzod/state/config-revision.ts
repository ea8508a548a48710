/**
 * The legacy's config revision hashes, so a `baseHash` one runtime hands out is accepted by the other.
 * The legacy (src/gateway/config-revision-token.ts) never puts a plain file hash on the wire: it projects
 * it through an HMAC keyed by a 32-byte installation key kept in the state database
 * (`config_revision_keys`, row id 1), with a domain string per kind of hash:
 *   hash               = "hmac-sha256:v1:" + base64url(HMAC-SHA256(key, JSON.stringify([RAW_DOMAIN, sha256hex(raw file text)])))
 *   configRevisionHash = the same over RESOLVED_DOMAIN and the hash of the resolved config value.
 * The legacy creates the key on its first gateway start; hanzod reads it and, on a state database that
 * has none yet, inserts one the same way (INSERT ... ON CONFLICT DO NOTHING, then read back), so whichever
 * runtime comes first, both project with the same key. The row's shape is the legacy's own.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { openSqlite } from "../../protocol/index.js";

export const CONFIG_REVISION_RAW_DOMAIN = "openclaw.gateway.config-revision.raw.v1";
export const CONFIG_REVISION_RESOLVED_DOMAIN = "openclaw.gateway.config-revision.resolved.v1";
const KEY_BYTES = 32;
const SINGLETON_ID = 1;

/** sha256 hex of the config file's text, as the legacy's hashConfigRaw (a missing file hashes "missing"). */
export function hashConfigRaw(raw: string | null): string {
  if (raw === null) return createHash("sha256").update("missing").digest("hex");
  return createHash("sha256").update(raw).digest("hex");
}

export interface ConfigRevisionProjector {
  projectRawHash(hash: string): string;
  projectResolvedHash(hash: string): string;
}

export function createConfigRevisionProjector(key: Buffer): ConfigRevisionProjector {
  if (key.byteLength !== KEY_BYTES) throw new Error("config revision key must be 32 bytes");
  const project = (domain: string, hash: string) => `hmac-sha256:v1:${createHmac("sha256", key).update(JSON.stringify([domain, hash]), "utf8").digest("base64url")}`;
  return { projectRawHash: (h) => project(CONFIG_REVISION_RAW_DOMAIN, h), projectResolvedHash: (h) => project(CONFIG_REVISION_RESOLVED_DOMAIN, h) };
}

function keyFromRow(row: { hmac_key?: unknown } | undefined, file: string): Buffer | undefined {
  if (!row) return undefined;
  if (!(row.hmac_key instanceof Uint8Array) || row.hmac_key.byteLength !== KEY_BYTES) throw new Error(`${file}: config revision key is corrupt`);
  return Buffer.from(row.hmac_key);
}

/**
 * The installation key from the legacy's state database, created as the legacy creates it when the
 * table has no row yet. The table itself is the legacy's (created by its schema); hanzod never creates
 * or alters it, and refuses a state database without it.
 */
export function loadConfigRevisionKey(stateDbFile: string): Buffer {
  const db = openSqlite(stateDbFile, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'config_revision_keys'").get() !== undefined;
    if (!hasTable) throw new Error(`${stateDbFile}: no config_revision_keys table (not a state database of a supported openclaw release)`);
    const select = db.prepare("SELECT hmac_key FROM config_revision_keys WHERE id = ?");
    const existing = keyFromRow(select.get(SINGLETON_ID) as { hmac_key?: unknown } | undefined, stateDbFile);
    if (existing) return existing;
    db.prepare("INSERT INTO config_revision_keys (id, hmac_key) VALUES (?, ?) ON CONFLICT(id) DO NOTHING").run(SINGLETON_ID, randomBytes(KEY_BYTES));
    const stored = keyFromRow(select.get(SINGLETON_ID) as { hmac_key?: unknown } | undefined, stateDbFile);
    if (!stored) throw new Error(`${stateDbFile}: config revision key could not be created`);
    return stored;
  } finally {
    db.close();
  }
}
