/**
 * The legacy's own Control UI, loaded through the proxy in headless Chromium, with hanzod owning the
 * handshake and with legacy owning it (phase 1 on hanzod, everything else on legacy, as in a phase 1
 * migration). The UI compares the build it was loaded from with hello-ok's server identity, hides what
 * hello-ok's discovery lists lack, and reads its start-up state from the snapshot: through the proxy it
 * must connect once, stay connected, show no "Server updated" banner and get an answer to every
 * start-up request, wherever the routing sends it. Then hello-ok itself: the one a client receives with
 * hanzod owning auth matches the one with legacy owning auth, field by field after the default noise
 * rules, for the Control UI, the openclaw CLI and the node host.
 *
 * Its own legacy gateway (stopped by PID): one with a model configured, so the UI opens its chat home
 * rather than the first-run model setup (the shared legacy has none), and so presence parity is not
 * disturbed by other test files. The model's provider is a loopback address nothing answers on; no
 * request reaches it at start-up.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_RULES, compareAnswers } from "../../parity/compare/index.js";
import { ACTIVITY_NOTICE_METHOD, REPO_ROOT, activityNoticeProof, compareReleases, decodeFrame } from "../../protocol/index.js";
import { connectFrame, isRes, newDeviceKey, openRaw, request, signedDevice } from "../../hanzod/test/helpers.js";
import { runOpenclawCli, startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../../hanzod/index.js";
import { ChromiumPage, ensureChromium } from "../../test/chromium-page.js";
import { settle } from "../../test/control-ui-state.js";
import { startProxy, type ConnectionTap, type FrameTap, type RunningProxy } from "../index.js";
import type { Backend } from "../tap.js";
import { checklistFile, metricValue } from "./support.js";
import { spawnNodeHost } from "./node-host-run.js";
import { connectClient, payloadOf } from "./ws-client.js";

const shared = inject("legacy");
const OWNERS = ["hanzod", "legacy"] as const;

/**
 * What a legacy release gives only to a person's own connection, which the proxy's brokered legacy leg
 * cannot be while hanzod owns auth: that leg takes the legacy's loopback backend path (gateway-client,
 * shared token), so it has no browser origin and no person's profile.
 * - 2026.9.6's mention Inbox (`mentions.list`, which the UI asks for once hello-ok's presence names its
 *   user, `mentions.dismiss`, the `mentions.changed` event) is the person's own view: hanzod serves it on
 *   the legacy's state (hanzod/domains/mentions) and the routing sends it to the auth owner
 *   (AUTH_BOUND_METHODS), so with either owner the UI's request is answered and the event is listed.
 *   Checked below: no failed start-up request, and mentions.list answered by the auth owner.
 * - Closed (issue 13 gap 2): 2026.9.6 stamps a client's presence row with `lastActivityAt` when it declares
 *   watched sessions; `sessions.viewers.set` goes to both runtimes (proxy/mirror.ts) and hanzod stamps it too,
 *   so the CLI, connecting after the UI, sees the UI's row with it (and, the UI gone, without its
 *   `watchedSessions`, which a disconnect clears on both).
 *   A `session.typing` the legacy accepts is activity too: the proxy then sends hanzod its activity notice
 *   (proxy/activity.ts), checked by the session.typing case below.
 * - Still open: 2026.9.6 lists `mcp.authLogin` only for a connection with a browser origin (its handler
 *   starts a browser sign-in bound to that connection's origin), which the brokered leg lacks.
 * Listed per release so this test fails when a gap closes or a new one opens.
 */
interface HelloGaps {
  /** Discovery entries the legacy lists for this client and hanzod-owned hello-ok does not. */
  methods: string[];
  events: string[];
  /** Presence row fields the legacy has and hanzod lacks. */
  presenceFields: string[];
}
interface BrokeredLegGaps {
  /** The Control UI's start-up requests answered with an error when hanzod owns auth. */
  failedRequests: string[];
  /** Per client of the hello-ok comparison (by its name there). */
  hello: Record<string, HelloGaps>;
}
const BROKERED_LEG_GAPS: Record<string, BrokeredLegGaps> = {
  "2026.9.6": {
    failedRequests: [],
    hello: {
      "Control UI": { methods: ["mcp.authLogin"], events: [], presenceFields: [] },
      CLI: { methods: [], events: [], presenceFields: [] },
    },
  },
};
const NO_HELLO_GAPS: HelloGaps = { methods: [], events: [], presenceFields: [] };
const gapsOf = (version: string): BrokeredLegGaps => BROKERED_LEG_GAPS[version] ?? { failedRequests: [], hello: {} };
type Owner = (typeof OWNERS)[number];

/** A model on a loopback provider nothing listens on: "configured" is all the UI needs. */
const MODEL_CONFIG = {
  models: {
    providers: {
      vllm: {
        baseUrl: "http://127.0.0.1:9/v1",
        apiKey: "test-key",
        api: "openai-completions",
        models: [{ id: "test-model", name: "Test model", reasoning: false, input: ["text"], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 32000, maxTokens: 4096 }],
      },
    },
  },
  agents: { defaults: { model: { primary: "vllm/test-model" } } },
};

/** Start-up requests of the 2026.9.1 UI, across the routing: phase 1 (system.info) on hanzod, the rest on legacy. */
const STARTUP = ["sessions.subscribe", "config.get", "update.status", "agents.list", "plugin.surface.refresh", "system.info", "chat.startup", "models.authStatus", "sessions.messages.subscribe"];
/** A release's start-up requests: 2026.9.6's UI also reads the person's mention Inbox (its presence names a user). */
const startupOf = (version: string): string[] => (version === "2026.9.6" ? [...STARTUP, "mentions.list"] : STARTUP);

const OUTPUT_DIR = join(REPO_ROOT, "test-output");

interface SeenHello {
  clientId: string;
  role: string;
  /** The device the client connected with (each run's browser profile and node host HOME is a new one). */
  deviceId: string | undefined;
  payload: Record<string, unknown>;
}

/** Records the hello-ok each client connection of a proxy received (after the proxy assembled it). */
class HelloTap implements FrameTap {
  readonly hellos: SeenHello[] = [];
  /** Each client request after the handshake: which backend it went to and which answered it (ok or not). */
  readonly requests: Array<{ clientId: string; method: string; sentTo: Backend | undefined; answer?: { by: Backend | undefined; ok: boolean } }> = [];
  open(): ConnectionTap {
    let connect: { id: string; clientId: string; role: string; deviceId: string | undefined } | undefined;
    const byId = new Map<string, (typeof this.requests)[number]>();
    return {
      frame: (direction, data, isBinary, backend) => {
        if (isBinary) return;
        const d = decodeFrame(typeof data === "string" ? Buffer.from(data) : data);
        if (!d.ok) return;
        const f = d.frame;
        if (connect !== undefined && direction === "c2s" && f.type === "req" && f.method !== "connect") {
          const r = { clientId: connect.clientId, method: f.method, sentTo: backend };
          this.requests.push(r);
          byId.set(f.id, r);
        } else if (direction === "s2c" && f.type === "res" && byId.has(f.id)) {
          byId.get(f.id)!.answer = { by: backend, ok: f.ok };
          byId.delete(f.id);
        }
        if (direction === "c2s" && f.type === "req" && f.method === "connect" && connect === undefined) {
          const p = (f.params ?? {}) as { client?: { id?: string }; role?: string; device?: { id?: string } };
          connect = { id: f.id, clientId: p.client?.id ?? "?", role: p.role ?? "operator", deviceId: p.device?.id };
        } else if (direction === "s2c" && f.type === "res" && connect !== undefined && f.id === connect.id && f.ok) {
          this.hellos.push({ clientId: connect.clientId, role: connect.role, deviceId: connect.deviceId, payload: f.payload as Record<string, unknown> });
        }
      },
      close: () => undefined,
    };
  }
  async close(): Promise<void> {}
  last(clientId: string, role = "operator"): SeenHello | undefined {
    return this.hellos.filter((h) => h.clientId === clientId && h.role === role).at(-1);
  }
}

describe("the legacy's Control UI through the proxy (headless Chromium)", () => {
  let chromium: string;
  let gw: LegacyGateway;
  let hanzod: HanzodHandle;
  const proxies = {} as Record<Owner, RunningProxy>;
  const taps = { hanzod: new HelloTap(), legacy: new HelloTap() } as Record<Owner, HelloTap>;
  const files = OWNERS.map((owner) => checklistFile(["version: 1", `authOwner: ${owner}`, "nodeOwner: legacy", "default: legacy", "phases:", "  phase1: hanzod"].join("\n")));

  beforeAll(async () => {
    chromium = ensureChromium();
    gw = await startLegacyGateway({ version: shared.version, config: MODEL_CONFIG, log: () => undefined });
    // The legacy's token, the proxy trusted on loopback, and the legacy's own state dir (one truth: the
    // person's mention Inbox and the owner's profile are read from the legacy's state).
    // ownsProcessExit: as the CLI's hanzod that `hanzonode up` runs beside a `gateway run` legacy (the handoff
    // test below arms a suspension; nothing here sends the stop signal that would consume it).
    hanzod = await startHanzod({ port: 0, auth: { mode: "token", token: gw.token }, stateDir: gw.stateDir, trustedProxies: ["127.0.0.1", "::1"], compat: gw.version, ownsProcessExit: true, logger: false });
    for (const [i, owner] of OWNERS.entries()) {
      proxies[owner] = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: gw.url, legacyToken: gw.token, hanzodUrl: hanzod.url, hanzodToken: gw.token, checklistPath: files[i]!.path, tap: taps[owner], logLevel: "silent" });
    }
    mkdirSync(OUTPUT_DIR, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    for (const owner of OWNERS) await proxies[owner]?.close();
    await hanzod?.close();
    await gw?.stop();
    for (const f of files) f.dispose();
  }, 60_000);

  it.each(OWNERS)("authOwner %s: one connection, connected, no 'Server updated' banner, every start-up request answered", async (owner) => {
    const proxy = proxies[owner];
    const page = await ChromiumPage.launch(chromium);
    try {
      await page.navigate(`http://127.0.0.1:${proxy.port}/#token=${encodeURIComponent(gw.token)}`);
      const state = await settle(page, startupOf(gw.version));
      const shot = join(OUTPUT_DIR, `control-ui-authOwner-${owner}.png`);
      writeFileSync(shot, await page.screenshot());
      console.log(`Control UI through the proxy (authOwner ${owner}): screenshot ${shot}`);

      // One page load and one gateway connection: no reload loop.
      const why = JSON.stringify({ navigations: page.navigations, failedRequests: page.failedRequests, exceptions: page.consoleErrors });
      expect(page.navigations, `main-frame navigations ${why}`).toHaveLength(1);
      expect(page.sockets.size, "WebSockets the page opened").toBe(1);
      // The UI's own connection state (its "Online"), and nothing of the refresh/offline states on screen.
      expect(state.phase).toBe("connected");
      const text = await page.text();
      for (const banned of ["Server updated", "Refresh for full capabilities", "Offline", "Reconnecting…"]) expect(text, `page text contains "${banned}"`).not.toContain(banned);
      // Every start-up request got its answer, none an error.
      expect(state.unanswered, "requests without an answer").toEqual([]);
      expect(state.failed, "requests answered with an error").toEqual(owner === "hanzod" ? gapsOf(gw.version).failedRequests : []);
      for (const m of startupOf(gw.version)) expect(state.sent, `start-up request ${m}`).toContain(m);
      // ...wherever the routing sent it: system.info to hanzod, config.get to legacy.
      expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "system.info", backend: "hanzod", outcome: "ok" })).toBeGreaterThanOrEqual(1);
      expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "config.get", backend: "legacy", outcome: "ok" })).toBeGreaterThanOrEqual(1);
      // 2026.9.6's mention Inbox (the person's own view): answered by the backend holding the UI's connection.
      // (Checked through the tap: it shows which backend the UI's own request reached.)
      if (startupOf(gw.version).includes("mentions.list")) {
        const asked = taps[owner].requests.filter((r) => r.clientId === "openclaw-control-ui" && r.method === "mentions.list");
        expect(asked.length, "mentions.list through the proxy").toBeGreaterThanOrEqual(1);
        for (const r of asked) expect(r, "mentions.list sent to and answered by the auth owner").toMatchObject({ sentTo: owner, answer: { by: owner, ok: true } });
      }
      // The identity it got is the build that served its assets.
      const hello = taps[owner].last("openclaw-control-ui");
      expect((hello?.payload.server as { buildId?: string }).buildId).toMatch(/-release-/);
    } finally {
      await page.close();
    }
  }, 240_000);

  it("hello-ok with authOwner hanzod matches authOwner legacy after noise: Control UI, CLI, node host", async () => {
    // The CLI: a real `openclaw gateway call` through each proxy.
    for (const owner of OWNERS) {
      const run = await runOpenclawCli(gw.install, ["gateway", "call", "health", "--url", proxies[owner].url, "--token", gw.token, "--json"], { env: { VITEST: "" } });
      expect(run.code, run.stderr).toBe(0);
    }
    // The node host: its connection is pinned to the node owner (legacy) under both auth owners.
    // One node host HOME for both runs: the same device, as one machine would reconnect through either setup.
    const legacyInfo = { ...shared, url: gw.url, httpUrl: gw.httpUrl, port: gw.port, token: gw.token, pid: gw.pid, nodeBin: gw.install.nodeBin, openclawEntry: gw.install.openclawEntry };
    const nodeHome = mkdtempSync(join(tmpdir(), "control-ui-node-host-"));
    try {
      for (const owner of OWNERS) {
        const host = await spawnNodeHost(legacyInfo, proxies[owner].port, `control-ui-node-${process.pid}`, nodeHome);
        try {
          await expect.poll(() => taps[owner].hellos.some((h) => h.role === "node"), { timeout: 90_000, interval: 250 }).toBe(true);
        } finally {
          await host.stop();
        }
      }
    } finally {
      rmSync(nodeHome, { recursive: true, force: true });
    }
    // Each UI run is a new browser profile, so a new device: one client in the same role, under two ids.
    const browserDevices = OWNERS.map((o) => taps[o].last("openclaw-control-ui")?.deviceId).filter((d): d is string => d !== undefined);

    const clients: Array<{ name: string; clientId: string; role: string }> = [
      { name: "Control UI", clientId: "openclaw-control-ui", role: "operator" },
      { name: "CLI", clientId: "cli", role: "operator" },
      { name: "node host", clientId: "node-host", role: "node" },
    ];
    for (const c of clients) {
      const byHanzod = c.role === "node" ? taps.hanzod.hellos.find((h) => h.role === "node") : taps.hanzod.last(c.clientId, c.role);
      const byLegacy = c.role === "node" ? taps.legacy.hellos.find((h) => h.role === "node") : taps.legacy.last(c.clientId, c.role);
      expect(byHanzod, `${c.name}: hello-ok with authOwner hanzod`).toBeDefined();
      expect(byLegacy, `${c.name}: hello-ok with authOwner legacy`).toBeDefined();
      const a = sameDevice(byLegacy!, browserDevices);
      const b = sameDevice(byHanzod!, browserDevices);
      const diffs = compareAnswers({ type: "res", id: "connect", ok: true, payload: a }, { type: "res", id: "connect", ok: true, payload: b }, DEFAULT_RULES, { method: "connect" });
      const gaps = gapsOf(gw.version).hello[c.name] ?? NO_HELLO_GAPS;
      const gapFields = gaps.presenceFields;
      const isGap = (d: { kind: string; path: string }) => d.kind === "missing" && gapFields.some((f) => new RegExp(`^/snapshot/presence/\\d+/${f}$`).test(d.path));
      expect(diffs.filter((d) => !isGap(d)), `${c.name}: differences after noise`).toEqual([]);
      expect([...new Set(diffs.filter(isGap).map((d) => d.path.split("/").pop()))], `${c.name}: the listed presence gaps`).toEqual(gapFields);
      // Field by field, beyond what the default rules let be optional or typed only: the same fields
      // in every part, and the same discovery lists.
      for (const part of [undefined, "server", "snapshot", "policy", "auth"] as const) {
        expect(keysOf(b, part), `${c.name}: keys of ${part ?? "hello-ok"}`).toEqual(keysOf(a, part));
      }
      // The same discovery lists, but for the brokered leg's listed gaps (none for a node: its connection
      // goes to the legacy itself).
      const fa = a.features as { methods: string[]; events: string[] };
      const fb = b.features as { methods: string[]; events: string[] };
      expect(fa.methods.filter((m) => !fb.methods.includes(m)), `${c.name}: methods only the legacy lists`).toEqual(gaps.methods);
      expect(fa.events.filter((e) => !fb.events.includes(e)), `${c.name}: events only the legacy lists`).toEqual(gaps.events);
      const without = (xs: string[], gone: string[]) => xs.filter((x) => !gone.includes(x));
      expect({ ...fb }, `${c.name}: features`).toEqual({ ...fa, methods: without(fa.methods, gaps.methods), events: without(fa.events, gaps.events) });
    }
  }, 300_000);

  it("authOwner hanzod: a session.typing the legacy accepts stamps the typist's presence lastActivityAt on hanzod, as the legacy stamps its own client's (2026.9.6); a client's own activity notice is an unknown method and stamps nothing", async () => {
    const release = gw.version;
    const instance = (who: string) => `typing-13-${who}-${process.pid}`;
    const opened: Array<{ close(): Promise<unknown> }> = [];
    // A person's connection (not ephemeral, so listed in presence: a person's row), told apart by its instance
    // id; with a device of its own, as a tracked client keeps its scopes only with one.
    const person = async (url: string, who: string, scopes = ["operator.read", "operator.write"]) => {
      const s = await openRaw(url);
      const device = signedDevice({ key: newDeviceKey(), scopes, token: gw.token, nonce: s.challenge.nonce, signedAt: Date.now() });
      s.send(connectFrame({ client: { id: "test", version: "0.0.0-test", platform: "linux", mode: "test", instanceId: instance(who) }, role: "operator", scopes, auth: { token: gw.token }, device }));
      const hello = await s.next(isRes("c1"));
      opened.push({ close: async () => s.close() });
      expect(hello.ok, `${who}: ${JSON.stringify(hello.error)}`).toBe(true);
      return { request: (method: string, params: unknown) => request(s, method, params) };
    };
    // The rows as each runtime lists them: the legacy's own, and hanzod's (the ones an authOwner-hanzod client sees).
    const reader = { legacy: await connectClient(gw.url, { token: gw.token, scopes: ["operator.admin"] }), hanzod: await connectClient(hanzod.url, { token: gw.token, scopes: ["operator.admin"] }) };
    const rowOf = async (where: "legacy" | "hanzod", who: string): Promise<Record<string, unknown> | undefined> => {
      const rows = (await reader[where].call("system-presence")).payload as Array<Record<string, unknown>>;
      return rows.find((r) => r.instanceId === instance(who));
    };
    opened.push(reader.legacy, reader.hanzod);
    try {
      // A client sending the notice itself, through the proxy and to hanzod directly (from a trusted-proxy
      // address, with and without a made-up proof): the legacy's answer for an unknown method, field for
      // field, for a write and an admin client, and no stamp on its row.
      const notice = [{}, { proof: "made-up" }, { proof: activityNoticeProof("not-hanzods-token") }];
      for (const scopes of [["operator.read", "operator.write"], ["operator.admin"]]) {
        const legacyRes = await person(gw.url, `notice-legacy-${scopes.length}`, scopes);
        for (const [i, url] of [proxies.hanzod.url, hanzod.url].entries()) {
          const who = `notice-${scopes.length}-${i}`;
          const c = await person(url, who, scopes);
          for (const params of notice) {
            const expected = await legacyRes.request(ACTIVITY_NOTICE_METHOD, params);
            expect(expected.ok, JSON.stringify(expected)).toBe(false);
            const got = await c.request(ACTIVITY_NOTICE_METHOD, params);
            expect({ ok: got.ok, error: got.error }, `${url}: ${JSON.stringify(params)}`).toEqual({ ok: expected.ok, error: expected.error });
          }
          const row = await rowOf("hanzod", who);
          expect(row, "the client's row on hanzod").toBeDefined();
          expect(row).not.toHaveProperty("lastActivityAt");
        }
      }
      if (compareReleases(release, "2026.9.6") < 0) return; // 2026.9.1 has no session.typing (and hanzod no person there).

      // A session to type in (created if the UI runs above did not), with its current session id.
      const admin = await connectClient(gw.url, { token: gw.token, scopes: ["operator.admin"] });
      opened.push(admin);
      const sessionKey = "agent:main:main";
      const patched = await admin.call("sessions.patch", { key: sessionKey, label: `typing-13-${process.pid}` });
      expect(patched.ok, JSON.stringify(patched.error)).toBe(true);
      // (Its answer names the entry's session id: sessions.list would take seconds here.)
      const sessionId = (payloadOf(patched).entry as { sessionId?: unknown } | undefined)?.sessionId;
      expect(sessionId, JSON.stringify(patched.payload)).toBeTypeOf("string");
      const typing = { sessionKey, sessionId, typing: true };

      // The legacy, its own client: stamped before it answers.
      const direct = await person(gw.url, "direct");
      const t0 = Date.now();
      const legacyAnswer = await direct.request("session.typing", typing);
      const t1 = Date.now();
      expect(legacyAnswer.ok, JSON.stringify(legacyAnswer.error)).toBe(true);
      const legacyRow = await rowOf("legacy", "direct");
      expect(legacyRow?.lastActivityAt, JSON.stringify(legacyRow)).toBeTypeOf("number");
      expect(legacyRow!.lastActivityAt as number).toBeGreaterThanOrEqual(t0);
      expect(legacyRow!.lastActivityAt as number).toBeLessThanOrEqual(t1);

      // Through the proxy with hanzod owning auth: the legacy answers on the brokered leg; hanzod's row for the
      // client (none stamped before) gets the activity once the proxy's notice arrived, just after the answer.
      const viaProxy = await person(proxies.hanzod.url, "proxied");
      expect(await rowOf("hanzod", "proxied")).not.toHaveProperty("lastActivityAt");
      // typing: false is not activity (the legacy stamps only typing: true).
      const stopped = await viaProxy.request("session.typing", { ...typing, typing: false });
      expect(stopped.ok, JSON.stringify(stopped.error)).toBe(true);
      const t2 = Date.now();
      const proxiedAnswer = await viaProxy.request("session.typing", typing);
      expect({ ok: proxiedAnswer.ok, payload: proxiedAnswer.payload }, "the answer the client gets").toEqual({ ok: legacyAnswer.ok, payload: legacyAnswer.payload });
      await expect.poll(async () => (await rowOf("hanzod", "proxied"))?.lastActivityAt, { timeout: 5_000, interval: 50 }).toBeTypeOf("number");
      const hanzodRow = await rowOf("hanzod", "proxied");
      const t3 = Date.now();
      expect(hanzodRow!.lastActivityAt as number).toBeGreaterThanOrEqual(t2);
      expect(hanzodRow!.lastActivityAt as number).toBeLessThanOrEqual(t3);
      // The same row as the legacy's for its own client, but for the times, the instance and the device.
      const shape = (r: Record<string, unknown>) => ({ ...r, ts: typeof r.ts, onlineSince: typeof r.onlineSince, lastActivityAt: typeof r.lastActivityAt, instanceId: typeof r.instanceId, deviceId: typeof r.deviceId, ...(r.ip !== undefined ? { ip: typeof r.ip } : {}) });
      expect(shape(hanzodRow!)).toEqual(shape(legacyRow!));
      // Only the legacy served it: the proxy's notice went to hanzod, the typing call to the legacy.
      const asked = taps.hanzod.requests.filter((r) => r.method === "session.typing");
      expect(asked.length).toBeGreaterThanOrEqual(2);
      for (const r of asked) expect(r).toMatchObject({ sentTo: "legacy", answer: { by: "legacy", ok: true } });
      expect(taps.hanzod.requests.filter((r) => r.method === ACTIVITY_NOTICE_METHOD).every((r) => r.sentTo === "legacy")).toBe(true);
    } finally {
      for (const c of opened) await c.close();
    }
  }, 120_000);

  it("authOwner hanzod: a host's suspension (system.info target, prepare, handoff, resume) all reaches hanzod, which arms it", async () => {
    // gateway.suspend.* and system.info are phase 1 (hanzod here). The handoff names the process system.info
    // reported and the lease prepare created: answered anywhere else (the legacy, after a decline) it is
    // refused as "gateway process changed after preflight".
    if (compareReleases(gw.version, "2026.9.6") < 0) return;
    const c = await connectClient(proxies.hanzod.url, { token: gw.token, scopes: ["operator.admin"] });
    let suspensionId: string | undefined;
    try {
      const info = payloadOf(await c.call("system.info"));
      const here = { pid: info.pid, processInstanceId: info.processInstanceId };
      let prep: Record<string, unknown> = {};
      // The UI runs above may leave work finishing for a moment: prepare is "busy" until it is idle.
      for (const deadline = Date.now() + 30_000; prep.status !== "ready" && Date.now() < deadline; ) {
        prep = payloadOf(await c.call("gateway.suspend.prepare", { requestId: "control-ui-handoff" }));
        if (prep.status !== "ready") await new Promise((r) => setTimeout(r, 250));
      }
      expect(prep.status, JSON.stringify(prep)).toBe("ready");
      suspensionId = prep.suspensionId as string;
      const res = await c.call("gateway.suspend.handoff", { suspensionId, target: here });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      expect(res.payload).toEqual({ status: "armed", suspensionId, expiresAtMs: prep.expiresAtMs });
      const asked = taps.hanzod.requests.filter((r) => r.clientId === "cli" && r.method === "gateway.suspend.handoff");
      expect(asked, "the handoff through the proxy").toEqual([{ clientId: "cli", method: "gateway.suspend.handoff", sentTo: "hanzod", answer: { by: "hanzod", ok: true } }]);
    } finally {
      if (suspensionId !== undefined) await c.call("gateway.suspend.resume", { suspensionId });
      await c.close();
    }
  }, 60_000);
});

/** The payload with each of the Control UI runs' device ids (its presence rows) as one placeholder. */
function sameDevice(h: SeenHello, devices: string[]): Record<string, unknown> {
  let text = JSON.stringify(h.payload);
  for (const d of devices) text = text.split(d).join("<the Control UI's device>");
  return JSON.parse(text) as Record<string, unknown>;
}

function keysOf(p: Record<string, unknown>, part: string | undefined): string[] {
  const o = part === undefined ? p : (p[part] as Record<string, unknown> | undefined);
  return Object.keys(o ?? {}).sort();
}
