/**
 * The legacy's user profiles (`users.list`), read-only, from its state database: `user_profiles`, the
 * emails bound to them (`user_profile_emails`) and their verified GitHub accounts
 * (`user_profile_identities` rows of provider `github` with a `canonical_login`). The legacy reads these
 * rows on every call, in one read transaction (dist `listUserProfilesSync`, run by its state worker); no
 * in-memory copy of the rows takes part in its answer, so hanzod's read of the same rows is the same list.
 *
 * Before reading, the legacy's handler ensures its schema (`ensureUserProfilesSchema`: CREATE TABLE IF NOT
 * EXISTS, missing columns added, 2026.9.6 also stamps a `binding_id` on unbound emails). hanzod never
 * writes; it answers what the legacy answers after that step: a missing table reads as the empty table
 * the legacy would create, a missing `canonical_login` / `primary_github_account_id` column as the NULL
 * column the legacy would add. Binding ids never reach the answer.
 *
 * Per release (written from the dist code of each, not copied):
 * - 2026.9.6: a profile's `githubIdentity` is its primary account (`primary_github_account_id`, or its only
 *   account when none is recorded), accounts ordered by subject; `role` when the column exists.
 * - 2026.9.1: one account per profile (the last row the query returns: without an ORDER BY, so a profile
 *   with two is refused); `role` only once the process has seen the column (an in-memory flag set at its
 *   first schema check, or by its own `users.setRole`): the same as "the column exists" unless the column
 *   was added to an older table after the table was made (then another process may have added it), so a
 *   role in such a column is refused.
 *
 * Refused (`kind: "refused"`, with the reason), never guessed: a `user_profiles` table without a column the
 * legacy's query selects (its query would fail), and a value of a type the legacy's STRICT tables cannot
 * hold (a table not made by the legacy).
 */
import type { SqliteDatabase } from "../../protocol/index.js";
import { ReadOnlyDb } from "./read-only-db.js";
import { readUserPreferences, type UserPreferencesRead } from "./user-preferences.js";

/** The avatar types the legacy keeps (dist avatar-limits); anything else lists as no type. */
const AVATAR_MIME_TYPES: readonly string[] = ["image/png", "image/jpeg", "image/webp"];
/** The legacy's GitHub login rule (dist github-login). */
const GITHUB_LOGIN_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/u;
/** The columns the legacy's list query selects from `user_profiles` (role apart). */
const PROFILE_COLUMNS = ["id", "display_name", "avatar", "avatar_mime", "merged_into", "created_at", "updated_at"] as const;

export interface PublicGitHubIdentity {
  login: string;
  profileUrl: string;
  avatarUrl: string;
}

/** One `users.list` entry, keys in the legacy's order. */
export interface UserProfileListItem {
  id: string;
  displayName: string | null;
  avatarMime: string | null;
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
  emails: string[];
  githubIdentity: PublicGitHubIdentity | null;
  hasAvatar: boolean;
  role?: string;
}

export type UserProfilesRead = { kind: "profiles"; profiles: UserProfileListItem[] } | { kind: "refused"; reason: string };

/** What differs between the releases' list code. */
export interface UserProfilesRules {
  /** 2026.9.6: several accounts per profile, the primary one listed; 2026.9.1: one account per profile. */
  githubPrimary: boolean;
  /** 2026.9.6 lists `role` whenever the column exists; 2026.9.1 only once its process has seen the column. */
  roleWhenColumnExists: boolean;
}

const RULES: Readonly<Record<string, UserProfilesRules>> = {
  "2026.9.1": { githubPrimary: false, roleWhenColumnExists: false },
  "2026.9.6": { githubPrimary: true, roleWhenColumnExists: true },
};

export function userProfilesRules(release: string): UserProfilesRules | undefined {
  return RULES[release];
}

interface ProfileRow {
  id: unknown;
  display_name: unknown;
  avatar_mime: unknown;
  merged_into: unknown;
  created_at: unknown;
  updated_at: unknown;
  has_avatar: unknown;
  role?: unknown;
}

interface IdentityRow {
  profile_id: unknown;
  subject: unknown;
  canonical_login: unknown;
  primary_github_account_id?: unknown;
}

interface Account {
  accountId: number;
  login: string;
}

class Refusal extends Error {}

const isText = (v: unknown): v is string => typeof v === "string";
const isTextOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";
const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

function tableColumns(db: SqliteDatabase, table: string): { name: string; cid: number }[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: unknown; cid: unknown }[]).flatMap((c) => (typeof c.name === "string" && typeof c.cid === "number" ? [{ name: c.name, cid: c.cid }] : []));
}

/** The legacy's parseStoredGitHubIdentity: a positive safe-integer subject and a valid login, else nothing. */
function parseAccount(row: IdentityRow): Account | undefined {
  const accountId = Number(row.subject);
  const login = isText(row.canonical_login) && row.canonical_login ? row.canonical_login.trim() : undefined;
  return login !== undefined && GITHUB_LOGIN_PATTERN.test(login) && Number.isSafeInteger(accountId) && accountId > 0 ? { accountId, login } : undefined;
}

function toPublic(account: Account): PublicGitHubIdentity {
  return { login: account.login, profileUrl: `https://github.com/${account.login}`, avatarUrl: `https://avatars.githubusercontent.com/u/${account.accountId}?v=4` };
}

/** Each profile's listed GitHub identity, as the release selects it. */
function githubIdentities(db: SqliteDatabase, rules: UserProfilesRules): Map<string, PublicGitHubIdentity> {
  const columns = new Set(tableColumns(db, "user_profile_identities").map((c) => c.name));
  // No table, or no canonical_login yet: the legacy's schema step adds it empty, so no verified account.
  if (!columns.has("canonical_login")) return new Map();
  if (!rules.githubPrimary) {
    const rows = db.prepare("SELECT profile_id, subject, canonical_login FROM user_profile_identities WHERE provider = 'github' AND canonical_login IS NOT NULL").all() as IdentityRow[];
    const byProfile = new Map<string, Account>();
    for (const row of rows) {
      const account = parseAccount(row);
      if (!account || !isText(row.profile_id)) continue;
      if (byProfile.has(row.profile_id)) throw new Refusal(`profile ${row.profile_id} has more than one GitHub account (2026.9.1 lists the last its unordered query returns)`);
      byProfile.set(row.profile_id, account);
    }
    return new Map([...byProfile].map(([id, account]) => [id, toPublic(account)]));
  }
  const hasPrimary = tableColumns(db, "user_profiles").some((c) => c.name === "primary_github_account_id");
  const rows = db
    .prepare(
      `SELECT i.profile_id, i.subject, i.canonical_login, ${hasPrimary ? "p.primary_github_account_id" : "NULL AS primary_github_account_id"}
       FROM user_profile_identities i INNER JOIN user_profiles p ON p.id = i.profile_id
       WHERE i.provider = 'github' AND i.canonical_login IS NOT NULL ORDER BY i.subject ASC`,
    )
    .all() as IdentityRow[];
  const byProfile = new Map<string, { accounts: Account[]; primaryId: unknown }>();
  for (const row of rows) {
    const account = parseAccount(row);
    if (!account || !isText(row.profile_id)) continue;
    const entry = byProfile.get(row.profile_id) ?? { accounts: [], primaryId: row.primary_github_account_id ?? null };
    entry.accounts.push(account);
    byProfile.set(row.profile_id, entry);
  }
  const listed = new Map<string, PublicGitHubIdentity>();
  for (const [id, { accounts, primaryId }] of byProfile) {
    // The legacy's rule: the recorded primary (strict equality), or the only account when none is recorded.
    const primary = primaryId === null && accounts.length === 1 ? accounts[0] : accounts.find((a) => a.accountId === primaryId);
    if (primary) listed.set(id, toPublic(primary));
  }
  return listed;
}

function emailsByProfile(db: SqliteDatabase): Map<string, string[]> {
  const byProfile = new Map<string, string[]>();
  if (tableColumns(db, "user_profile_emails").length === 0) return byProfile;
  for (const row of db.prepare("SELECT profile_id, email FROM user_profile_emails ORDER BY email ASC").all() as { profile_id: unknown; email: unknown }[]) {
    if (!isText(row.profile_id) || !isText(row.email)) throw new Refusal("a user_profile_emails row holds a value of a type the legacy's table cannot");
    const list = byProfile.get(row.profile_id) ?? [];
    list.push(row.email);
    byProfile.set(row.profile_id, list);
  }
  return byProfile;
}

function listItem(row: ProfileRow, emails: Map<string, string[]>, github: Map<string, PublicGitHubIdentity>): UserProfileListItem {
  const { id, display_name, avatar_mime, merged_into, created_at, updated_at, has_avatar, role } = row;
  if (!isText(id) || !isTextOrNull(display_name) || !isTextOrNull(avatar_mime) || !isTextOrNull(merged_into) || !isInteger(created_at) || !isInteger(updated_at) || (role !== undefined && !isTextOrNull(role))) {
    throw new Refusal("a user_profiles row holds a value of a type the legacy's table cannot");
  }
  const item: UserProfileListItem = {
    id,
    displayName: display_name,
    avatarMime: AVATAR_MIME_TYPES.find((m) => m === avatar_mime) ?? null,
    mergedInto: merged_into,
    createdAt: created_at,
    updatedAt: updated_at,
    emails: emails.get(id) ?? [],
    githubIdentity: github.get(id) ?? null,
    hasAvatar: has_avatar === 1,
  };
  // The legacy lists a role only when it is a non-empty text.
  if (role) item.role = role;
  return item;
}

function listProfiles(db: SqliteDatabase, rules: UserProfilesRules): UserProfileListItem[] {
  const columns = tableColumns(db, "user_profiles");
  // No table: the legacy's schema step creates it empty, so the list is empty.
  if (columns.length === 0) return [];
  const names = new Set(columns.map((c) => c.name));
  const lacking = PROFILE_COLUMNS.filter((c) => !names.has(c));
  if (lacking.length > 0) throw new Refusal(`user_profiles has no ${lacking.join(", ")} column (the legacy's list query would fail)`);
  const roleColumn = columns.find((c) => c.name === "role");
  const createdColumn = columns.find((c) => c.name === "created_at");
  // A role column made with the table precedes created_at; one added later comes after it (ALTER TABLE
  // appends). Only the latter can be unseen by a 2026.9.1 process that checked the schema before.
  const roleAddedLater = roleColumn !== undefined && createdColumn !== undefined && roleColumn.cid > createdColumn.cid;
  const rows = db
    .prepare(`SELECT id, display_name, avatar_mime, merged_into, created_at, updated_at, avatar IS NOT NULL AS has_avatar${roleColumn ? ", role" : ""} FROM user_profiles ORDER BY created_at ASC, id ASC`)
    .all() as ProfileRow[];
  if (roleColumn && !rules.roleWhenColumnExists && roleAddedLater && rows.some((r) => Boolean(r.role))) {
    throw new Refusal("a profile has a role in a role column added to user_profiles after it was made (2026.9.1 lists roles only once its own process has seen that column)");
  }
  const emails = emailsByProfile(db);
  const github = githubIdentities(db, rules);
  return rows.map((row) => listItem(row, emails, github));
}

export class UserProfilesReader {
  private readonly stateDb: ReadOnlyDb;

  constructor(stateDbPath: string) {
    this.stateDb = new ReadOnlyDb(stateDbPath);
  }

  /** Re-read on every call, in one read transaction (as the legacy's list). */
  list(rules: UserProfilesRules): UserProfilesRead {
    const db = this.stateDb.get();
    // No state database yet: the legacy's schema step would create it with empty tables.
    if (!db) return { kind: "profiles", profiles: [] };
    try {
      return { kind: "profiles", profiles: db.transaction(() => listProfiles(db, rules))() };
    } catch (err) {
      if (err instanceof Refusal) return { kind: "refused", reason: err.message };
      throw err;
    }
  }

  /** A profile's preferences (user-preferences.ts), re-read on every call from the same database. */
  preferences(profileId: string, keys: readonly string[] | undefined): UserPreferencesRead {
    return readUserPreferences(this.stateDb.get(), profileId, keys);
  }

  close(): void {
    this.stateDb.close();
  }
}
