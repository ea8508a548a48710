/**
 * `users.list` on one state dir, two live runtimes: a real legacy gateway and hanzod started on its state
 * dir answering as the same release. Each answer is compared with the legacy's own for the same call, for
 * a reader and an admin, field for field (and key order: the wire text is compared, not just the value).
 *
 * Profiles reach the state through the legacy where it offers a way: the gateway owner's profile (2026.9.6
 * makes it when a tracked operator connects with a device; 2026.9.1 makes none), a role (`users.setRole`,
 * with one role defined in the config), display names (`users.setDisplayName`) and an avatar
 * (`users.setAvatar`). The legacy has no method that makes another person's profile without a real
 * identity provider (trusted proxy, Tailscale, GitHub OAuth), and it refuses emails on the owner's profile;
 * so those rows (people with emails, a merged alias with an empty role and an avatar type it does not
 * serve, GitHub accounts with and without a primary) are written into the legacy's tables as its writers
 * write them (dist user-profiles, user-profile-list: `linkEmail`, `applyVerifiedGitHubIdentity`), and the
 * legacy, which reads these tables on every `users.list`, answers them live.
 *
 * `users.prefs.get` (the caller's own preferences) on the same two runtimes: the CLI's clients (no person),
 * a caller without operator.read, and an owner connection on each (a device-signed test client; 2026.9.6
 * attributes it to the gateway owner, 2026.9.1 to nobody) after the legacy's own `users.prefs.set`.
 *
 * No timing luck: each comparison asks the legacy before and after hanzod and retries until the two agree.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectFrame, connectOperator, isRes, newDeviceKey, openRaw, request, signedDevice, type RawSession } from "./helpers.js";
import { askBoth } from "./live-compare.js";

interface Answer {
  ok: boolean;
  /** The answer's JSON text: key order is part of what a client sees. */
  text: string;
}

type Scope = "reader" | "admin";
const SCOPES: Record<Scope, string[]> = { reader: ["operator.read"], admin: ["operator.admin"] };
/** A 1x1 PNG. */
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

async function ask(s: RawSession, method: string, params: unknown): Promise<Answer> {
  const res = await request(s, method, params);
  return { ok: res.ok === true, text: JSON.stringify(res.ok === true ? res.payload : res.error) };
}

/** A tracked operator with a device: the legacy attributes it to (and makes) the gateway owner's profile. */
async function connectPerson(url: string, token: string, scopes: string[] = ["operator.read"], instanceId = "users-person"): Promise<RawSession> {
  const s = await openRaw(url);
  const device = signedDevice({ key: newDeviceKey(), scopes, token, nonce: s.challenge.nonce, signedAt: Date.now() });
  s.send(connectFrame({ client: { id: "test", version: "2026.9.6", platform: "linux", mode: "test", instanceId }, role: "operator", scopes, auth: { token }, device }));
  const hello = await s.next(isRes("c1"));
  if (hello.ok !== true) throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
  return s;
}

describe.each(releasesUnderTest())("users.list on a running legacy's state (openclaw %s)", (release) => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  let db: SqliteDatabase;
  const legacyConn = {} as Record<Scope, RawSession>;
  const hanzodConn = {} as Record<Scope, RawSession>;
  const others: RawSession[] = [];
  let onFreshState: { legacy: Answer; hanzod: Answer } | undefined;

  async function both(scope: Scope, params: unknown, method = "users.list"): Promise<{ legacy: Answer; hanzod: Answer }> {
    return askBoth(() => ask(legacyConn[scope], method, params), () => ask(hanzodConn[scope], method, params), method);
  }

  /** One call on a legacy connection and a hanzod one: hanzod must answer the legacy's wire text. */
  async function expectSameOn(l: RawSession, h: RawSession, method: string, params: unknown): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(l, method, params), () => ask(h, method, params), method);
    expect({ method, params, answer: fromHanzod }).toEqual({ method, params, answer: fromLegacy });
    return fromLegacy;
  }

  /** Both scopes get the legacy's answer from hanzod; returns the legacy's profiles. */
  async function expectSame(params: unknown = {}): Promise<Record<string, unknown>[]> {
    let profiles: Record<string, unknown>[] = [];
    for (const scope of ["reader", "admin"] as const) {
      const { legacy: l, hanzod: h } = await both(scope, params);
      expect({ scope, params, answer: h }).toEqual({ scope, params, answer: l });
      if (l.ok) profiles = (JSON.parse(l.text) as { profiles: Record<string, unknown>[] }).profiles;
    }
    return profiles;
  }

  async function legacyOk(method: string, params: Record<string, unknown>): Promise<void> {
    const a = await ask(legacyConn.admin, method, params);
    if (!a.ok) throw new Error(`${method}: ${a.text}`);
  }

  beforeAll(async () => {
    // One operator role, so the legacy's own users.setRole can assign it.
    legacy = await startLegacyGateway({ version: release, config: { gateway: { roles: { default: "viewer", definitions: { viewer: { sessions: { others: "view" }, agents: "*", scopes: ["operator.read"] } } } } } });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    for (const scope of ["reader", "admin"] as const) {
      // The CLI's client: ephemeral, so connecting it makes no profile.
      legacyConn[scope] = (await connectOperator(legacy.url, legacy.token, SCOPES[scope])).s;
      hanzodConn[scope] = (await connectOperator(hz.url, "t", SCOPES[scope])).s;
    }
    onFreshState = await both("reader", {});
    db = openSqlite(join(legacy.stateDir, "state", "openclaw.sqlite"));
    db.pragma("busy_timeout = 10000");
  }, 240_000);

  afterAll(async () => {
    db?.close();
    for (const s of [...Object.values(legacyConn), ...Object.values(hanzodConn), ...others]) s.close();
    await hz?.close();
    await legacy?.stop();
  });

  it("a fresh state: the same list (before any profile exists)", () => {
    expect(onFreshState?.hanzod).toEqual(onFreshState?.legacy);
    expect(onFreshState?.legacy.ok).toBe(true);
  });

  it("the gateway owner's profile: made by 2026.9.6 when a person connects (2026.9.1 makes none)", async () => {
    others.push(await connectPerson(legacy.url, legacy.token));
    const owner = (await expectSame()).find((p) => p.id === "gateway-owner");
    if (release === "2026.9.1") expect(owner).toBeUndefined();
    else expect(owner).toMatchObject({ mergedInto: null, emails: [], githubIdentity: null, hasAvatar: false });
  }, 120_000);

  it("people with emails, a role, a merged alias and GitHub accounts", async () => {
    const columns = new Set((db.prepare("PRAGMA table_info(user_profiles)").all() as { name: string }[]).map((c) => c.name));
    const now = Date.now();
    const insertProfile = db.prepare("INSERT INTO user_profiles (id, display_name, avatar_mime, merged_into, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insertProfile.run("p-alice", "Alice", null, null, null, now, now + 5);
    insertProfile.run("p-bob", null, null, null, null, now, now);
    // An alias merged into Alice, an empty role (not listed) and an avatar type the legacy does not serve.
    insertProfile.run("p-alias", "Old Alice", "image/gif", "p-alice", "", now - 10, now);
    // 2026.9.6 stamps each email binding with an id (its schema step would stamp any left empty).
    const bindingIds = (db.prepare("PRAGMA table_info(user_profile_emails)").all() as { name: string }[]).some((c) => c.name === "binding_id");
    const email = db.prepare(bindingIds ? "INSERT INTO user_profile_emails (email, profile_id, created_at, binding_id) VALUES (?, ?, ?, ?)" : "INSERT INTO user_profile_emails (email, profile_id, created_at) VALUES (?, ?, ?)");
    const bind = (address: string, profile: string) => (bindingIds ? email.run(address, profile, now, `b-${address}`) : email.run(address, profile, now));
    bind("zed@example.com", "p-alice");
    bind("alice@example.com", "p-alice");
    bind("bob@example.com", "p-bob");
    bind("orphan@example.com", "p-nobody");
    const identity = db.prepare("INSERT INTO user_profile_identities (provider, subject, profile_id, canonical_login, created_at) VALUES (?, ?, ?, ?, ?)");
    identity.run("github", "1001", "p-alice", "alice-gh", now);
    identity.run("github", "login:alice-gh", "p-alice", null, now);
    identity.run("github", "2002", "p-bob", "bob-gh", now);
    identity.run("github", "3003", "p-alias", "not a login", now);
    if (columns.has("primary_github_account_id")) {
      db.prepare("UPDATE user_profiles SET primary_github_account_id = ? WHERE id = ?").run(1001, "p-alice");
      // Bob: a second account and no primary recorded: the legacy lists none of them.
      identity.run("github", "2003", "p-bob", "bob-two", now);
    }
    await expectSame();
    // Then the legacy's own writers: a role, a display name and an avatar.
    await legacyOk("users.setRole", { profileId: "p-alice", role: "viewer" });
    await legacyOk("users.setDisplayName", { profileId: "p-bob", displayName: "Bob Renamed" });
    await legacyOk("users.setAvatar", { profileId: "p-bob", mime: "image/png", avatarBase64: PNG_BASE64 });
    if (release !== "2026.9.1") await legacyOk("users.setDisplayName", { profileId: "gateway-owner", displayName: "Owner Renamed" });
    const listed = await expectSame();
    expect(listed.find((p) => p.id === "p-alice")).toMatchObject({ role: "viewer", emails: ["alice@example.com", "zed@example.com"], githubIdentity: { login: "alice-gh" } });
    expect(listed.find((p) => p.id === "p-alias")).toMatchObject({ mergedInto: "p-alice", avatarMime: null, githubIdentity: null });
    expect(listed.find((p) => p.id === "p-alias")).not.toHaveProperty("role");
    // 2026.9.6: two accounts and no primary recorded list none; 2026.9.1 lists Bob's only account.
    expect(listed.find((p) => p.id === "p-bob")).toMatchObject({ displayName: "Bob Renamed", hasAvatar: true, avatarMime: "image/png", emails: ["bob@example.com"], githubIdentity: release === "2026.9.1" ? { login: "bob-gh" } : null });
    if (release !== "2026.9.1") expect(listed.find((p) => p.id === "gateway-owner")).toMatchObject({ displayName: "Owner Renamed" });
  }, 120_000);

  it.runIf(release === "2026.9.1")("2026.9.1 with two GitHub accounts on one profile: hanzod refuses by name (the legacy's pick is its query's row order)", async () => {
    db.prepare("INSERT INTO user_profile_identities (provider, subject, profile_id, canonical_login, created_at) VALUES ('github', '2003', 'p-bob', 'bob-two', ?)").run(Date.now());
    const fromHanzod = await ask(hanzodConn.reader, "users.list", {});
    expect(fromHanzod.ok).toBe(false);
    expect(JSON.parse(fromHanzod.text)).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/more than one GitHub account.*route this call to the legacy/) });
    expect((await ask(legacyConn.reader, "users.list", {})).ok).toBe(true);
    db.prepare("DELETE FROM user_profile_identities WHERE subject = '2003'").run();
    await expectSame();
  }, 120_000);

  it("bad params get the legacy's own error", async () => {
    for (const params of [{ x: 1 }, { limit: 5 }]) {
      for (const scope of ["reader", "admin"] as const) {
        const { legacy: l, hanzod: h } = await both(scope, params);
        expect(l.ok).toBe(false);
        expect({ scope, params, answer: h }).toEqual({ scope, params, answer: l });
      }
    }
  }, 120_000);

  // users.prefs.get: the caller's own preferences (the person the legacy attributes the connection to).
  const PREFS_BAD_PARAMS: unknown[] = [{ keys: "theme" }, { keys: [""] }, { keys: ["a", "a"] }, { keys: [1] }, { x: 1 }, { keys: Array.from({ length: 33 }, (_, i) => `k${i}`) }, { keys: ["x".repeat(257)] }, { keys: ["", ""] }, { keys: ["a", "a"], x: 1 }, { keys: null }];

  it("users.prefs.get without a person (the CLI's clients): no_durable_identity; bad params get the legacy's error", async () => {
    for (const scope of ["reader", "admin"] as const) {
      for (const params of [{}, { keys: ["theme"] }, { keys: [] }]) {
        const { legacy: l, hanzod: h } = await both(scope, params, "users.prefs.get");
        expect({ scope, params, answer: h }).toEqual({ scope, params, answer: l });
        expect(JSON.parse(l.text)).toEqual({ status: "no_durable_identity" });
      }
      for (const params of PREFS_BAD_PARAMS) {
        const { legacy: l, hanzod: h } = await both(scope, params, "users.prefs.get");
        expect(l.ok).toBe(false);
        expect({ scope, params, answer: h }).toEqual({ scope, params, answer: l });
      }
    }
  }, 120_000);

  it("users.prefs.get without operator.read: the legacy's refusal", async () => {
    const l = (await connectOperator(legacy.url, legacy.token, ["operator.approvals"])).s;
    const h = (await connectOperator(hz.url, "t", ["operator.approvals"])).s;
    others.push(l, h);
    expect((await expectSameOn(l, h, "users.prefs.get", {})).ok).toBe(false);
  }, 120_000);

  it("users.prefs.get on the gateway owner's connection: its preferences as the legacy's own users.prefs.set stored them (2026.9.1 attributes no owner)", async () => {
    const writer = await connectPerson(legacy.url, legacy.token, ["operator.read", "operator.write"], "users-prefs-writer");
    const l = await connectPerson(legacy.url, legacy.token, ["operator.read"], "users-prefs-reader");
    const h = await connectPerson(hz.url, "t", ["operator.read"], "users-prefs-reader");
    others.push(writer, l, h);
    // Integer-like keys, nesting, nulls inside values, unicode: the answer's key order and values as the legacy's.
    const entries = { theme: "dark", "ui.sidebar": { open: true, widths: [240, 320], last: null }, "10": 1.5, "2": "two", "émoji 🎉": "ok", zeta: [] };
    const set = await ask(writer, "users.prefs.set", { entries });
    expect(JSON.parse(set.text)).toEqual(release === "2026.9.1" ? { status: "no_durable_identity" } : { status: "ok" });
    // Another person's preference (as the legacy's writer stores it, in its own table) never reaches the owner.
    db.exec("CREATE TABLE IF NOT EXISTS user_preferences (\n  profile_id TEXT NOT NULL,\n  pref_key TEXT NOT NULL,\n  value_json TEXT NOT NULL,\n  updated_at_ms INT NOT NULL,\n  PRIMARY KEY (profile_id, pref_key)\n) STRICT;");
    db.prepare("INSERT OR REPLACE INTO user_preferences (profile_id, pref_key, value_json, updated_at_ms) VALUES (?, ?, ?, ?)").run("p-alice", "theme", JSON.stringify("light"), Date.now());
    for (const params of [{}, { keys: ["theme", "missing"] }, { keys: [] }, { keys: ["2", "10", "zeta"] }, { keys: ["nothing"] }]) {
      const answer = await expectSameOn(l, h, "users.prefs.get", params);
      if (release !== "2026.9.1" && Object.keys(params).length === 0) {
        expect(answer.text).toBe(JSON.stringify({ status: "ok", entries: { "2": "two", "10": 1.5, theme: "dark", "ui.sidebar": entries["ui.sidebar"], zeta: [], "émoji 🎉": "ok" } }));
      }
    }
    for (const params of PREFS_BAD_PARAMS) expect((await expectSameOn(l, h, "users.prefs.get", params)).ok).toBe(false);
    // A value deleted through the legacy is gone from both.
    await ask(writer, "users.prefs.set", { entries: { theme: null } });
    await expectSameOn(l, h, "users.prefs.get", { keys: ["theme", "zeta"] });
  }, 120_000);

  it.runIf(release !== "2026.9.1")("users.prefs.get with the owner's profile merged: hanzod refuses by name (the legacy refuses owner connects until it is repaired)", async () => {
    const h = await connectPerson(hz.url, "t", ["operator.read"], "users-prefs-merged");
    others.push(h);
    db.prepare("UPDATE user_profiles SET merged_into = 'p-alice' WHERE id = 'gateway-owner'").run();
    try {
      const fromHanzod = await ask(h, "users.prefs.get", {});
      expect(fromHanzod.ok).toBe(false);
      expect(JSON.parse(fromHanzod.text)).toMatchObject({ code: "UNAVAILABLE", message: expect.stringMatching(/gateway-owner profile is merged.*route this call to the legacy/) });
    } finally {
      db.prepare("UPDATE user_profiles SET merged_into = NULL WHERE id = 'gateway-owner'").run();
    }
    expect(JSON.parse((await ask(h, "users.prefs.get", { keys: ["zeta"] })).text)).toEqual({ status: "ok", entries: { zeta: [] } });
  }, 120_000);
});

