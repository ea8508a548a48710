/**
 * Presence rows per release, without a legacy: from 2026.9.6 a connection's row names its client id, and
 * a shared-secret operator's row names the gateway owner (`user`, avatar URL) with the online period all
 * of the owner's live connections share (`onlineSince`); 2026.9.1 rows carry none of it. The owner
 * profile is the legacy's row when its state has one (read-only), else hanzod's own, stable across restarts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { PresenceRegistry } from "../core/presence.js";
import { gecosName, ownerPresenceUser, readLegacyOwnerProfile } from "../state/owner-profile.js";
import { connectFrame, isRes, openRaw, startTestHanzod, useTestHanzod, type Frame } from "./helpers.js";

type Row = Record<string, unknown> & { mode?: string; instanceId?: string };

/** A tracked operator client (test mode is listed; the Control UI's own id would need a device identity). */
const ui = (instanceId: string) => ({ id: "test", version: "2026.9.6", platform: "linux", mode: "test", instanceId });

async function connectAs(url: string, token: string, client: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const s = await openRaw(url);
  s.send(connectFrame({ client, role: "operator", scopes: ["operator.read"], auth: { token }, ...extra }));
  const res = await s.next(isRes("c1"));
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  const rows = (res.payload as { snapshot: { presence: Row[] } }).snapshot.presence;
  return { s, rows, own: rows.find((r) => r.instanceId === client.instanceId) };
}

async function systemPresence(url: string, token: string): Promise<Row[]> {
  const c = await connectAs(url, token, { id: "cli", version: "1", platform: "linux", mode: "cli" });
  c.s.send({ type: "req", id: "p1", method: "system-presence", params: {} });
  const res = (await c.s.next(isRes("p1"))) as Frame & { payload: Row[] };
  c.s.close();
  return res.payload;
}

const AVATAR = /^\/api\/users\/gateway-owner\/avatar\?v=\d{13}$/;

describe("hanzod --compat 2026.9.6: presence rows name the client and the gateway owner", () => {
  const hz = useTestHanzod({ compat: "2026.9.6" });

  it("an operator's row has clientId, the owner's user and onlineSince; a second owner connection shares the first's onlineSince", async () => {
    const first = await connectAs(hz.url, hz.token, ui("owner-tab-1"));
    const row = first.own;
    expect(row).toMatchObject({ clientId: "test", mode: "test", reason: "connect", user: { id: "gateway-owner", identity: { type: "profile", id: "gateway-owner" } } });
    expect((row?.user as { avatarUrl: string }).avatarUrl).toMatch(AVATAR);
    expect(typeof row?.onlineSince).toBe("number");
    expect(row?.onlineSince as number).toBeLessThanOrEqual(row?.ts as number);

    await new Promise((r) => setTimeout(r, 20));
    const second = await connectAs(hz.url, hz.token, ui("owner-tab-2"));
    expect(second.own?.onlineSince).toBe(row?.onlineSince);
    expect(second.own?.user).toEqual(row?.user);
    // system-presence says the same, for both rows.
    const listed = await systemPresence(hz.url, hz.token);
    for (const id of ["owner-tab-1", "owner-tab-2"]) expect(listed.find((r) => r.instanceId === id)?.onlineSince).toBe(row?.onlineSince);
    first.s.close();
    second.s.close();
  });

  it("the gateway's own row names no client and no person", async () => {
    const c = await connectAs(hz.url, hz.token, ui("self-check"));
    const self = c.rows.find((r) => r.mode === "gateway");
    expect(self).not.toHaveProperty("clientId");
    expect(self).not.toHaveProperty("user");
    c.s.close();
  });
});

describe("hanzod --compat 2026.9.1: presence rows as 2026.9.1 writes them", () => {
  const hz = useTestHanzod({ compat: "2026.9.1" });

  it("no clientId, no user, no onlineSince", async () => {
    const c = await connectAs(hz.url, hz.token, ui("old-tab"));
    expect(c.own).toMatchObject({ mode: "test", reason: "connect" });
    for (const field of ["clientId", "user", "onlineSince"]) expect(c.own).not.toHaveProperty(field);
    c.s.close();
  });
});

describe("the owner profile", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("hanzod's own profile keeps its avatar revision across a restart on the same state dir", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "presence-owner-"));
    dirs.push(stateDir);
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const hz = await startTestHanzod({ compat: "2026.9.6", stateDir });
      try {
        const c = await connectAs(hz.url, hz.token, ui(`restart-${i}`));
        urls.push((c.own?.user as { avatarUrl: string }).avatarUrl);
        c.s.close();
      } finally {
        await hz.close();
      }
    }
    expect(urls[0]).toMatch(AVATAR);
    expect(urls[1]).toBe(urls[0]);
  });

  it("reads the legacy's owner row read-only: name, avatar revision (digest with an avatar, update time without)", () => {
    const dir = mkdtempSync(join(tmpdir(), "presence-owner-legacy-"));
    dirs.push(dir);
    const file = join(dir, "openclaw.sqlite");
    expect(readLegacyOwnerProfile(file)).toBeUndefined();
    const db = openSqlite(file);
    db.exec("CREATE TABLE user_profiles (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar BLOB, avatar_mime TEXT, avatar_sha256 TEXT, merged_into TEXT, role TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT");
    expect(readLegacyOwnerProfile(file)).toBeUndefined();
    db.prepare("INSERT INTO user_profiles (id, display_name, created_at, updated_at) VALUES ('gateway-owner', NULL, 1764550000000, 1764550000123)").run();
    expect(readLegacyOwnerProfile(file)).toEqual({ displayName: null, avatarRevision: "1764550000123" });
    db.prepare("UPDATE user_profiles SET display_name = 'Ada Lovelace', avatar_mime = 'image/png', avatar_sha256 = 'abc123' WHERE id = 'gateway-owner'").run();
    const profile = readLegacyOwnerProfile(file);
    expect(profile).toEqual({ displayName: "Ada Lovelace", avatarRevision: "abc123-png" });
    expect(ownerPresenceUser(profile!)).toEqual({ id: "gateway-owner", identity: { type: "profile", id: "gateway-owner" }, name: "Ada Lovelace", avatarUrl: "/api/users/gateway-owner/avatar?v=abc123-png" });
    db.prepare("UPDATE user_profiles SET merged_into = 'someone' WHERE id = 'gateway-owner'").run();
    expect(readLegacyOwnerProfile(file)).toBeUndefined();
    db.close();
  });

  it("takes the host account's full name from passwd's GECOS field, never the login again", () => {
    const passwd = ["root:x:0:0:root:/root:/bin/bash", "ada:x:1000:1000:Ada Lovelace,,,:/home/ada:/bin/bash", "bob:x:1001:1001:Bob:/home/bob:/bin/sh", "eve:x:1002:1002::/home/eve:/bin/sh"].join("\n");
    expect(gecosName(passwd, "ada")).toBe("Ada Lovelace");
    expect(gecosName(passwd, "bob")).toBeNull();
    expect(gecosName(passwd, "eve")).toBeNull();
    expect(gecosName(passwd, "nobody")).toBeNull();
  });
});

describe("PresenceRegistry persons", () => {
  it("live connections of one person share the earliest onlineSince; a closed one no longer holds it", async () => {
    const reg = new PresenceRegistry("2026.9.6");
    const user = ownerPresenceUser({ displayName: null, avatarRevision: "1" });
    const row = (k: string) => reg.list().find((r) => r.instanceId === k);
    const join = async (k: string) => {
      reg.joinPerson(k, "profile:gateway-owner", { clientId: "openclaw-control-ui", mode: "webchat", user });
      reg.upsert(k, { instanceId: k, mode: "webchat", reason: "connect" });
      await new Promise((r) => setTimeout(r, 5));
    };
    await join("a");
    const since = row("a")?.onlineSince;
    await join("b");
    expect(row("b")?.onlineSince).toBe(since);
    reg.leavePerson("a");
    reg.leavePerson("b");
    await join("c");
    expect(row("c")?.onlineSince).toBeGreaterThan(since!);
    // Another person's connection keeps its own period.
    reg.joinPerson("d", "raw:someone", { clientId: "x", mode: "webchat" });
    expect(reg.list().find((r) => r.clientId === "x")?.onlineSince).not.toBe(row("c")?.onlineSince);
  });
});

describe("PresenceRegistry person activity (2026.9.6 client-presence)", () => {
  it("activity stamps lastActivityAt on all of the person's live connections; a snapshot is due at most every 30 s; a joiner inherits it", () => {
    const reg = new PresenceRegistry("2026.9.6");
    const user = ownerPresenceUser({ displayName: null, avatarRevision: "1" });
    const row = (k: string) => reg.list().find((r) => r.instanceId === k);
    const join = (k: string, identity = "profile:gateway-owner") => {
      reg.joinPerson(k, identity, { clientId: "openclaw-control-ui", mode: "webchat", user });
      reg.upsert(k, { instanceId: k, mode: "webchat", reason: "connect" });
    };
    join("a");
    join("b");
    expect(row("a")).not.toHaveProperty("lastActivityAt");
    const t0 = Date.now();
    // The first activity is always published.
    expect(reg.recordActivity("a", t0)).toBe(true);
    expect(row("a")?.lastActivityAt).toBe(t0);
    expect(row("b")?.lastActivityAt).toBe(t0);
    // Within 30 s of that publication: stamped, no snapshot (from either connection of the person).
    expect(reg.recordActivity("b", t0 + 10_000)).toBe(false);
    expect(row("a")?.lastActivityAt).toBe(t0 + 10_000);
    expect(reg.recordActivity("a", t0 + 29_999)).toBe(false);
    expect(reg.recordActivity("a", t0 + 30_000)).toBe(true);
    // A clock going back publishes too (the legacy's `activityAt < publication.at`).
    expect(reg.recordActivity("b", t0 + 20_000)).toBe(true);
    expect(row("b")?.lastActivityAt).toBe(t0 + 20_000);
    // A new connection of the person takes the latest activity with the shared online period.
    join("c");
    expect(row("c")?.lastActivityAt).toBe(t0 + 20_000);
    expect(row("c")?.onlineSince).toBe(row("a")?.onlineSince);
    // A connection that is no person's (ephemeral, 2026.9.1, a proxy leg) records nothing; a closed one neither.
    expect(reg.recordActivity("nobody", t0 + 90_000)).toBe(false);
    reg.leavePerson("a");
    expect(reg.recordActivity("a", t0 + 90_000)).toBe(false);
    expect(row("b")?.lastActivityAt).toBe(t0 + 20_000);
    // Another person's activity is theirs alone.
    join("d", "raw:someone");
    expect(reg.recordActivity("d", t0 + 95_000)).toBe(true);
    expect(row("b")?.lastActivityAt).toBe(t0 + 20_000);
    expect(row("d")?.lastActivityAt).toBe(t0 + 95_000);
  });
});
