/**
 * A person's preferences (`users.prefs.get`), read-only, from the legacy's state database:
 * `user_preferences` rows (`profile_id`, `pref_key`, `value_json`; STRICT, primary key (profile_id,
 * pref_key)) of the caller's profile, resolved through its merge head. The legacy reads them on every call
 * (2026.9.6: its state worker's `userPreferences.read`, in one deferred read transaction; 2026.9.1:
 * `resolveUserProfileId` then `getUserPreferences`), no in-memory copy takes part, so hanzod's read of the
 * same rows is the same answer.
 *
 * Both releases (written from the dist code of each):
 * - the profile is resolved one hop: the row of the id; when it is merged (`merged_into` non-empty), the
 *   merge head's row, or the row itself when the head is gone. No row: the legacy answers its
 *   "authenticated profile unavailable" error; hanzod refuses instead (a connection hanzod attributes to
 *   the gateway owner is one whose connect would have made that row on the legacy). For the owner, only
 *   the plain owner row is answered (`checkOwner`): the states in which the legacy refuses owner connects
 *   are refused here too.
 * - `keys` absent: every preference of the resolved profile; `keys: []`: none; else those keys. Ordered by
 *   `pref_key` (SQLite's binary order), each `value_json` parsed, and gathered with `Object.fromEntries`
 *   (so integer-like keys come first in the answer, as in the legacy's).
 *
 * Before reading, the legacy ensures its schema (CREATE TABLE IF NOT EXISTS): a missing `user_preferences`
 * table reads here as the empty table it would create. A `value_json` that is not JSON (a table not made by
 * the legacy) is refused, never guessed.
 */
import type { SqliteDatabase } from "../../protocol/index.js";
import { GATEWAY_OWNER_PROFILE_ID } from "./owner-profile.js";

export type UserPreferencesRead = { kind: "entries"; entries: Record<string, unknown> } | { kind: "refused"; reason: string };

class Refusal extends Error {}

function hasTable(db: SqliteDatabase, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/**
 * The gateway owner's profile as the legacy's connect resolves it (dist user-profiles-owner
 * `readGatewayOwnerProfileForEnsure`): a merged owner row, a merged row holding the owner identity
 * (`gateway.local` / `owner`), or the two being different rows make it refuse the connect ("repair
 * required"), and without a `gateway-owner` row its owner is whichever row holds that identity. hanzod
 * answers only for the plain case: the `gateway-owner` row, unmerged, holding the identity or no row at all.
 */
function checkOwner(db: SqliteDatabase): void {
  const owner = db.prepare("SELECT merged_into FROM user_profiles WHERE id = ?").get(GATEWAY_OWNER_PROFILE_ID) as { merged_into: unknown } | undefined;
  if (!owner) throw new Refusal("the legacy's state has no gateway-owner profile (the legacy makes it when the owner connects)");
  if (owner.merged_into !== null) throw new Refusal("the gateway-owner profile is merged (the legacy refuses owner connects until it is repaired)");
  const identities = new Set(tableColumns(db, "user_profile_identities"));
  if (!["provider", "subject", "profile_id"].every((c) => identities.has(c))) return;
  const identified = db.prepare("SELECT p.id, p.merged_into FROM user_profiles p INNER JOIN user_profile_identities i ON i.profile_id = p.id WHERE i.provider = 'gateway.local' AND i.subject = 'owner'").all() as { id: unknown; merged_into: unknown }[];
  if (identified.some((row) => row.id !== GATEWAY_OWNER_PROFILE_ID || row.merged_into !== null)) throw new Refusal("the owner identity is held by another or a merged profile (the legacy refuses owner connects until it is repaired)");
}

function tableColumns(db: SqliteDatabase, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: unknown }[]).flatMap((c) => (typeof c.name === "string" ? [c.name] : []));
}

/** The legacy's readResolvedUserProfile: the id of the profile the preferences belong to. */
function resolveProfile(db: SqliteDatabase, profileId: string): string {
  if (!hasTable(db, "user_profiles")) throw new Refusal(`profile ${profileId} does not exist in the legacy's state`);
  if (profileId === GATEWAY_OWNER_PROFILE_ID) checkOwner(db);
  const read = (id: string) => db.prepare("SELECT id, merged_into FROM user_profiles WHERE id = ?").get(id) as { id: unknown; merged_into: unknown } | undefined;
  const row = read(profileId);
  if (!row || typeof row.id !== "string") throw new Refusal(`profile ${profileId} does not exist in the legacy's state`);
  if (typeof row.merged_into !== "string" || row.merged_into === "") return row.id;
  const head = read(row.merged_into);
  return head && typeof head.id === "string" ? head.id : row.id;
}

function parseValue(key: string, text: unknown): unknown {
  if (typeof text !== "string") throw new Refusal(`preference ${key} holds a value of a type the legacy's table cannot`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Refusal(`preference ${key} holds a value that is not JSON`);
  }
}

function readEntries(db: SqliteDatabase, profileId: string, keys: readonly string[] | undefined): Record<string, unknown> {
  const owner = resolveProfile(db, profileId);
  if (keys?.length === 0 || !hasTable(db, "user_preferences")) return {};
  const filter = keys ? ` AND pref_key IN (${keys.map(() => "?").join(", ")})` : "";
  const rows = db.prepare(`SELECT pref_key, value_json FROM user_preferences WHERE profile_id = ?${filter} ORDER BY pref_key ASC`).all(owner, ...(keys ?? [])) as { pref_key: unknown; value_json: unknown }[];
  return Object.fromEntries(
    rows.map((row) => {
      if (typeof row.pref_key !== "string") throw new Refusal("a user_preferences row holds a key of a type the legacy's table cannot");
      return [row.pref_key, parseValue(row.pref_key, row.value_json)];
    }),
  );
}

/** One read transaction, as the legacy's. `db` undefined: no state database yet (no profile in it). */
export function readUserPreferences(db: SqliteDatabase | undefined, profileId: string, keys: readonly string[] | undefined): UserPreferencesRead {
  if (!db) return { kind: "refused", reason: `profile ${profileId} does not exist in the legacy's state` };
  try {
    return { kind: "entries", entries: db.transaction(() => readEntries(db, profileId, keys))() };
  } catch (err) {
    if (err instanceof Refusal) return { kind: "refused", reason: err.message };
    throw err;
  }
}
