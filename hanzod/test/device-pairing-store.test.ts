/**
 * The legacy pairing tables as hanzod writes them (state/device-pairing.ts), without a live legacy: the row
 * format (plain-text bearer in tokens_json, JSON columns, 0/1 booleans), the per-release scope rule, the
 * pending request's refresh/supersede and TTL, and the refusals (a schema of another release, an issuer
 * token). That a running legacy accepts these rows is shown live in node-pair-list.test.ts.
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
    expect(s.verifyToken("dev1", "operator", tokens.operator!.token, ["operator.read"], 3_000)).toEqual({ ok: true });
    expect(s.paired("dev1")).toMatchObject({ lastSeenAtMs: 3_000, lastSeenReason: "device-token-auth", tokens: { operator: { lastUsedAtMs: 3_000 } } });
    expect(s.verifyToken("dev1", "operator", "x".repeat(43), [], 3_000)).toEqual({ ok: false, reason: "token-mismatch" });
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
      expect({ release, check: s.verifyToken("dev1", "operator", token, ["operator.sessions.read"]) }).toEqual({ release, check: ok ? { ok: true } : { ok: false, reason: "scope-mismatch" } });
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

  it("refuses a schema of no known release, and a token issued under the shared-gateway-auth generation", () => {
    expect(() => store("2026.9.6", 16).s.paired("x")).toThrow(PairingRefusal);
    expect(() => store("2026.9.6", 19).s.paired("x")).toThrow(PairingRefusal);
    expect(store("2026.9.6", 15).s.paired("x")).toBeUndefined();
    const { s, file } = store("2026.9.6");
    const { request } = s.request(input(["operator.read"]));
    s.approve(request.requestId, { approvedVia: "owner", callerScopes: ["operator.admin"] });
    const db = openSqlite(file);
    const tokens = JSON.parse(String((db.prepare("SELECT tokens_json FROM device_pairing_paired").get() as { tokens_json: string }).tokens_json)) as Record<string, Record<string, unknown>>;
    tokens.operator!.issuer = { kind: "shared-gateway-auth", generation: "g1" };
    db.prepare("UPDATE device_pairing_paired SET tokens_json = ?").run(JSON.stringify(tokens));
    db.close();
    expect(s.verifyToken("dev1", "operator", String(tokens.operator!.token), ["operator.read"])).toEqual({ ok: false, reason: "issuer-generation-stale" });
  });
});
