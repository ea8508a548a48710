/**
 * The legacy pairing tables as hanzod writes them (state/device-pairing.ts), without a live legacy: the row
 * format (plain-text bearer in tokens_json, JSON columns, 0/1 booleans), the per-release scope rule, the
 * pending request's refresh/supersede and TTL, a browser device's token issuer (kept, checked against the
 * current generation, reused only under the same one) and the refusal of a schema of another release. That a
 * running legacy accepts these rows is shown live in node-pair-list.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { LegacyDevicePairing, PairingRefusal } from "../state/device-pairing.js";

// The legacy's DDL for these two tables (identical in 2026.9.1 and 2026.9.6).
const DDL = `
CREATE TABLE device_pairing_pending (request_id TEXT NOT NULL PRIMARY KEY, device_id TEXT NOT NULL, public_key TEXT NOT NULL,
  display_name TEXT, platform TEXT, device_family TEXT, client_id TEXT, client_mode TEXT, browser_origin TEXT, role TEXT,
  roles_json TEXT, scopes_json TEXT, remote_ip TEXT, silent INTEGER, is_repair INTEGER, ts INTEGER NOT NULL, refreshed_at_ms INTEGER) STRICT;
CREATE TABLE device_pairing_paired (device_id TEXT NOT NULL PRIMARY KEY, public_key TEXT NOT NULL, display_name TEXT, operator_label TEXT,
  platform TEXT, device_family TEXT, client_id TEXT, client_mode TEXT, browser_origin TEXT, role TEXT, roles_json TEXT, scopes_json TEXT,
  approved_scopes_json TEXT, remote_ip TEXT, tokens_json TEXT, approved_via TEXT, node_surface_json TEXT, pending_node_surface_json TEXT,
  created_at_ms INTEGER NOT NULL, approved_at_ms INTEGER NOT NULL, last_seen_at_ms INTEGER, last_seen_reason TEXT) STRICT;
CREATE TABLE device_bootstrap_tokens (token_key TEXT NOT NULL PRIMARY KEY, token TEXT NOT NULL, setup_id TEXT, ts INTEGER NOT NULL,
  device_id TEXT, public_key TEXT, profile_json TEXT, redeemed_profile_json TEXT, pending_profile_json TEXT, issued_at_ms INTEGER NOT NULL, last_used_at_ms INTEGER) STRICT;
CREATE TABLE apns_registration_tombstones (node_id TEXT NOT NULL PRIMARY KEY, deleted_at_ms INTEGER NOT NULL) STRICT;
CREATE TABLE apns_registrations (node_id TEXT NOT NULL PRIMARY KEY, transport TEXT NOT NULL, token TEXT, relay_handle TEXT, send_grant TEXT,
  installation_id TEXT, relay_origin TEXT, topic TEXT NOT NULL, environment TEXT NOT NULL, distribution TEXT, token_debug_suffix TEXT, updated_at_ms INTEGER NOT NULL) STRICT;
`;

const dirs: string[] = [];
const open: LegacyDevicePairing[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDb(userVersion: number): string {
  const dir = mkdtempSync(join(tmpdir(), "hanzod-pairing-"));
  dirs.push(dir);
  const file = join(dir, "openclaw.sqlite");
  const db = openSqlite(file);
  db.exec(DDL);
  db.pragma(`user_version = ${userVersion}`);
  db.close();
  return file;
}

function store(release: "2026.9.1" | "2026.9.6", userVersion = release === "2026.9.1" ? 15 : 18): { s: LegacyDevicePairing; file: string } {
  const file = stateDb(userVersion);
  const s = new LegacyDevicePairing(file);
  open.push(s);
  return { s, file };
}

const input = (scopes: string[], extra: Record<string, unknown> = {}) => ({ deviceId: "dev1", publicKey: "pk1", role: "operator", scopes, clientId: "test", clientMode: "test", silent: false, ...extra });

describe("the legacy's pairing rows, written by hanzod", () => {
  it("a row whose JSON column does not parse is refused, not read as absent", () => {
    const { s, file } = store("2026.9.6");
    const { request } = s.request(input(["operator.read"]), 1_000);
    s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 2_000);
    const db = openSqlite(file);
    db.prepare("UPDATE device_pairing_paired SET tokens_json = ? WHERE device_id = ?").run("{not json", "dev1");
    db.close();
    expect(() => s.paired("dev1")).toThrow(PairingRefusal);
    expect(() => s.list()).toThrow(PairingRefusal);
  });

  it("a stored host stats snapshot that fails the legacy's check is left out as 2026.9.6 reads the row, kept as 2026.9.1 stores it", () => {
    const valid = { cpuCount: 2, memoryTotalBytes: 8_000, memoryFreeBytes: 3_000, updatedAtMs: 5_000 };
    const invalid = { cpuCount: 2, memoryTotalBytes: 8_000, memoryFreeBytes: 9_000, updatedAtMs: 5_000 }; // free above total
    for (const release of ["2026.9.6", "2026.9.1"] as const) {
      const { s, file } = store(release);
      for (const [id, stats] of [["good", valid], ["bad", invalid]] as const) {
        const { request } = s.request(input(["operator.read"], { deviceId: id, publicKey: `pk-${id}` }), 1_000);
        s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 2_000);
        const db = openSqlite(file);
        db.prepare("UPDATE device_pairing_paired SET node_surface_json = ? WHERE device_id = ?").run(JSON.stringify({ displayName: id, lastHostStats: stats }), id);
        db.close();
      }
      const surfaces = Object.fromEntries(s.list().paired.map((d) => [d.deviceId, d.nodeSurface]));
      expect(surfaces.good, release).toEqual({ displayName: "good", lastHostStats: valid });
      expect(surfaces.bad, release).toEqual(release === "2026.9.6" ? { displayName: "bad" } : { displayName: "bad", lastHostStats: invalid });
      // The read half of a surface write reads it the same way, so the write leaves the invalid snapshot out.
      expect(s.updateNodeSurface("bad", (surface) => ({ ...surface, lastConnectedAtMs: 6_000 }))).toBe(true);
      const db = openSqlite(file, { readonly: true });
      const stored = JSON.parse(String((db.prepare("SELECT node_surface_json FROM device_pairing_paired WHERE device_id = 'bad'").get() as { node_surface_json: string }).node_surface_json)) as Record<string, unknown>;
      db.close();
      expect(stored.lastHostStats === undefined, release).toBe(release === "2026.9.6");
    }
  });

  it("an approval is stored in the legacy's row format, the bearer in tokens_json", () => {
    const { s, file } = store("2026.9.6");
    const { request } = s.request(input(["operator.write"]), 1_000);
    const r = s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 2_000);
    expect(r?.status).toBe("approved");
    const db = openSqlite(file, { readonly: true });
    const row = db.prepare("SELECT * FROM device_pairing_paired").get() as Record<string, unknown>;
    expect(db.prepare("SELECT COUNT(*) AS n FROM device_pairing_pending").get()).toEqual({ n: 0 });
    db.close();
    expect(row).toMatchObject({ device_id: "dev1", public_key: "pk1", role: "operator", roles_json: '["operator"]', scopes_json: '["operator.write"]', approved_scopes_json: '["operator.write"]', approved_via: "owner", created_at_ms: 2_000, approved_at_ms: 2_000, node_surface_json: null });
    const tokens = JSON.parse(String(row.tokens_json)) as Record<string, { token: string; scopes: string[]; createdAtMs: number }>;
    expect(tokens.operator).toMatchObject({ role: "operator", scopes: ["operator.read", "operator.write"], createdAtMs: 2_000 });
    expect(tokens.operator?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.verifyToken("dev1", "operator", tokens.operator!.token, ["operator.read"], undefined, 3_000)).toEqual({ ok: true });
    expect(s.paired("dev1")).toMatchObject({ lastSeenAtMs: 3_000, lastSeenReason: "device-token-auth", tokens: { operator: { lastUsedAtMs: 3_000 } } });
    expect(s.verifyToken("dev1", "operator", "x".repeat(43), [], undefined, 3_000)).toEqual({ ok: false, reason: "token-mismatch" });
  });

  it("a caller without the requested scopes cannot approve: the legacy's forbidden result", () => {
    const { s } = store("2026.9.6");
    const { request } = s.request(input(["operator.admin"]));
    expect(s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.pairing"] })).toEqual({ status: "forbidden", reason: "caller-missing-scope", scope: "operator.admin" });
    expect(s.approve("nope", { approvedVia: "owner", callerScopes: ["operator.admin"] })).toBeNull();
  });

  it("sessions.read under a write token: allowed on 2026.9.6's schema, not on 2026.9.1's (the rules follow the database)", () => {
    for (const [release, ok] of [["2026.9.6", true], ["2026.9.1", false]] as const) {
      const { s } = store(release);
      const { request } = s.request(input(["operator.write"]));
      s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] });
      const token = s.paired("dev1")!.tokens!.operator!.token;
      expect({ release, check: s.verifyToken("dev1", "operator", token, ["operator.sessions.read"], undefined) }).toEqual({ release, check: ok ? { ok: true } : { ok: false, reason: "scope-mismatch" } });
    }
  });

  it("a covered request refreshes the pending one, a wider one supersedes it; expiry after 300 s", () => {
    const { s } = store("2026.9.6");
    const first = s.request(input(["operator.read", "operator.write"]), 1_000);
    const same = s.request(input(["operator.read"]), 2_000);
    expect(same).toMatchObject({ created: false, request: { requestId: first.request.requestId, ts: 1_000, refreshedAtMs: 2_000 } });
    const wider = s.request(input(["operator.admin"]), 3_000);
    expect(wider).toMatchObject({ created: true, superseded: [{ requestId: first.request.requestId, deviceId: "dev1" }], request: { scopes: ["operator.read", "operator.write", "operator.admin"] } });
    expect(s.pending(wider.request.requestId, 3_000 + 300_000)).toBeDefined();
    expect(s.pending(wider.request.requestId, 3_001 + 300_000)).toBeUndefined();
  });

  it("refuses a schema of no known release", () => {
    expect(() => store("2026.9.6", 16).s.paired("x")).toThrow(PairingRefusal);
    expect(() => store("2026.9.6", 19).s.paired("x")).toThrow(PairingRefusal);
    expect(store("2026.9.6", 15).s.paired("x")).toBeUndefined();
  });

  it.each(["2026.9.1", "2026.9.6"] as const)("%s: a token's shared-gateway-auth issuer is kept, checked against the current generation, and reused only by the same issuer", (release) => {
    const { s } = store(release);
    const { request } = s.request(input(["operator.read"], { clientId: "openclaw-control-ui", clientMode: "webchat" }), 1_000);
    s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 2_000);
    const approvedToken = s.paired("dev1")!.tokens!.operator!.token;
    // A browser device's token without an issuer, while the gateway has a shared-secret generation.
    expect(s.verifyToken("dev1", "operator", approvedToken, ["operator.read"], "g1", 3_000)).toEqual({ ok: false, reason: "legacy-browser-token" });
    expect(s.verifyToken("dev1", "operator", approvedToken, ["operator.read"], undefined, 3_000)).toEqual({ ok: true });
    // A connect of the Control UI under generation g1: a new token with the issuer (the issuer-less one is not reused).
    const issuer = { kind: "shared-gateway-auth", generation: "g1" };
    const issued = s.ensureToken("dev1", "operator", ["operator.read"], issuer, 4_000)!;
    expect(issued).toMatchObject({ role: "operator", scopes: ["operator.read"], issuer, createdAtMs: 2_000, rotatedAtMs: 4_000 });
    expect(issued.token).not.toBe(approvedToken);
    // The next connect under the same generation reuses it (no second rotation); another issuer rotates it.
    expect(s.ensureToken("dev1", "operator", ["operator.read"], { ...issuer }, 5_000)?.token).toBe(issued.token);
    expect(s.verifyToken("dev1", "operator", issued.token, ["operator.read"], "g1", 6_000)).toEqual({ ok: true, issuer });
    expect(s.verifyToken("dev1", "operator", issued.token, ["operator.read"], "g2", 6_000)).toEqual({ ok: false, reason: "issuer-generation-stale" });
    expect(s.verifyToken("dev1", "operator", issued.token, ["operator.read"], undefined, 6_000)).toEqual({ ok: false, reason: "issuer-generation-stale" });
    const other = s.ensureToken("dev1", "operator", ["operator.read"], { ...issuer, generation: "g2" }, 7_000)!;
    expect(other).toMatchObject({ issuer: { kind: "shared-gateway-auth", generation: "g2" }, rotatedAtMs: 7_000 });
    expect(other.token).not.toBe(issued.token);
    // A rotation keeps the issuer (device.token.rotate).
    expect(s.rotateToken("dev1", "operator", undefined, undefined, 8_000)).toMatchObject({ ok: true, entry: { issuer: { kind: "shared-gateway-auth", generation: "g2" } } });
  });

  /** One approved operator device (dev1, approved scopes `scopes`), its first token used once at 3 000. */
  function pairedDevice(scopes: string[]) {
    const r = store("2026.9.6");
    const { request } = r.s.request(input(scopes), 1_000);
    r.s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 2_000);
    const first = r.s.paired("dev1")!.tokens!.operator!.token;
    expect(r.s.verifyToken("dev1", "operator", first, [], undefined, 3_000)).toEqual({ ok: true });
    const row = () => {
      const db = openSqlite(r.file, { readonly: true });
      try {
        return db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = 'dev1'").get() as Record<string, unknown> | undefined;
      } finally {
        db.close();
      }
    };
    return { ...r, first, row };
  }

  it("a rotation writes a new bearer into tokens_json (createdAtMs and lastUsedAtMs kept), bounded by the baseline and the caller's scopes", () => {
    const { s, first, row } = pairedDevice(["operator.write"]);
    const before = row();
    // Wider than the approved baseline, or than the caller holds: refused, nothing written.
    expect(s.rotateToken("dev1", "operator", ["operator.admin"], ["operator.admin"], 4_000)).toEqual({ ok: false, reason: "scope-outside-approved-baseline" });
    expect(s.rotateToken("dev1", "operator", undefined, ["operator.pairing"], 4_000)).toEqual({ ok: false, reason: "caller-missing-scope", scope: "operator.read" });
    expect(s.rotateToken("dev1", "admin", undefined, ["operator.admin"], 4_000)).toEqual({ ok: false, reason: "unknown-device-or-role" });
    expect(s.rotateToken("nope", "operator", undefined, ["operator.admin"], 4_000)).toEqual({ ok: false, reason: "unknown-device-or-role" });
    expect(row()).toEqual(before);

    const rotated = s.rotateToken(" dev1 ", "operator", ["operator.read"], ["operator.read"], 5_000);
    expect(rotated).toMatchObject({ ok: true, entry: { role: "operator", scopes: ["operator.read"], createdAtMs: 2_000, rotatedAtMs: 5_000, lastUsedAtMs: 3_000 } });
    const tokens = JSON.parse(String(row()!.tokens_json)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(tokens.operator!).sort()).toEqual(["createdAtMs", "lastUsedAtMs", "role", "rotatedAtMs", "scopes", "token"]);
    expect(tokens.operator!.token).not.toBe(first);
    expect(tokens.operator!.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Everything else in the row is as it was.
    expect({ ...row(), tokens_json: null }).toEqual({ ...before, tokens_json: null });
    expect(s.verifyToken("dev1", "operator", first, [], undefined, 6_000)).toEqual({ ok: false, reason: "token-mismatch" });
    expect(s.verifyToken("dev1", "operator", String(tokens.operator!.token), ["operator.read"], undefined, 6_000)).toEqual({ ok: true });
    // Without requested scopes: the old token's.
    expect(s.rotateToken("dev1", "operator", undefined, undefined, 7_000)).toMatchObject({ ok: true, entry: { scopes: ["operator.read"] } });
  });

  it("a revocation marks the token revoked in the row (the legacy then refuses it), after the caller-scope check", () => {
    const { s, first, row } = pairedDevice(["operator.write"]);
    expect(s.revokeToken("dev1", "operator", ["operator.read"], 4_000)).toEqual({ ok: false, reason: "caller-missing-scope", scope: "operator.write" });
    expect(s.revokeToken("dev1", "node", ["operator.admin"], 4_000)).toEqual({ ok: false, reason: "unknown-device-or-role" });
    expect(s.revokeToken("dev1", "operator", ["operator.write"], 5_000)).toMatchObject({ ok: true, entry: { token: first, revokedAtMs: 5_000, createdAtMs: 2_000 } });
    expect(JSON.parse(String(row()!.tokens_json))).toMatchObject({ operator: { token: first, revokedAtMs: 5_000, lastUsedAtMs: 3_000 } });
    expect(s.verifyToken("dev1", "operator", first, [], undefined, 6_000)).toEqual({ ok: false, reason: "token-revoked" });
  });

  it("a node role's token is declined, not changed (the legacy resets node runtime state with it)", () => {
    const { s, file, row } = pairedDevice(["operator.read"]);
    const db = openSqlite(file);
    db.prepare("UPDATE device_pairing_paired SET roles_json = ?, tokens_json = json_set(tokens_json, '$.node', json(?)) WHERE device_id = 'dev1'").run('["operator","node"]', JSON.stringify({ token: "n".repeat(43), role: "node", scopes: [], createdAtMs: 1 }));
    db.close();
    const before = row();
    expect(() => s.rotateToken("dev1", "node", undefined, undefined)).toThrow(PairingRefusal);
    expect(() => s.revokeToken("dev1", "node", undefined)).toThrow(PairingRefusal);
    expect(() => s.remove("dev1")).toThrow(PairingRefusal);
    expect(row()).toEqual(before);
  });

  it("a node's pending surface rejected and its approved surface renamed: one column of one row, the rest as stored; a corrupt surface declined", () => {
    const { s, file, row } = pairedDevice(["operator.read"]);
    const surface = { displayName: "old", commands: ["canvas.present"], createdAtMs: 1, approvedAtMs: 2, lastConnectedAtMs: 3 };
    const set = (column: string, value: string | null) => {
      const db = openSqlite(file);
      db.prepare(`UPDATE device_pairing_paired SET ${column} = ? WHERE device_id = 'dev1'`).run(value);
      db.close();
    };
    set("pending_node_surface_json", JSON.stringify({ requestId: "r1", commands: ["canvas.present"], ts: 5 }));
    expect(s.renameNode("dev1", "x")).toBeNull();
    set("node_surface_json", JSON.stringify(surface));
    const before = row()!;
    expect(s.pendingNode(" r1")).toBeNull();
    expect(s.rejectNode("nope")).toBeNull();
    expect(s.rejectNode("r1")).toEqual({ requestId: "r1", nodeId: "dev1" });
    expect(row()).toEqual({ ...before, pending_node_surface_json: null });
    expect(s.rejectNode("r1")).toBeNull();
    expect(s.renameNode(" dev1 ", "new")).toEqual({ nodeId: "dev1", displayName: "new" });
    expect(JSON.parse(String(row()!.node_surface_json))).toEqual({ ...surface, displayName: "new" });
    expect(row()).toMatchObject({ ...before, pending_node_surface_json: null, node_surface_json: expect.any(String) });
    set("pending_node_surface_json", "{");
    expect(() => s.rejectNode("r1")).toThrow(PairingRefusal);
  });

  it("a removal deletes the paired row and the device's pending requests, keeps other devices', tombstones its APNs owner", () => {
    const { s, file, row } = pairedDevice(["operator.read"]);
    const again = s.request(input(["operator.write"]), 9_000);
    const other = s.request(input(["operator.read"], { deviceId: "dev2", publicKey: "pk2" }), 9_000);
    expect(s.remove("nope", 10_000)).toBeNull();
    expect(s.remove(" dev1 ", 10_000)).toEqual({ deviceId: "dev1" });
    expect(row()).toBeUndefined();
    expect(s.pending(again.request.requestId, 10_000)).toBeUndefined();
    expect(s.pending(other.request.requestId, 10_000)).toBeDefined();
    const db = openSqlite(file);
    expect(db.prepare("SELECT * FROM apns_registration_tombstones").all()).toEqual([{ node_id: "dev1", deleted_at_ms: 10_000 }]);
    // A push registration: declined (its sender state is the legacy's).
    db.prepare("INSERT INTO apns_registrations (node_id, transport, topic, environment, updated_at_ms) VALUES ('dev2', 'direct', 't', 'production', 1)").run();
    db.close();
    expect(s.remove("dev1", 11_000)).toBeNull();
    const { request } = s.request(input(["operator.read"], { deviceId: "dev2", publicKey: "pk2" }), 12_000);
    s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] }, 12_000);
    expect(() => s.remove("dev2", 13_000)).toThrow(PairingRefusal);
  });
});
