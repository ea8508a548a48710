/**
 * The user profile reader (hanzod/state/user-profiles.ts) on state databases the live comparison
 * (users-read.test.ts) cannot make through the legacy: older shapes the legacy's schema step would
 * complete (a missing table or column reads as the empty one it would add), shapes its list query would
 * fail on, and 2026.9.1's role column added after the table was made. Each database is left exactly as
 * it was: hanzod never writes the legacy's tables.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { UserProfilesReader, userProfilesRules, type UserProfilesRules } from "../state/user-profiles.js";

const V1 = userProfilesRules("2026.9.1") as UserProfilesRules;
const V6 = userProfilesRules("2026.9.6") as UserProfilesRules;

/** The tables as 2026.9.6 creates them (dist user-profiles-schema), less the indexes. */
const SCHEMA_9_6 = `
CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, primary_github_account_id INTEGER, avatar BLOB,
  avatar_mime TEXT, avatar_sha256 TEXT, merged_into TEXT, role TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
CREATE TABLE user_profile_emails (email TEXT NOT NULL PRIMARY KEY, profile_id TEXT NOT NULL, binding_id TEXT, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE user_profile_identities (provider TEXT NOT NULL, subject TEXT NOT NULL, profile_id TEXT NOT NULL, canonical_login TEXT,
  created_at INTEGER NOT NULL, PRIMARY KEY (provider, subject)) STRICT;`;

const dirs: string[] = [];
const readers: UserProfilesReader[] = [];

function stateDb(sql: string): { file: string; db: SqliteDatabase } {
  const dir = mkdtempSync(join(tmpdir(), "hanzod-users-"));
  dirs.push(dir);
  const file = join(dir, "openclaw.sqlite");
  const db = openSqlite(file);
  db.exec(sql);
  return { file, db };
}

function read(file: string, rules: UserProfilesRules) {
  const reader = new UserProfilesReader(file);
  readers.push(reader);
  return reader.list(rules);
}

afterEach(() => {
  for (const r of readers.splice(0)) r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("users.list's reader on the legacy's state database", () => {
  it("no profile tables yet: the empty list the legacy answers after creating them, and nothing created", () => {
    const { file, db } = stateDb("CREATE TABLE other (x INTEGER)");
    db.close();
    const before = readFileSync(file);
    expect(read(file, V6)).toEqual({ kind: "profiles", profiles: [] });
    expect(read(file, V1)).toEqual({ kind: "profiles", profiles: [] });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("no state database at all: the empty list", () => {
    expect(read(join(tmpdir(), "hanzod-no-such-dir", "openclaw.sqlite"), V6)).toEqual({ kind: "profiles", profiles: [] });
  });

  it("2026.9.6: the primary account, the only account, or none; projections as the legacy's", () => {
    const { file, db } = stateDb(SCHEMA_9_6);
    const p = db.prepare("INSERT INTO user_profiles (id, display_name, avatar, avatar_mime, primary_github_account_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    p.run("b", "B", Buffer.from([1]), "image/webp", 20, 5, 6);
    p.run("a", null, null, "image/svg+xml", null, 5, 7);
    p.run("c", null, null, null, 99, 1, 1);
    const i = db.prepare("INSERT INTO user_profile_identities (provider, subject, profile_id, canonical_login, created_at) VALUES ('github', ?, ?, ?, 1)");
    i.run("10", "b", "b-ten");
    i.run("20", "b", " b-twenty ");
    i.run("7", "a", "a-seven");
    i.run("0", "a", "zero-is-not-an-account");
    i.run("8", "c", "c-eight");
    i.run("9", "nobody", "no-profile");
    db.close();
    const listed = read(file, V6);
    expect(listed.kind).toBe("profiles");
    if (listed.kind !== "profiles") return;
    // Ordered by created_at, then id; the recorded primary (20, login trimmed), the only valid account (7), a primary that is none of the accounts (none).
    expect(listed.profiles.map((x) => [x.id, x.githubIdentity?.login ?? null, x.avatarMime, x.hasAvatar])).toEqual([
      ["c", null, null, false],
      ["a", "a-seven", null, false],
      ["b", "b-twenty", "image/webp", true],
    ]);
    expect(listed.profiles[1]?.githubIdentity).toEqual({ login: "a-seven", profileUrl: "https://github.com/a-seven", avatarUrl: "https://avatars.githubusercontent.com/u/7?v=4" });
    expect(Object.keys(listed.profiles[0] ?? {})).toEqual(["id", "displayName", "avatarMime", "mergedInto", "createdAt", "updatedAt", "emails", "githubIdentity", "hasAvatar"]);
  });

  it("an older shape the legacy's schema step completes: no canonical_login, no primary column, no emails table", () => {
    const { file, db } = stateDb(`
      CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar BLOB, avatar_mime TEXT, avatar_sha256 TEXT, merged_into TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE user_profile_identities (provider TEXT NOT NULL, subject TEXT NOT NULL, profile_id TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (provider, subject)) STRICT;
      INSERT INTO user_profiles (id, created_at, updated_at) VALUES ('a', 1, 2);
      INSERT INTO user_profile_identities VALUES ('github', '7', 'a', 1);`);
    db.close();
    const before = readFileSync(file);
    for (const rules of [V1, V6]) {
      expect(read(file, rules)).toEqual({ kind: "profiles", profiles: [{ id: "a", displayName: null, avatarMime: null, mergedInto: null, createdAt: 1, updatedAt: 2, emails: [], githubIdentity: null, hasAvatar: false }] });
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("a profiles table the legacy's list query would fail on is refused by name", () => {
    const { file, db } = stateDb("CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)");
    db.close();
    expect(read(file, V6)).toEqual({ kind: "refused", reason: expect.stringMatching(/no display_name, avatar, avatar_mime, merged_into column/) });
  });

  it("2026.9.1: a role in a column added after the table was made is refused (its process may not have seen the column); one made with the table is listed", () => {
    const later = stateDb(`
      CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar BLOB, avatar_mime TEXT, avatar_sha256 TEXT, merged_into TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      ALTER TABLE user_profiles ADD COLUMN role TEXT;
      INSERT INTO user_profiles (id, role, created_at, updated_at) VALUES ('a', NULL, 1, 1);`);
    expect(read(later.file, V1)).toMatchObject({ kind: "profiles" });
    later.db.prepare("UPDATE user_profiles SET role = 'viewer'").run();
    later.db.close();
    expect(read(later.file, V1)).toEqual({ kind: "refused", reason: expect.stringMatching(/role column added/) });
    expect(read(later.file, V6)).toMatchObject({ kind: "profiles", profiles: [{ id: "a", role: "viewer" }] });

    const made = stateDb(`${SCHEMA_9_6} INSERT INTO user_profiles (id, role, created_at, updated_at) VALUES ('a', 'viewer', 1, 1);`);
    made.db.close();
    expect(read(made.file, V1)).toMatchObject({ kind: "profiles", profiles: [{ id: "a", role: "viewer" }] });
  });

  it("a value no STRICT legacy table can hold is refused", () => {
    const { file, db } = stateDb(`
      CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar BLOB, avatar_mime TEXT, avatar_sha256 TEXT, merged_into TEXT, role TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      INSERT INTO user_profiles (id, created_at, updated_at) VALUES ('a', 'soon', 1);`);
    db.close();
    expect(read(file, V6)).toEqual({ kind: "refused", reason: expect.stringMatching(/type/) });
  });
});
