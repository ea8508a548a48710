/**
 * The gateway owner's profile (openclaw 2026.9.6): operators that authenticate with the shared token or
 * password (or with no user identity while no gateway.roles are configured) are attributed to one local
 * person, profile `gateway-owner`, shown in presence rows as `user` with an avatar URL. The legacy creates
 * that profile in its state database (`user_profiles`) on the first such connect, named after the host
 * account's full name (the passwd GECOS field; nothing when it is empty or only repeats the login).
 *
 * hanzod never writes a legacy table: on the legacy's state dir it reads the legacy's row (read-only);
 * when there is none (or no legacy state) it keeps an owner profile of its own in `hanzod.sqlite`, made
 * the same way, so the avatar revision (`?v=`) stays stable across restarts.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { openSqlite } from "../../protocol/index.js";

export const GATEWAY_OWNER_PROFILE_ID = "gateway-owner";
/** The avatar types the legacy serves (anything else has no avatar revision of its own). */
const AVATAR_MIME_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

export interface OwnerProfile {
  displayName: string | null;
  /** The legacy's `avatarRevision`: `<sha256>-<subtype>` with an avatar, else the profile's updated_at (ms) as text. */
  avatarRevision: string;
}

/** A presence row's `user` for a profile, as the legacy builds it (authenticated-presence-user.ts). */
export interface PresenceUser {
  id: string;
  identity: { type: "profile"; id: string };
  name?: string;
  avatarUrl: string;
}

export function ownerPresenceUser(profile: OwnerProfile): PresenceUser {
  const id = GATEWAY_OWNER_PROFILE_ID;
  return {
    id,
    identity: { type: "profile", id },
    ...(profile.displayName ? { name: profile.displayName } : {}),
    avatarUrl: `/api/users/${encodeURIComponent(id)}/avatar?v=${encodeURIComponent(profile.avatarRevision)}`,
  };
}

interface ProfileRow {
  display_name: string | null;
  avatar_mime: string | null;
  avatar_sha256: string | null;
  merged_into: string | null;
  updated_at: number;
}

export function avatarRevisionOf(row: Pick<ProfileRow, "avatar_mime" | "avatar_sha256" | "updated_at">): string {
  return row.avatar_sha256 && row.avatar_mime && AVATAR_MIME_TYPES.has(row.avatar_mime) ? `${row.avatar_sha256}-${row.avatar_mime.slice(6)}` : String(row.updated_at);
}

/** The legacy's owner row, read-only; undefined when its state has none yet (the table is created lazily). */
export function readLegacyOwnerProfile(stateDb: string): OwnerProfile | undefined {
  let db;
  try {
    db = openSqlite(stateDb, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_profiles'").get();
    if (table === undefined) return undefined;
    const row = db.prepare("SELECT display_name, avatar_mime, avatar_sha256, merged_into, updated_at FROM user_profiles WHERE id = ?").get(GATEWAY_OWNER_PROFILE_ID) as ProfileRow | undefined;
    // A merged owner needs the legacy's repair; hanzod attributes nobody rather than guess.
    if (!row || row.merged_into) return undefined;
    return { displayName: row.display_name?.trim() ? row.display_name : null, avatarRevision: avatarRevisionOf(row) };
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

function run(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 1_000, maxBuffer: 16_384 }, (err, stdout) => resolve(err ? null : stdout));
  });
}

/** The full name a passwd line gives `username` (first GECOS part), or null when it is empty or only the login again. */
export function gecosName(passwd: string, username: string): string | null {
  const fields = passwd
    .split("\n")
    .find((line) => line.split(":", 1)[0] === username)
    ?.split(":");
  return fullNameOrNull(fields?.[4]?.split(",", 1)[0], username);
}

function fullNameOrNull(value: string | undefined | null, username: string): string | null {
  const name = value?.trim();
  return name && name.toLowerCase() !== username.toLowerCase() ? name.slice(0, 256) : null;
}

/** The host account's human name, as the legacy reads it (linux: getent/passwd; macOS: id -F, dscl). */
export async function readHostAccountName(): Promise<string | null> {
  try {
    if (process.platform !== "darwin" && process.platform !== "linux") return null;
    const { username } = userInfo();
    if (process.platform === "darwin") {
      const full = fullNameOrNull(await run("/usr/bin/id", ["-F"]), username);
      if (full) return full;
      return fullNameOrNull((await run("/usr/bin/dscl", [".", "-read", `/Users/${username}`, "RealName"]))?.replace(/^RealName:\s*/u, ""), username);
    }
    return gecosName((await run("getent", ["passwd", username])) ?? (await readFile("/etc/passwd", "utf8")), username);
  } catch {
    return null;
  }
}

/** Where hanzod keeps its own owner profile (hanzod.sqlite). */
export interface OwnOwnerProfileStore {
  ensureOwnerProfile(displayName: string | null): { displayName: string | null; updatedAtMs: number };
}

/** The owner profile to attribute: the legacy's row when its state has one, else hanzod's own. */
export class OwnerProfiles {
  private hostName: Promise<string | null> | undefined;

  constructor(
    private readonly own: OwnOwnerProfileStore,
    private readonly legacyStateDb: string | undefined,
    private readonly hostAccountName: () => Promise<string | null> = readHostAccountName,
  ) {}

  async current(): Promise<OwnerProfile> {
    const legacy = this.legacyStateDb ? readLegacyOwnerProfile(this.legacyStateDb) : undefined;
    if (legacy) return legacy;
    this.hostName ??= this.hostAccountName();
    const own = this.own.ensureOwnerProfile(await this.hostName);
    return { displayName: own.displayName, avatarRevision: String(own.updatedAtMs) };
  }
}
