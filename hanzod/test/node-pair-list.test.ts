/**
 * `node.pair.list` on a running legacy's state, two live runtimes: a real legacy gateway, the real node host
 * (`openclaw node run`, its own HOME and device) connected to it over loopback, and hanzod started on the
 * legacy's state dir. The pairing state is made by the legacy only: the node host's connect pairs it silently
 * as a device with a pending command surface; the legacy's own `node.pair.approve` approves it. At each step
 * hanzod's answer is compared field for field with the legacy's for an admin, a pairing-only and a read-only
 * operator (the scopes' refusals included), 2026.9.6's stored host stats too (once the node host has sent
 * them, in the case where hanzod owns its connection).
 *
 * No timing luck: every comparison asks the legacy before and after hanzod and retries until those two agree;
 * conditions (a pending surface, an approval) are polled for.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyEnv, startLegacyGateway, stopProcessGroup, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { CLI_CLIENT, connectFrame, connectOperator, isRes, newDeviceKey, openRaw, signedDevice, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { openSqlite, pollUntil } from "../../protocol/index.js";
import { STATE_DB_RELATIVE } from "../state/legacy-state.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

interface NodeList {
  pending: Array<Record<string, unknown> & { requestId: string; nodeId: string; displayName?: string }>;
  paired: Array<Record<string, unknown> & { nodeId: string; displayName?: string }>;
}

type Who = "reader" | "pairing" | "admin";
const WHO: readonly Who[] = ["reader", "pairing", "admin"];
const SCOPES: Record<Who, string[]> = { reader: ["operator.read"], pairing: ["operator.pairing"], admin: ["operator.admin"] };
const DISPLAY_NAME = "hanzod-node-pair-list";

const until = pollUntil;

describe.each(releasesUnderTest())("node.pair.list on a running legacy's state, with the real node host (openclaw %s)", (release) => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  let host: ChildProcess | undefined;
  let hostHome: string | undefined;
  let hostOutput = "";
  const legacyConn = {} as Record<Who, RawSession>;
  const hanzodConn = {} as Record<Who, RawSession>;

  /** 2026.9.6 answers a node's stored host stats (sent by the host every minute). */
  const hasHostStats = (a: Answer) => release !== "2026.9.1" && a.ok && ((a.payload as NodeList).paired ?? []).some((p) => p.lastHostStats !== undefined);

  async function expectSame(who: Who, params: Record<string, unknown> = {}): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], "node.pair.list", params), () => ask(hanzodConn[who], "node.pair.list", params), "node.pair.list");
    expect({ who, params, answer: fromHanzod }).toEqual({ who, params, answer: fromLegacy });
    return fromLegacy;
  }

  beforeAll(async () => {
    legacy = await startLegacyGateway({ version: release });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    for (const who of WHO) {
      legacyConn[who] = (await connectOperator(legacy.url, legacy.token, SCOPES[who])).s;
      hanzodConn[who] = (await connectOperator(hz.url, "t", SCOPES[who])).s;
    }
  }, 300_000);

  afterAll(async () => {
    for (const who of WHO) {
      legacyConn[who]?.close();
      hanzodConn[who]?.close();
    }
    if (host) await stopProcessGroup(host);
    if (hostHome) rmSync(hostHome, { recursive: true, force: true });
    await hz?.close();
    await legacy?.stop();
  });

  it("before any node: the same empty list; the reader refused by scope in both", async () => {
    for (const who of WHO) await expectSame(who);
    expect(await expectSame("admin")).toEqual({ ok: true, payload: { pending: [], paired: [] } });
    expect((await expectSame("reader")).ok).toBe(false);
    expect((await expectSame("admin", { bogus: 1 })).ok).toBe(false);
  });

  // ---- device pairing on the legacy's own tables (hanzod/state/device-pairing.ts) ----

  type Key = ReturnType<typeof newDeviceKey>;
  interface Hello {
    auth?: { deviceToken?: string; role?: string; scopes?: string[] };
  }
  /** One device connect (signed, this auth, these headers); the socket is closed after the answer. */
  async function deviceConnect(url: string, key: Key, auth: Record<string, string>, headers: Record<string, string> = {}, scopes = ["operator.read"]) {
    const s = await openRaw(url, headers);
    const token = auth.token ?? auth.deviceToken;
    const client = { id: "test", version: "1.0.0", platform: "linux", mode: "test" };
    s.send(connectFrame({ client, scopes, auth, device: signedDevice({ key, scopes, ...(token ? { token } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
    const res = await s.next(isRes("c1"));
    s.close();
    await s.closed;
    return res;
  }

  /** device.pair.list, compared field for field (no device connection is open on either side when asked). */
  async function samePairList(who: Who): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], "device.pair.list", {}), () => ask(hanzodConn[who], "device.pair.list", {}), "device.pair.list");
    expect({ who, answer: fromHanzod }).toEqual({ who, answer: fromLegacy });
    return fromLegacy;
  }

  const pairedIds = (a: Answer) => ((a.payload as { paired?: { deviceId: string }[] }).paired ?? []).map((d) => d.deviceId);

  it("a device paired through hanzod connects to the legacy with its device token alone, and one paired on the legacy to hanzod", async () => {
    const viaHanzod = newDeviceKey();
    const first = await deviceConnect(hz.url, viaHanzod, { token: "t" });
    expect(first.ok, JSON.stringify(first.error)).toBe(true);
    const tokenA = (first.payload as Hello).auth?.deviceToken;
    expect(tokenA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The rollback: the legacy accepts the token hanzod issued (it re-reads its tables: data_version moved).
    const onLegacy = await deviceConnect(legacy.url, viaHanzod, { deviceToken: tokenA! });
    expect(onLegacy.ok, JSON.stringify(onLegacy.error)).toBe(true);
    expect((onLegacy.payload as Hello).auth?.deviceToken).toBe(tokenA);

    const viaLegacy = newDeviceKey();
    const onLegacyFirst = await deviceConnect(legacy.url, viaLegacy, { token: legacy.token });
    expect(onLegacyFirst.ok, JSON.stringify(onLegacyFirst.error)).toBe(true);
    const tokenB = (onLegacyFirst.payload as Hello).auth?.deviceToken;
    const onHanzod = await deviceConnect(hz.url, viaLegacy, { deviceToken: tokenB! });
    expect(onHanzod.ok, JSON.stringify(onHanzod.error)).toBe(true);
    expect((onHanzod.payload as Hello).auth?.deviceToken).toBe(tokenB);
    // A wrong token is refused by both, the same way.
    const wrongH = await deviceConnect(hz.url, viaLegacy, { deviceToken: "A".repeat(43) });
    const wrongL = await deviceConnect(legacy.url, viaLegacy, { deviceToken: "A".repeat(43) });
    expect(wrongH.error).toEqual(wrongL.error);

    for (const who of WHO) await samePairList(who);
    expect(pairedIds(await samePairList("admin"))).toEqual(expect.arrayContaining([viaHanzod.id, viaLegacy.id]));
  });

  it("a remote device's pairing request made in hanzod is listed and approved through hanzod, then connects to both with its device token", async () => {
    const remote = { "x-forwarded-for": "203.0.113.9" };
    const key = newDeviceKey();
    const refused = await deviceConnect(hz.url, key, { token: "t" }, remote);
    expect(refused.error).toMatchObject({ code: "NOT_PAIRED", details: { reason: "not-paired", deviceId: key.id } });
    const requestId = (refused.error as { details: { requestId: string } }).details.requestId;

    // The request is the legacy's too: both list it the same way.
    for (const who of WHO) await samePairList(who);
    const listed = (await samePairList("pairing")).payload as { pending: { requestId: string; remoteIp?: string }[] };
    // Not loopback-looking (forwarded headers), though not from a trusted proxy: its address is the socket's.
    expect(listed.pending.find((p) => p.requestId === requestId)).toMatchObject({ remoteIp: "127.0.0.1", silent: false });
    // hanzod's operators were told, with the request as listed.
    const eventFor = (name: string) => (f: { type: string; event?: string; payload?: unknown }) => f.type === "event" && f.event === name && (f.payload as { requestId?: string }).requestId === requestId;
    const requested = await hanzodConn.pairing.next(eventFor("device.pair.requested"), 5_000);
    expect(requested.payload).toEqual(listed.pending.find((p) => p.requestId === requestId));

    // Refusals compared with the legacy (none of them changes state): bad params, an unknown id, a caller
    // whose scopes do not cover what the device asked for, a reader refused by scope.
    for (const [who, params] of [["admin", {}], ["admin", { requestId: "nope" }], ["pairing", { requestId }], ["reader", { requestId }], ["admin", { requestId, bogus: 1 }]] as [Who, Record<string, unknown>][]) {
      const { legacy: l, hanzod: h } = await askBoth(() => ask(legacyConn[who], "device.pair.approve", params), () => ask(hanzodConn[who], "device.pair.approve", params), "device.pair.approve");
      expect({ who, params, answer: h }).toEqual({ who, params, answer: l });
      expect(h.ok).toBe(false);
    }

    const approved = await ask(hanzodConn.admin, "device.pair.approve", { requestId });
    expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
    expect(approved.payload).toMatchObject({ requestId, device: { deviceId: key.id, approvedVia: "owner", remoteIp: "127.0.0.1", scopes: ["operator.read"], tokens: [{ role: "operator", scopes: ["operator.read"] }] } });
    expect(JSON.stringify(approved.payload)).not.toMatch(/"token"/);
    expect((await hanzodConn.admin.next(eventFor("device.pair.resolved"), 5_000)).payload).toMatchObject({ requestId, deviceId: key.id, decision: "approved", ts: expect.any(Number) });
    for (const who of WHO) await samePairList(who);

    const paired = await deviceConnect(hz.url, key, { token: "t" }, remote);
    expect(paired.ok, JSON.stringify(paired.error)).toBe(true);
    const deviceToken = (paired.payload as Hello).auth?.deviceToken;
    const alone = await deviceConnect(hz.url, key, { deviceToken: deviceToken! }, remote);
    expect(alone.ok, JSON.stringify(alone.error)).toBe(true);
    // The legacy refuses the upgrade itself (HTTP 403) for forwarded headers from a source it does not trust,
    // so the rollback leg connects directly: the device token hanzod issued, alone.
    const onLegacy = await deviceConnect(legacy.url, key, { deviceToken: deviceToken! });
    expect(onLegacy.ok, JSON.stringify(onLegacy.error)).toBe(true);
    for (const who of WHO) await samePairList(who);
  });

  it("a remote request rejected through hanzod is gone for the legacy too", async () => {
    const key = newDeviceKey();
    const refused = await deviceConnect(hz.url, key, { token: "t" }, { "x-forwarded-for": "203.0.113.10" });
    const requestId = (refused.error as { details: { requestId: string } }).details.requestId;
    const rejected = await ask(hanzodConn.pairing, "device.pair.reject", { requestId });
    expect(rejected).toEqual({ ok: true, payload: { requestId, deviceId: key.id } });
    const again = await askBoth(() => ask(legacyConn.admin, "device.pair.reject", { requestId }), () => ask(hanzodConn.admin, "device.pair.reject", { requestId }), "device.pair.reject");
    expect(again.hanzod).toEqual(again.legacy);
    expect(again.hanzod).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "unknown requestId" } });
    const listed = (await samePairList("admin")).payload as { pending: { requestId: string }[] };
    expect(listed.pending.map((p) => p.requestId)).not.toContain(requestId);
  });

  // ---- a browser device's token under the legacy's shared-gateway-auth issuer (issue 13, gap 1) ----

  /**
   * The Control UI's own client block (the legacy issues its device token under the shared-gateway-auth issuer);
   * build "dev", which the legacy exempts from its reload-on-build-mismatch refusal.
   */
  const CONTROL_UI = { id: "openclaw-control-ui", version: "1.0.0", platform: "linux", mode: "webchat", buildId: "dev" };
  async function uiConnect(url: string, key: Key, auth: Record<string, string>, scopes = ["operator.read"]) {
    // Loaded from the gateway it connects to (the legacy refuses a Control UI without its own origin).
    const s = await openRaw(url, { origin: `http://127.0.0.1:${new URL(url).port}` });
    const token = auth.token ?? auth.deviceToken;
    s.send(connectFrame({ client: CONTROL_UI, scopes, auth, device: signedDevice({ key, clientId: CONTROL_UI.id, clientMode: CONTROL_UI.mode, scopes, ...(token ? { token } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
    const res = await s.next(isRes("c1"));
    s.close();
    await s.closed;
    return res;
  }
  /** The device's stored operator token entry, read from the legacy's table (kept in memory only, never logged). */
  function storedOperatorToken(deviceId: string): Record<string, unknown> | undefined {
    const db = openSqlite(join(legacy.stateDir, STATE_DB_RELATIVE), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT tokens_json FROM device_pairing_paired WHERE device_id = ?").get(deviceId) as { tokens_json: string | null } | undefined;
      return row?.tokens_json ? (JSON.parse(row.tokens_json) as Record<string, Record<string, unknown>>).operator : undefined;
    } finally {
      db.close();
    }
  }
  /** A stored token entry with its secret and times replaced by what they are (the rows of two devices compared). */
  const tokenShape = (t: Record<string, unknown> | undefined) => t && Object.fromEntries(Object.entries(t).map(([k, v]) => [k, k === "token" ? "<43 chars>" : k.endsWith("AtMs") ? typeof v : v]));

  it("a Control UI device's token carries the legacy's shared-gateway-auth issuer: issued by either runtime, taken by the other, reused on every connect (never rotated twice); the stored rows alike", async () => {
    // hanzod as `hanzonode up` starts it beside the legacy: with the legacy's own secret, hence its generation.
    const same = await startHanzod({ port: 0, auth: { mode: "token", token: legacy.token }, stateDir: legacy.stateDir, logger: false, compat: release });
    try {
      const tokenOf = (res: Record<string, unknown>) => {
        expect(res.ok, JSON.stringify(res.error)).toBe(true);
        return (res.payload as Hello).auth?.deviceToken;
      };
      // Paired through hanzod with the shared secret: the token is issued under the issuer at once.
      const viaHanzod = newDeviceKey();
      const tokenA = tokenOf(await uiConnect(same.url, viaHanzod, { token: legacy.token }));
      expect(tokenA).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const rowA = storedOperatorToken(viaHanzod.id);
      expect(rowA?.issuer).toMatchObject({ kind: "shared-gateway-auth", generation: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      // The legacy takes it alone and hands back the same token; so does its shared-secret connect, then hanzod again.
      expect(tokenOf(await uiConnect(legacy.url, viaHanzod, { deviceToken: tokenA! }))).toBe(tokenA);
      expect(tokenOf(await uiConnect(legacy.url, viaHanzod, { token: legacy.token }))).toBe(tokenA);
      expect(tokenOf(await uiConnect(same.url, viaHanzod, { deviceToken: tokenA! }))).toBe(tokenA);
      expect(storedOperatorToken(viaHanzod.id)).toMatchObject({ token: tokenA, issuer: rowA!.issuer, rotatedAtMs: rowA!.rotatedAtMs });

      // Paired on the legacy: hanzod takes its token and reuses it, with the device token or the shared secret.
      const viaLegacy = newDeviceKey();
      const tokenB = tokenOf(await uiConnect(legacy.url, viaLegacy, { token: legacy.token }));
      const rowB = storedOperatorToken(viaLegacy.id);
      expect(tokenOf(await uiConnect(same.url, viaLegacy, { deviceToken: tokenB! }))).toBe(tokenB);
      expect(tokenOf(await uiConnect(same.url, viaLegacy, { token: legacy.token }))).toBe(tokenB);
      expect(tokenOf(await uiConnect(legacy.url, viaLegacy, { deviceToken: tokenB! }))).toBe(tokenB);
      expect(storedOperatorToken(viaLegacy.id)).toMatchObject({ token: tokenB, issuer: rowB!.issuer, rotatedAtMs: rowB!.rotatedAtMs });
      // What hanzod wrote for its device is what the legacy wrote for its own: the same fields, the same issuer.
      expect(rowB?.issuer).toEqual(rowA?.issuer);
      expect(tokenShape(storedOperatorToken(viaHanzod.id))).toEqual(tokenShape(storedOperatorToken(viaLegacy.id)));

      // A hanzod under another secret (another generation) refuses the token as the legacy refuses a wrong one.
      const stale = await uiConnect(hz.url, viaLegacy, { deviceToken: tokenB! });
      const wrong = await uiConnect(legacy.url, viaLegacy, { deviceToken: "A".repeat(43) });
      expect(stale.ok).toBe(false);
      expect(stale.error).toEqual(wrong.error);
      expect(storedOperatorToken(viaLegacy.id)).toMatchObject({ token: tokenB, rotatedAtMs: rowB!.rotatedAtMs });
    } finally {
      await same.close();
    }
  });

  // ---- the legacy's browser-origin rule on connect (issue 13; hanzod/core/handshake/origin.ts) ----

  /** One connect with these upgrade headers; the answer and how the server closed (or that it did not). */
  async function originConnect(url: string, token: string, headers: Record<string, string>, client: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const s = await openRaw(url, headers);
    s.send(connectFrame({ client, scopes: ["operator.read"], auth: { token }, ...extra }));
    const res = await s.next(isRes("c1"));
    const close = await Promise.race([s.closed, new Promise<null>((r) => setTimeout(() => r(null), 2_000).unref())]);
    if (!close) s.close();
    await s.closed;
    return { ok: res.ok, error: res.error, close };
  }

  it("a browser connect's Origin is judged as the legacy judges it: the same refusal and close, for the Control UI, the web chat, the copilot and any client with an Origin", async () => {
    const foreign = { origin: "https://evil.example" };
    const cases: [string, Record<string, string>, Record<string, unknown>, Record<string, unknown>?][] = [
      ["Control UI, no Origin", {}, CONTROL_UI],
      ["Control UI, Origin null", { origin: "null" }, CONTROL_UI],
      ["Control UI, a path in the Origin", { origin: "http://127.0.0.1/x" }, CONTROL_UI],
      ["Control UI, a foreign Origin", foreign, CONTROL_UI],
      ["web chat by mode, no Origin", {}, { id: "test", version: "1.0.0", platform: "linux", mode: "webchat" }],
      ["web chat by id, no Origin", {}, { id: "webchat-ui", version: "1.0.0", platform: "linux", mode: "ui" }],
      ["a backend with a foreign Origin", foreign, { id: "gateway-client", version: "1.0.0", platform: "linux", mode: "backend" }],
      ["a CLI with a foreign Origin", foreign, CLI_CLIENT],
      ["copilot not in ui mode", {}, { id: "openclaw-browser-copilot", version: "1.0.0", platform: "linux", mode: "webchat" }],
      ["copilot without a Chrome extension origin", foreign, { id: "openclaw-browser-copilot", version: "1.0.0", platform: "linux", mode: "ui" }, { caps: ["run-tool-bindings", "session-scoped-events"] }],
    ];
    for (const [what, headers, client, extra] of cases) {
      const fromLegacy = await originConnect(legacy.url, legacy.token, headers, client, extra);
      const fromHanzod = await originConnect(hz.url, "t", headers, client, extra);
      expect({ what, answer: fromHanzod }).toEqual({ what, answer: fromLegacy });
      expect({ what, ok: fromLegacy.ok, closeCode: fromLegacy.close?.code }).toEqual({ what, ok: false, closeCode: 1008 });
    }
    // A CLI without an Origin is not a browser: admitted by both, as before.
    for (const [url, token] of [[legacy.url, legacy.token], [hz.url, "t"]] as const) expect((await originConnect(url, token, {}, CLI_CLIENT)).ok).toBe(true);
  });

  // ---- device.pair.remove, device.token.rotate/revoke through hanzod (domains/devices/tokens.ts) ----

  /** A device connect that stays open (the connection the legacy and hanzod close on a token change). */
  async function deviceOpen(url: string, key: Key, auth: Record<string, string>, scopes: string[]) {
    const s = await openRaw(url);
    const token = auth.token ?? auth.deviceToken;
    const client = { id: "test", version: "1.0.0", platform: "linux", mode: "test" };
    s.send(connectFrame({ client, scopes, auth, device: signedDevice({ key, scopes, ...(token ? { token } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
    const res = await s.next(isRes("c1"));
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    return s;
  }

  /** A device paired silently through hanzod (loopback, shared secret) with these scopes; its device token. */
  async function pairedThroughHanzod(scopes: string[]): Promise<{ key: Key; token: string }> {
    const key = newDeviceKey();
    const first = await deviceConnect(hz.url, key, { token: "t" }, {}, scopes);
    expect(first.ok, JSON.stringify(first.error)).toBe(true);
    return { key, token: (first.payload as Hello).auth!.deviceToken! };
  }

  /** The same call's refusal from both runtimes (none of these changes state). */
  async function sameRefusal(who: Who, method: string, params: Record<string, unknown>): Promise<Answer> {
    const { legacy: l, hanzod: h } = await askBoth(() => ask(legacyConn[who], method, params), () => ask(hanzodConn[who], method, params), method);
    expect({ who, method, params, answer: h }).toEqual({ who, method, params, answer: l });
    expect(h.ok).toBe(false);
    return l;
  }

  /** The socket's close, or a failure naming it when the server has not closed it within 10 s. */
  const closedBy = (s: RawSession, what: string) => Promise.race([s.closed, new Promise<never>((_, no) => setTimeout(() => no(new Error(`${what}: not closed within 10 s`)), 10_000).unref())]);

  /** A device-token connect refused by both runtimes, in the same words (the legacy's code). */
  async function refusedByBoth(key: Key, token: string, scopes: string[]): Promise<unknown> {
    const onLegacy = await deviceConnect(legacy.url, key, { deviceToken: token }, {}, scopes);
    const onHanzod = await deviceConnect(hz.url, key, { deviceToken: token }, {}, scopes);
    expect(onLegacy.ok).toBe(false);
    expect(onHanzod.error).toEqual(onLegacy.error);
    return onLegacy.error;
  }

  /** hanzod's `connected` for the device has dropped (its server-side close is asynchronous to the client's). */
  const disconnectedInHanzod = (deviceId: string) =>
    until(`device ${deviceId} no longer connected in hanzod`, async () => (((await ask(hanzodConn.admin, "device.pair.list", {})).payload as { paired: { deviceId: string; connected?: boolean }[] }).paired.find((d) => d.deviceId === deviceId)?.connected === true ? undefined : true), 5_000, () => "");

  it("device.token.rotate/revoke and device.pair.remove refusals are the legacy's: bad params, unknown device, scope", async () => {
    const wide = await pairedThroughHanzod(["operator.write"]);
    const cases: [Who, string, Record<string, unknown>][] = [
      ["admin", "device.token.rotate", {}],
      ["admin", "device.token.rotate", { deviceId: wide.key.id }],
      ["admin", "device.token.rotate", { deviceId: wide.key.id, role: "operator", bogus: 1 }],
      ["admin", "device.token.rotate", { deviceId: wide.key.id, role: "operator", scopes: "operator.read" }],
      ["admin", "device.token.rotate", { deviceId: "nope", role: "operator" }],
      ["admin", "device.token.rotate", { deviceId: wide.key.id, role: "node" }],
      // Wider than the device's approved scopes, or than the caller's own: denied.
      ["admin", "device.token.rotate", { deviceId: wide.key.id, role: "operator", scopes: ["operator.admin"] }],
      ["pairing", "device.token.rotate", { deviceId: wide.key.id, role: "operator" }],
      ["reader", "device.token.rotate", { deviceId: wide.key.id, role: "operator" }],
      ["admin", "device.token.revoke", { deviceId: wide.key.id }],
      ["admin", "device.token.revoke", { deviceId: "nope", role: "operator" }],
      ["admin", "device.token.revoke", { deviceId: wide.key.id, role: "node" }],
      ["pairing", "device.token.revoke", { deviceId: wide.key.id, role: "operator" }],
      ["reader", "device.token.revoke", { deviceId: wide.key.id, role: "operator" }],
      ["admin", "device.pair.remove", {}],
      ["admin", "device.pair.remove", { deviceId: wide.key.id, bogus: 1 }],
      ["admin", "device.pair.remove", { deviceId: "nope" }],
      ["reader", "device.pair.remove", { deviceId: wide.key.id }],
    ];
    for (const [who, method, params] of cases) await sameRefusal(who, method, params);
    // Nothing of that changed the device: its token still works on both.
    expect((await deviceConnect(legacy.url, wide.key, { deviceToken: wide.token }, {}, ["operator.write"])).ok).toBe(true);
    expect((await deviceConnect(hz.url, wide.key, { deviceToken: wide.token }, {}, ["operator.write"])).ok).toBe(true);
  });

  it("a device rotating its own token through hanzod gets it in-band, its connection is closed as the legacy closes it, and the running legacy takes the new token, not the old", async () => {
    const scopes = ["operator.pairing"];
    const { key, token: old } = await pairedThroughHanzod(scopes);
    const other = await pairedThroughHanzod(["operator.read"]);
    const bystander = await deviceOpen(hz.url, other.key, { deviceToken: other.token }, ["operator.read"]);

    const own = await deviceOpen(hz.url, key, { deviceToken: old }, scopes);
    const rotated = await ask(own, "device.token.rotate", { deviceId: key.id, role: "operator" });
    expect(rotated).toMatchObject({ ok: true, payload: { deviceId: key.id, role: "operator", scopes, tokenDelivery: "in-band", rotatedAtMs: expect.any(Number) } });
    const fresh = (rotated.payload as { token: string }).token;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(old);
    const closedByHanzod = await closedBy(own, "the rotating device, on hanzod");

    // The legacy, on the token hanzod wrote: the new one is taken, the old one refused (as by hanzod).
    const onLegacy = await deviceConnect(legacy.url, key, { deviceToken: fresh }, {}, scopes);
    expect(onLegacy.ok, JSON.stringify(onLegacy.error)).toBe(true);
    expect(await refusedByBoth(key, old, scopes)).toMatchObject({ details: { code: "AUTH_DEVICE_TOKEN_MISMATCH" } });

    // The same rotation on the legacy closes its own connection of the device the same way.
    const onLegacyOpen = await deviceOpen(legacy.url, key, { deviceToken: fresh }, scopes);
    const byLegacy = await ask(onLegacyOpen, "device.token.rotate", { deviceId: key.id, role: "operator" });
    expect(byLegacy.ok, JSON.stringify(byLegacy.error)).toBe(true);
    expect(closedByHanzod).toEqual(await closedBy(onLegacyOpen, "the rotating device, on the legacy"));
    expect(closedByHanzod).toEqual({ code: 4001, reason: "device removed" });
    // The legacy's rotation is hanzod's too.
    expect((await deviceConnect(hz.url, key, { deviceToken: (byLegacy.payload as { token: string }).token }, {}, scopes)).ok).toBe(true);

    // Another device's connection stays open; an admin's rotation of a device's token withholds it.
    expect(await ask(bystander, "health", {})).toMatchObject({ ok: true });
    const cross = await ask(hanzodConn.admin, "device.token.rotate", { deviceId: other.key.id, role: "operator" });
    expect(cross).toMatchObject({ ok: true, payload: { deviceId: other.key.id, tokenDelivery: "withheld-cross-device" } });
    expect(cross.payload).not.toHaveProperty("token");
    expect(await closedBy(bystander, "the other device, on hanzod")).toEqual({ code: 4001, reason: "device removed" });
    await disconnectedInHanzod(key.id);
    await disconnectedInHanzod(other.key.id);
    for (const who of WHO) await samePairList(who);
  });

  it("a token revoked through hanzod is refused by the running legacy at once, and the device's open connection is closed", async () => {
    const scopes = ["operator.read"];
    const { key, token } = await pairedThroughHanzod(scopes);
    const open = await deviceOpen(hz.url, key, { deviceToken: token }, scopes);
    // A pairing-only caller may not revoke a read token (the caller must hold the token's scopes): an admin.
    expect(await sameRefusal("pairing", "device.token.revoke", { deviceId: key.id, role: "operator" })).toMatchObject({ error: { message: "device token revocation denied" } });
    const revoked = await ask(hanzodConn.admin, "device.token.revoke", { deviceId: key.id, role: "operator" });
    expect(revoked).toEqual({ ok: true, payload: { deviceId: key.id, role: "operator", revokedAtMs: expect.any(Number) } });
    expect(await closedBy(open, "the device, on hanzod")).toEqual({ code: 4001, reason: "device removed" });
    // The legacy words a revoked token's refusal as a mismatch (verify's token-revoked is not told apart).
    expect(await refusedByBoth(key, token, scopes)).toMatchObject({ details: { code: "AUTH_DEVICE_TOKEN_MISMATCH" } });
    await disconnectedInHanzod(key.id);
    for (const who of WHO) await samePairList(who);
  });

  it("a device removed through hanzod is unknown to the running legacy, and its open connection is closed", async () => {
    const scopes = ["operator.read"];
    const { key, token } = await pairedThroughHanzod(scopes);
    const open = await deviceOpen(hz.url, key, { deviceToken: token }, scopes);
    const removed = await ask(hanzodConn.pairing, "device.pair.remove", { deviceId: key.id });
    expect(removed).toEqual({ ok: true, payload: { deviceId: key.id } });
    expect(await closedBy(open, "the device, on hanzod")).toEqual({ code: 4001, reason: "device removed" });
    expect(pairedIds(await samePairList("admin"))).not.toContain(key.id);
    await sameRefusal("admin", "device.pair.remove", { deviceId: key.id });
    expect(await refusedByBoth(key, token, scopes)).toMatchObject({ details: { code: "AUTH_DEVICE_TOKEN_MISMATCH" } });
    expect(pairedIds(await samePairList("admin"))).not.toContain(key.id);
  });

  // ---- node pairing writers through hanzod: node.pair.reject, node.rename (domains/devices/node-pairing.ts) ----

  /**
   * A node-role device connect to the legacy (loopback, shared secret: paired silently as a device), declaring
   * `commands`: the legacy files its surface as a pending node request. The socket is closed once listed.
   */
  async function pendingNodeOnLegacy(commands: string[]): Promise<{ key: Key; requestId: string }> {
    const key = newDeviceKey();
    const s = await openRaw(legacy.url);
    const client = { id: "node-host", version: "1.0.0", platform: "linux", mode: "node", displayName: `np12-${key.id.slice(0, 8)}` };
    s.send(connectFrame({ client, role: "node", scopes: [], caps: [], commands, auth: { token: legacy.token }, device: signedDevice({ key, role: "node", clientId: "node-host", clientMode: "node", scopes: [], token: legacy.token, nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
    const res = await s.next(isRes("c1"));
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    const pending = await until(`node ${key.id}'s pending surface`, async () => ((await ask(legacyConn.admin, "node.pair.list", {})).payload as NodeList).pending.find((p) => p.nodeId === key.id), 15_000, () => "");
    s.close();
    await s.closed;
    return { key, requestId: pending.requestId };
  }

  const resolvedFor = (requestId: string) => (f: { type: string; event?: string; payload?: unknown }) => f.type === "event" && f.event === "node.pair.resolved" && (f.payload as { requestId?: string }).requestId === requestId;
  /** The `node.pair.resolved` events each operator of a runtime got for a request (the reader's: none). */
  async function resolvedEvents(conns: Record<Who, RawSession>, requestId: string): Promise<Record<Who, unknown[]>> {
    await conns.pairing.next(resolvedFor(requestId), 5_000);
    await conns.admin.next(resolvedFor(requestId), 5_000);
    // One round trip on each connection: a broadcast sent with the others has arrived by its answer.
    for (const who of WHO) await ask(conns[who], "health", {});
    return Object.fromEntries(WHO.map((who) => [who, conns[who].frames.filter(resolvedFor(requestId)).map((f) => f.payload)])) as Record<Who, unknown[]>;
  }

  /** An operator of another device, connected with its device token (operator.pairing) to each runtime. */
  async function otherDeviceOperators(): Promise<{ key: Key; legacy: RawSession; hanzod: RawSession }> {
    const scopes = ["operator.pairing"];
    const { key, token } = await pairedThroughHanzod(scopes);
    return { key, legacy: await deviceOpen(legacy.url, key, { deviceToken: token }, scopes), hanzod: await deviceOpen(hz.url, key, { deviceToken: token }, scopes) };
  }

  it("node.pair.reject through hanzod of a node request the legacy filed (and the reverse): the legacy's answers and refusals, node.pair.resolved to the same operators, the request gone for both", async () => {
    const { key, requestId } = await pendingNodeOnLegacy(["canvas.present"]);
    for (const who of WHO) await expectSame(who);
    const other = await otherDeviceOperators();
    // Refusals (none changes state): params, an unknown id, scope; a device-token caller of another device,
    // for this node's request and for an unknown one.
    for (const [who, params] of [["admin", {}], ["admin", { requestId: 5 }], ["admin", { requestId, bogus: 1 }], ["admin", { requestId: "nope" }], ["reader", { requestId }]] as [Who, Record<string, unknown>][]) {
      await sameRefusal(who, "node.pair.reject", params);
    }
    for (const params of [{ requestId }, { requestId: "nope" }]) {
      const { legacy: l, hanzod: h } = await askBoth(() => ask(other.legacy, "node.pair.reject", params), () => ask(other.hanzod, "node.pair.reject", params), "node.pair.reject");
      expect({ params, answer: h }).toEqual({ params, answer: l });
      expect(h).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "node pairing rejection denied" } });
    }
    other.legacy.close();
    other.hanzod.close();
    for (const who of WHO) await expectSame(who);

    const rejected = await ask(hanzodConn.pairing, "node.pair.reject", { requestId });
    expect(rejected).toEqual({ ok: true, payload: { requestId, nodeId: key.id } });
    const byHanzod = await resolvedEvents(hanzodConn, requestId);
    expect(byHanzod).toEqual({ reader: [], pairing: [{ requestId, nodeId: key.id, decision: "rejected", ts: expect.any(Number) }], admin: [byHanzod.pairing[0]] });
    // The legacy sees it gone: the same lists, and the same refusal of a second rejection.
    for (const who of WHO) await expectSame(who);
    expect(((await expectSame("admin")).payload as NodeList).pending.map((p) => p.requestId)).not.toContain(requestId);
    expect(await sameRefusal("admin", "node.pair.reject", { requestId })).toMatchObject({ error: { code: "INVALID_REQUEST", message: "unknown requestId" } });
    // The device itself stays paired (only its node surface request went), as when the legacy rejects.
    expect(pairedIds(await samePairList("admin"))).toContain(key.id);

    // The reverse: a request rejected by the legacy, seen by hanzod; its operators told the same way.
    const second = await pendingNodeOnLegacy(["canvas.present"]);
    for (const who of WHO) await expectSame(who);
    const byLegacyAnswer = await ask(legacyConn.pairing, "node.pair.reject", { requestId: second.requestId });
    expect(byLegacyAnswer).toEqual({ ok: true, payload: { requestId: second.requestId, nodeId: second.key.id } });
    const byLegacy = await resolvedEvents(legacyConn, second.requestId);
    const shape = (events: Record<Who, unknown[]>, id: string, nodeId: string) => JSON.parse(JSON.stringify(events).replaceAll(id, "<request>").replaceAll(nodeId, "<node>").replace(/"ts":\d+/g, '"ts":0')) as unknown;
    expect(shape(byHanzod, requestId, key.id)).toEqual(shape(byLegacy, second.requestId, second.key.id));
    for (const who of WHO) await expectSame(who);
    await sameRefusal("admin", "node.pair.reject", { requestId: second.requestId });
  });

  it("node.rename through hanzod of a node the legacy approved (and the reverse): the legacy's answers and refusals, the new name listed by both", async () => {
    const { key, requestId } = await pendingNodeOnLegacy(["canvas.present"]);
    const approved = await ask(legacyConn.admin, "node.pair.approve", { requestId });
    expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
    for (const who of WHO) await expectSame(who);
    const other = await otherDeviceOperators();
    const cases: [Who, Record<string, unknown>][] = [
      ["admin", {}],
      ["admin", { nodeId: key.id }],
      ["admin", { nodeId: key.id, displayName: "" }],
      ["admin", { nodeId: key.id, displayName: "x", bogus: 1 }],
      ["admin", { nodeId: key.id, displayName: "   " }],
      ["admin", { nodeId: "nope", displayName: "x" }],
      // A node whose surface is not approved (only its device is paired) is unknown.
      ["admin", { nodeId: other.key.id, displayName: "x" }],
      ["reader", { nodeId: key.id, displayName: "x" }],
    ];
    for (const [who, params] of cases) await sameRefusal(who, "node.rename", params);
    const { legacy: l, hanzod: h } = await askBoth(() => ask(other.legacy, "node.rename", { nodeId: key.id, displayName: "x" }), () => ask(other.hanzod, "node.rename", { nodeId: key.id, displayName: "x" }), "node.rename");
    expect(h).toEqual(l);
    expect(h).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "node rename denied" } });
    other.legacy.close();
    other.hanzod.close();
    for (const who of WHO) await expectSame(who);

    const renamed = await ask(hanzodConn.pairing, "node.rename", { nodeId: ` ${key.id} `, displayName: "  renamed by hanzod " });
    expect(renamed).toEqual({ ok: true, payload: { nodeId: key.id, displayName: "renamed by hanzod" } });
    for (const who of WHO) await expectSame(who);
    expect(((await expectSame("admin")).payload as NodeList).paired.find((p) => p.nodeId === key.id)).toMatchObject({ displayName: "renamed by hanzod", approvedAtMs: (approved.payload as { node: { approvedAtMs: number } }).node.approvedAtMs });
    expect(await ask(legacyConn.admin, "node.describe", { nodeId: key.id })).toMatchObject({ ok: true, payload: { displayName: "renamed by hanzod" } });

    // The same rename asked of both (it is idempotent): the same answer; then one by the legacy, listed by hanzod.
    const same = await askBoth(() => ask(legacyConn.pairing, "node.rename", { nodeId: key.id, displayName: "same name" }), () => ask(hanzodConn.pairing, "node.rename", { nodeId: key.id, displayName: "same name" }), "node.rename");
    expect(same.hanzod).toEqual(same.legacy);
    expect(await ask(legacyConn.pairing, "node.rename", { nodeId: key.id, displayName: "renamed by the legacy" })).toEqual({ ok: true, payload: { nodeId: key.id, displayName: "renamed by the legacy" } });
    for (const who of WHO) await expectSame(who);
    expect(((await expectSame("admin")).payload as NodeList).paired.find((p) => p.nodeId === key.id)?.displayName).toBe("renamed by the legacy");
  });

  it("the node host's pending surface (silent device pairing over loopback), then its approved node", async () => {
    hostHome = mkdtempSync(join(tmpdir(), "hanzod-node-host-"));
    // The node CLI has no --token flag: the legacy's token comes from the environment.
    host = spawn(legacy.install.nodeBin, [legacy.install.openclawEntry, "node", "run", "--host", "127.0.0.1", "--port", String(legacy.port), "--display-name", DISPLAY_NAME], {
      env: legacyEnv(legacy.install, { HOME: hostHome, OPENCLAW_GATEWAY_TOKEN: legacy.token }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    host.stdout!.on("data", (d: Buffer) => (hostOutput += d.toString()));
    host.stderr!.on("data", (d: Buffer) => (hostOutput += d.toString()));

    const pending = await until(
      "a pending surface from the node host",
      async () => ((await ask(legacyConn.admin, "node.pair.list", {})).payload as NodeList | undefined)?.pending.find((p) => p.displayName === DISPLAY_NAME),
      90_000,
      () => hostOutput.slice(-1500),
    );
    for (const who of WHO) await expectSame(who);
    const listed = (await expectSame("pairing")).payload as NodeList;
    // The node host declares system.run/system.which: approving it needs an admin.
    expect(listed.pending.find((p) => p.requestId === pending.requestId)).toMatchObject({ nodeId: pending.nodeId, requiredApproveScopes: ["operator.pairing", "operator.admin"] });

    const approved = await ask(legacyConn.admin, "node.pair.approve", { requestId: pending.requestId });
    expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
    const node = await until(
      "the approved node in node.pair.list",
      async () => ((await ask(legacyConn.admin, "node.pair.list", {})).payload as NodeList | undefined)?.paired.find((p) => p.nodeId === pending.nodeId),
      30_000,
      () => hostOutput.slice(-1500),
    );
    for (const who of WHO) await expectSame(who);
    const after = (await expectSame("admin")).payload as NodeList;
    expect(after.paired.find((p) => p.nodeId === node.nodeId)).toMatchObject({ nodeId: pending.nodeId, displayName: DISPLAY_NAME, approvedAtMs: expect.any(Number) });
    // Which of the two outcomes the approved node had (the host's first stats may or may not be stored yet).
    console.info(`[node-pair-list ${release}] approved node compared field for field, ${hasHostStats({ ok: true, payload: after } as Answer) ? "with" : "before"} its host stats`);
    // The node host starts slowly on a loaded machine (its first connect can take over a minute).
  }, 240_000);

  // ---- the node host's connection owned by hanzod (core/nodes.ts, domains/nodes) ----

  /**
   * The host and every process under it (a release may start its node client outside the launcher's group):
   * frozen (SIGSTOP) so an invoke is in flight, then killed so its socket drops.
   */
  const signalHost = (sig: NodeJS.Signals) => {
    if (host?.pid === undefined) return;
    const children = new Map<number, number[]>();
    for (const line of execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).trim().split("\n")) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    const tree = [host.pid];
    for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
    for (const pid of tree) {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  // Each node.invoke is awaited well past its own timeoutMs: on a loaded machine the gateway's timeout answer must
  // be what the test sees, never the test's own wait running out first.
  const invokeWhich = (s: RawSession) => ask(s, "node.invoke", { nodeId: hostNodeId, command: "system.which", params: { bins: ["sh"] }, timeoutMs: 20_000, idempotencyKey: `which-${Date.now()}-${Math.random()}` }, 45_000);
  /** An invoke sent while the node is frozen, then the node killed: what its caller gets. */
  async function invokeWhileNodeDrops(s: RawSession): Promise<Answer> {
    signalHost("SIGSTOP");
    const pending = invokeWhich(s);
    await new Promise((r) => setTimeout(r, 500));
    signalHost("SIGKILL");
    const answer = await pending;
    await new Promise<void>((r) => (host!.exitCode !== null || host!.signalCode !== null ? r() : host!.once("exit", () => r())));
    return answer;
  }
  let hostNodeId = "";
  /** Timestamps differ between two connections of the same node; everything else must not. */
  const TIMES = new Set(["ts", "connectedAtMs", "lastConnectedAtMs", "lastDisconnectedAtMs", "lastSeenAtMs"]);

  // ---- node.invoke system.run.prepare / system.run (issue #12 stage 1) ----
  const ECHO = "/usr/bin/echo";
  /** The node host's own exec approval policy (on its own state dir): one that asks for every run, one that runs without asking. */
  type Policy = "asks" | "runs";
  const POLICY_FILES: Record<Policy, Record<string, unknown>> = {
    asks: { version: 1, defaults: { security: "full", ask: "always", askFallback: "deny" } },
    runs: { version: 1, defaults: { security: "full", ask: "off", askFallback: "deny" } },
  };
  const runCall = (s: RawSession, command: string, params: Record<string, unknown>) => ask(s, "node.invoke", { nodeId: hostNodeId, command, params, timeoutMs: 30_000, idempotencyKey: `run-${Date.now()}-${Math.random()}` }, 55_000);
  /** The same system.run calls asked of whichever runtime holds the node, each under a node policy. */
  const SYSTEM_RUN_CASES: Array<[string, Policy, string, Record<string, unknown>]> = [
    ["prepare", "runs", "system.run.prepare", { command: [ECHO, "hanzod sysrun"], rawCommand: `${ECHO} "hanzod sysrun"` }],
    ["runs", "runs", "system.run", { command: [ECHO, "hanzod sysrun"], suppressNotifyOnExit: true, timeoutMs: 20_000 }],
    ["forged approval fields dropped (approved false)", "runs", "system.run", { command: [ECHO, "forged"], approved: false, turnSourceChannel: "x", suppressNotifyOnExit: true }],
    ["invalid approval source", "runs", "system.run", { command: [ECHO, "x"], approvalSource: "operator", suppressNotifyOnExit: true }],
    ["approval source with explicit approval", "runs", "system.run", { command: [ECHO, "x"], approvalSource: "ask-fallback", approved: true, suppressNotifyOnExit: true }],
    ["approval without runId", "runs", "system.run", { command: [ECHO, "x"], approved: true, suppressNotifyOnExit: true }],
    ["approval with an unknown runId", "runs", "system.run", { command: [ECHO, "x"], approved: true, runId: "r1", suppressNotifyOnExit: true }],
    ["rawCommand without command", "runs", "system.run", { rawCommand: "echo x", suppressNotifyOnExit: true }],
    ["denied (the node asks)", "asks", "system.run", { command: [ECHO, "x"], suppressNotifyOnExit: true, timeoutMs: 20_000 }],
  ];
  /**
   * The node's policy rows as the node host itself wrote them when the legacy set each policy (exec.approvals.node.set);
   * with hanzod holding the node (which does not serve exec.approvals.node.*), the same rows are put back in the
   * node's own state DB, which the host reads on every run.
   */
  const policyRows: Partial<Record<Policy, Record<string, unknown>>> = {};
  const hostDb = () => openSqlite(join(hostHome!, ".openclaw", STATE_DB_RELATIVE), { fileMustExist: true });
  async function policyThroughLegacy(policy: Policy): Promise<void> {
    const current = await ask(legacyConn.admin, "exec.approvals.node.get", { nodeId: hostNodeId });
    expect(current.ok, JSON.stringify(current.error)).toBe(true);
    const set = await ask(legacyConn.admin, "exec.approvals.node.set", { nodeId: hostNodeId, file: POLICY_FILES[policy], baseHash: (current.payload as { hash?: string }).hash });
    expect(set.ok, JSON.stringify(set.error)).toBe(true);
    const db = hostDb();
    try {
      policyRows[policy] = db.prepare("SELECT * FROM exec_approvals_config").get() as Record<string, unknown>;
    } finally {
      db.close();
    }
  }
  function policyInNodeDb(policy: Policy): void {
    const row = policyRows[policy]!;
    const db = hostDb();
    try {
      const cols = Object.keys(row);
      db.prepare("DELETE FROM exec_approvals_config").run();
      db.prepare(`INSERT INTO exec_approvals_config (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`).run(row);
    } finally {
      db.close();
    }
  }
  async function systemRunAnswers(s: RawSession, setPolicy: (p: Policy) => Promise<void> | void): Promise<Record<string, Answer>> {
    const out: Record<string, Answer> = {};
    let current: Policy | undefined;
    for (const [name, policy, command, params] of SYSTEM_RUN_CASES) {
      if (policy !== current) await setPolicy((current = policy));
      out[name] = await runCall(s, command, params);
    }
    return out;
  }

  // ---- an approved system.run end to end (issue #12): prepare, exec.approval.request, resolve, the approved run ----
  const APPROVED = [ECHO, "hanzod approved"];
  const OTHER = [ECHO, "hanzod not approved"];
  /** The argv's text as the legacy's exec tool sends it (formatExecCommand: words with spaces quoted). */
  const formatExecCommand = (argv: string[]) => argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ");
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  const MASKED_TIMES = new Set(["createdAtMs", "expiresAtMs", "ts", "created_at_ms", "expires_at_ms", "updated_at_ms", "resolved_at_ms", "consumed_at_ms"]);
  /** Ids and times masked (each runtime mints its own); what stays must be equal between the runtimes. */
  const maskIds = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (MASKED_TIMES.has(k) && typeof x === "number" ? "<t>" : x)).replace(UUID, "<id>")) as unknown;
  /** The operator_approvals rows of these ids (each runtime writes its own under its epoch; both in the legacy's state DB). */
  function approvalRows(ids: string[]): Record<string, unknown>[] {
    const db = openSqlite(join(legacy.stateDir, STATE_DB_RELATIVE), { readonly: true, fileMustExist: true });
    try {
      return ids.map((id) => {
        const { runtime_epoch: epoch, resolution_ref: ref, ...row } = db.prepare("SELECT * FROM operator_approvals WHERE approval_id = ?").get(id) as Record<string, unknown>;
        return { ...row, epoch: typeof epoch, ref: typeof ref === "string" && /^[A-Za-z0-9_-]{43}$/.test(ref) ? "<43 chars>" : ref };
      });
    } finally {
      db.close();
    }
  }
  let chainSeq = 0;
  /**
   * What a requester does when the node asks for every run (the legacy's exec tool, host=node: bash-tools
   * prepareNodeSystemRun, registerExecApprovalRequest, buildNodeSystemRunInvoke): system.run.prepare, then
   * exec.approval.request twoPhase with the prepared plan and an explicit id, resolved allow-once by a separate
   * approval client (the requester's own connection is not sent the request), then system.run with approved /
   * allow-once / runId = the approval id, run by the node host. Then the consumed id reused (refused), and a
   * second approval redeemed by a run naming another command and plan (the gateway runs the approved plan).
   * The transcript (answers, events, stored rows) with ids and times masked; the requester is `requester`.
   */
  async function approvedRunChain(url: string, token: string, requester: RawSession, setPolicy: (p: Policy) => Promise<void> | void) {
    await setPolicy("asks");
    const approver = (await connectOperator(url, token, ["operator.admin"], { id: "cli", version: "1", platform: "linux", mode: "cli", displayName: "Approver" }, { caps: ["exec-approvals"] })).s;
    try {
      const send = (method: string, params: unknown): string => {
        const id = `chain${++chainSeq}`;
        requester.send({ type: "req", id, method, params });
        return id;
      };
      const answer = async (reqId: string, final: boolean): Promise<Answer> => {
        const f = await requester.next((x) => x.type === "res" && x.id === reqId && (!final || (x.payload as { status?: string } | undefined)?.status !== "accepted"), 20_000, `exec.approval.request ${reqId}`);
        return { ok: f.ok === true, payload: f.payload, error: f.error };
      };
      const event = async (name: string, id: string) => (await approver.next((f) => f.type === "event" && f.event === name && (f.payload as { id?: string }).id === id, 20_000, `${name} ${id}`)).payload;
      const prepare = await runCall(requester, "system.run.prepare", { command: APPROVED, rawCommand: formatExecCommand(APPROVED) });
      expect(prepare.ok, JSON.stringify(prepare.error)).toBe(true);
      const prepared = (prepare.payload as { payload: { plan: Record<string, unknown> & { argv: string[]; commandText: string; cwd: string | null; agentId: string | null }; execPolicy: { security: string; ask: string } } }).payload;
      const plan = prepared.plan;
      const where = { ...(plan.cwd ? { cwd: plan.cwd } : {}), ...(plan.agentId ? { agentId: plan.agentId } : {}) };
      /** One approval of the plan, resolved allow-once by the approver: its id and what each side saw. */
      const approve = async () => {
        const id = randomUUID();
        const reqId = send("exec.approval.request", { id, systemRunPlan: plan, nodeId: hostNodeId, host: "node", security: prepared.execPolicy.security, ask: prepared.execPolicy.ask, ...where, timeoutMs: 120_000, twoPhase: true });
        const accepted = await answer(reqId, false);
        expect(accepted.ok, JSON.stringify(accepted.error)).toBe(true);
        const requested = await event("exec.approval.requested", id);
        const resolve = await ask(approver, "exec.approval.resolve", { id, decision: "allow-once" });
        const resolved = await event("exec.approval.resolved", id);
        const decided = await answer(reqId, true);
        const requesterSentRequested = requester.frames.some((f) => f.type === "event" && f.event === "exec.approval.requested" && (f.payload as { id?: string }).id === id);
        return { id, seen: { accepted, requested, resolve, resolved, decided, requesterSentRequested } };
      };
      const approvedParams = (runId: string, argv: string[], p: Record<string, unknown>) => ({ command: argv, rawCommand: formatExecCommand(argv), systemRunPlan: p, ...where, timeoutMs: 20_000, approved: true, approvalDecision: "allow-once", runId, suppressNotifyOnExit: true });
      const first = await approve();
      const run = await runCall(requester, "system.run", approvedParams(first.id, plan.argv, plan));
      const reused = await runCall(requester, "system.run", approvedParams(first.id, plan.argv, plan));
      const second = await approve();
      const otherCommand = await runCall(requester, "system.run", approvedParams(second.id, OTHER, { ...plan, argv: OTHER, commandText: formatExecCommand(OTHER) }));
      const rows = approvalRows([first.id, second.id]);
      return { ids: [first.id, second.id], transcript: maskIds({ prepare, first: first.seen, run, reused, second: second.seen, otherCommand, rows }) as Record<string, unknown> };
    } finally {
      approver.close();
    }
  }

  it("the same node host, moved to hanzod with its pairing: listed like the legacy lists it, its connection and host stats written to the legacy's row, node.invoke system.which answered by the node, an in-flight invoke ended as the legacy ends it when the node drops", async () => {
    const listedBy = async (s: RawSession) => ((await ask(s, "node.list", {})).payload as { nodes?: Array<Record<string, unknown>> } | undefined)?.nodes?.find((n) => n.displayName === DISPLAY_NAME);
    const pairedRow = async () => ((await ask(legacyConn.admin, "node.pair.list", {})).payload as NodeList).paired.find((p) => p.nodeId === hostNodeId);
    // On the legacy first (the host from the previous case): its view of the connected node and of system.which.
    const onLegacy = await until("the node connected in the legacy's node.list", async () => { const n = await listedBy(legacyConn.admin); return n?.connected === true ? n : undefined; }, 30_000, () => hostOutput.slice(-1500));
    hostNodeId = onLegacy.nodeId as string;
    const legacyDescribe = await ask(legacyConn.admin, "node.describe", { nodeId: hostNodeId });
    const whichOnLegacy = await until("system.which on the legacy", async () => { const a = await invokeWhich(legacyConn.admin); return a.ok ? a : undefined; }, 30_000, () => hostOutput.slice(-1500));
    const runsOnLegacy = await systemRunAnswers(legacyConn.admin, policyThroughLegacy);
    const chainStarted = Date.now();
    const chainOnLegacy = await approvedRunChain(legacy.url, legacy.token, legacyConn.admin, policyThroughLegacy);
    const legacyChainMs = Date.now() - chainStarted;
    const droppedOnLegacy = await invokeWhileNodeDrops(legacyConn.admin);
    expect(droppedOnLegacy).toMatchObject({ ok: false, error: { code: "UNAVAILABLE" } });

    // The same node host (same HOME: device identity and device token) connects to hanzod alone.
    hostOutput = "";
    host = spawn(legacy.install.nodeBin, [legacy.install.openclawEntry, "node", "run", "--host", "127.0.0.1", "--port", String(hz.port), "--display-name", DISPLAY_NAME], {
      env: legacyEnv(legacy.install, { HOME: hostHome!, OPENCLAW_GATEWAY_TOKEN: "t" }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    host.stdout!.on("data", (d: Buffer) => (hostOutput += d.toString()));
    host.stderr!.on("data", (d: Buffer) => (hostOutput += d.toString()));
    // The node host starts slowly on a loaded machine (tens of seconds before its first connect).
    const onHanzod = await until("the node connected in hanzod's node.list", async () => { const n = await listedBy(hanzodConn.admin); return n?.connected === true ? n : undefined; }, 180_000, () => hostOutput.slice(-1500));
    // Its start-up calls answered: connected, its runner inventory published (it retries a refusal every few seconds).
    await until("the node host's start-up", async () => (hostOutput.includes("node host gateway connected") ? true : undefined), 30_000, () => hostOutput.slice(-1500));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(hostOutput).not.toMatch(/publish failed|GatewayClientRequestError/);
    // Host stats (2026.9.6) are live values: their presence is compared, not their numbers.
    const comparable = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !TIMES.has(k) && k !== "hostStats"));
    expect({ node: comparable(onHanzod) }).toEqual({ node: comparable(onLegacy) });
    const hanzodDescribe = await ask(hanzodConn.admin, "node.describe", { nodeId: hostNodeId });
    expect({ ok: hanzodDescribe.ok, node: comparable(hanzodDescribe.payload as Record<string, unknown>) }).toEqual({ ok: legacyDescribe.ok, node: comparable(legacyDescribe.payload as Record<string, unknown>) });
    // What hanzod wrote is the legacy's truth: its node.pair.list shows hanzod's connect time (and host stats).
    const hostStats = release === "2026.9.1" ? undefined : await until("host stats from the node", async () => (await listedBy(hanzodConn.admin))?.hostStats as Record<string, unknown> | undefined, 90_000, () => hostOutput.slice(-1500));
    const row = await pairedRow();
    expect(row).toMatchObject({ lastConnectedAtMs: onHanzod.connectedAtMs, ...(hostStats ? { lastHostStats: hostStats } : {}) });
    expect(row?.lastDisconnectedAtMs).toBeUndefined();

    // Refusals before any node is asked: the legacy's words.
    for (const params of [{}, { nodeId: hostNodeId }, { nodeId: hostNodeId, command: "worker.launch.v1", idempotencyKey: "k" }, { nodeId: hostNodeId, command: "system.execApprovals.get", idempotencyKey: "k" }, { nodeId: " ", command: "system.which", idempotencyKey: "k" }]) {
      const { legacy: l, hanzod: h } = await askBoth(() => ask(legacyConn.admin, "node.invoke", params), () => ask(hanzodConn.admin, "node.invoke", params), "node.invoke");
      expect({ params, answer: h }).toEqual({ params, answer: l });
    }
    for (const who of ["reader", "pairing"] as const) {
      const params = { nodeId: hostNodeId, command: "system.which", params: { bins: ["sh"] }, idempotencyKey: "k" };
      const { legacy: l, hanzod: h } = await askBoth(() => ask(legacyConn[who], "node.invoke", params), () => ask(hanzodConn[who], "node.invoke", params), "node.invoke");
      expect({ who, answer: h }).toEqual({ who, answer: l });
    }

    const whichOnHanzod = await invokeWhich(hanzodConn.admin);
    expect(whichOnHanzod).toEqual(whichOnLegacy);
    expect(typeof (whichOnHanzod.payload as { payload: { bins: Record<string, unknown> } }).payload.bins.sh).toBe("string");

    // system.run.prepare and system.run through hanzod: the node host's own answers, the legacy's refusals.
    const runsOnHanzod = await systemRunAnswers(hanzodConn.admin, policyInNodeDb);
    expect(runsOnHanzod).toEqual(runsOnLegacy);
    expect(runsOnHanzod.prepare, JSON.stringify(runsOnHanzod.prepare)).toMatchObject({ ok: true, payload: { command: "system.run.prepare", payload: { plan: { argv: [ECHO, "hanzod sysrun"] } } } });
    expect(runsOnHanzod["denied (the node asks)"]).toEqual({ ok: false, error: { code: "UNAVAILABLE", message: "SYSTEM_RUN_DENIED: SYSTEM_RUN_DENIED: approval required", details: { nodeError: { code: "SYSTEM_RUN_DENIED", message: "SYSTEM_RUN_DENIED: approval required" }, nodeCommandDispatched: true } } });
    expect(runsOnHanzod.runs, JSON.stringify(runsOnHanzod.runs)).toMatchObject({ ok: true, payload: { payload: { success: true, exitCode: 0, stdout: "hanzod sysrun\n" } } });
    expect(runsOnHanzod["approval without runId"]).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", details: { code: "MISSING_RUN_ID" } } });
    // The node's exec.denied/exec.finished for those runs were matched (the host logs no failed event).
    expect(hostOutput).not.toMatch(/publish failed|GatewayClientRequestError|unmatched/);
    // An approval id no runtime holds: refused by hanzod's binder as the legacy refuses it (compared above).
    expect(runsOnHanzod["approval with an unknown runId"]).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", details: { code: "UNKNOWN_APPROVAL_ID" } } });
    // Left to the legacy (declined): a run whose end the legacy would queue as a system event in an agent
    // session (notifyOnExit on, not suppressed).
    for (const params of [{ command: [ECHO, "x"] }]) {
      const answer = await runCall(hanzodConn.admin, "system.run", params);
      expect({ params, answer }).toMatchObject({ params, answer: { ok: false, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } } } });
    }

    // The approved run end to end, held by hanzod (approval record, binding, consumption), as the legacy does it.
    const hanzodChainStarted = Date.now();
    const chainOnHanzod = await approvedRunChain(hz.url, "t", hanzodConn.admin, policyInNodeDb);
    console.info(`[node-pair-list ${release}] approved system.run chain: ${legacyChainMs} ms on the legacy, ${Date.now() - hanzodChainStarted} ms on hanzod`);
    expect(chainOnHanzod.transcript).toEqual(chainOnLegacy.transcript);
    expect(chainOnHanzod.transcript, JSON.stringify(chainOnHanzod.transcript)).toMatchObject({
      first: { accepted: { ok: true, payload: { status: "accepted", deliveryRoute: "approval-client" } }, resolve: { ok: true, payload: { ok: true } }, decided: { ok: true, payload: { decision: "allow-once" } }, requesterSentRequested: false },
      run: { ok: true, payload: { payload: { success: true, exitCode: 0, stdout: "hanzod approved\n" } } },
      reused: { ok: false, error: { code: "INVALID_REQUEST", message: "approval required", details: { code: "APPROVAL_REQUIRED", runId: "<id>" } } },
      // Not refused: the gateway forwards the approved plan's command, plan and text in place of the caller's.
      otherCommand: { ok: true, payload: { payload: { success: true, exitCode: 0, stdout: "hanzod approved\n" } } },
      rows: [{ status: "allowed", decision: "allow-once", consumed_at_ms: "<t>" }, { status: "allowed", decision: "allow-once", consumed_at_ms: "<t>" }],
    });
    // Each runtime wrote its own rows (hanzod's under its own epoch).
    expect(chainOnHanzod.ids).not.toEqual(chainOnLegacy.ids);

    const droppedOnHanzod = await invokeWhileNodeDrops(hanzodConn.admin);
    expect(droppedOnHanzod).toEqual(droppedOnLegacy);
    expect(droppedOnHanzod).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: "DISCONNECTED: node disconnected (system.which)" } });
    // Gone from hanzod's registry (listed as paired, not connected), its disconnect written to the legacy's row.
    expect(await listedBy(hanzodConn.admin)).toMatchObject({ connected: false, paired: true });
    expect(await pairedRow()).toMatchObject({ lastConnectedAtMs: onHanzod.connectedAtMs, lastDisconnectedAtMs: expect.any(Number) });
    // node.pair.list and device.pair.list with the node's stored host stats (2026.9.6, awaited above): answered by
    // hanzod as the legacy reads the row.
    expect(hasHostStats(await expectSame("admin"))).toBe(release !== "2026.9.1");
    await samePairList("admin");
  }, 420_000);
});
