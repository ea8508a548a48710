/**
 * The sessions read methods on one state dir, two live runtimes: a real legacy gateway (two agents)
 * creates and changes sessions through `sessions.patch`, and hanzod, started on the legacy's state dir,
 * answers `sessions.list` / `sessions.describe` / `sessions.preview` from the legacy's agent databases.
 * Each answer is compared with the legacy's own for the same call and scopes, after only the volatile
 * fields: `ts` (the answer's clock) and `snapshotAt` (each row's clock).
 *
 * Both supported releases, each with its own legacy and hanzod answering as that release (`compat`). A
 * case the release's own frozen contract refuses (params and values added in 2026.9.6) runs only where it
 * is valid: hanzod accepts params valid anywhere in its window by design, so those differ on purpose.
 *
 * No timing luck: a comparison asks the legacy before and after hanzod and retries until the legacy's
 * two answers agree (the legacy may finish a write of its own, e.g. an archive's activity summary, in
 * between), so both runtimes are compared on the same state.
 */
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { releaseValidator } from "../../protocol/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectFrame, connectOperator, isRes, newDeviceKey, openRaw, signedDevice, type Frame, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";
import { startProxy } from "../../proxy/index.js";
import { checklistFile, metricValue } from "../../proxy/test/support.js";
import { connectClient, maybePayload, payloadOf, waitFor, type TestClient } from "../../proxy/test/ws-client.js";

const VOLATILE = new Set(["ts", "snapshotAt"]);
function stripVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, stripVolatile(x)]));
  return v;
}

async function operator(url: string, token: string, scopes: string[]): Promise<RawSession> {
  return (await connectOperator(url, token, scopes)).s;
}

async function ok(s: RawSession, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const a = await ask(s, method, params);
  if (!a.ok) throw new Error(`${method}: ${JSON.stringify(a.error)}`);
  return a.payload as Record<string, unknown>;
}

describe.each(releasesUnderTest())("sessions read methods on a running legacy's state (openclaw %s)", (release) => {
  const contract = releaseValidator(release);
  const inContract = (definition: string) => (params: Record<string, unknown>) => contract.validate(definition, params).valid;
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const conns: RawSession[] = [];
  let legacyAdmin: RawSession, legacyReader: RawSession, hanzodAdmin: RawSession, hanzodReader: RawSession;
  /** sessions.list before any session exists (no agent database yet), per scope: the legacy's answer and hanzod's. */
  const onFreshState: Array<{ params: Record<string, unknown>; legacy: Answer; hanzod: Answer }> = [];

  /** The legacy's answer and hanzod's for one call, on the same state (the legacy asked before and after). */
  async function both(scope: "admin" | "reader", method: string, params: Record<string, unknown>): Promise<{ legacy: Answer; hanzod: Answer }> {
    const [l, h] = scope === "admin" ? [legacyAdmin, hanzodAdmin] : [legacyReader, hanzodReader];
    return askBoth(() => ask(l, method, params), () => ask(h, method, params), method, (a, b) => isDeepStrictEqual(stripVolatile(a), stripVolatile(b)));
  }

  async function expectSame(scope: "admin" | "reader", method: string, params: Record<string, unknown>): Promise<Answer> {
    const { legacy: l, hanzod: h } = await both(scope, method, params);
    expect({ call: [scope, method, params], answer: stripVolatile(h) }).toEqual({ call: [scope, method, params], answer: stripVolatile(l) });
    return l;
  }

  beforeAll(async () => {
    legacy = await startLegacyGateway({ version: release, config: { agents: { list: [{ id: "main", default: true }, { id: "ops" }] } } });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    legacyAdmin = await operator(legacy.url, legacy.token, ["operator.admin"]);
    legacyReader = await operator(legacy.url, legacy.token, ["operator.read"]);
    hanzodAdmin = await operator(hz.url, "t", ["operator.admin"]);
    hanzodReader = await operator(hz.url, "t", ["operator.read"]);
    conns.push(legacyAdmin, legacyReader, hanzodAdmin, hanzodReader);
    for (const params of [{}, { agentId: "ops" }]) onFreshState.push({ params, ...(await both("admin", "sessions.list", params)) });

    // Sessions across both agents, through the legacy: plain, pinned with display settings, unread, archived.
    for (const [key, label] of [
      ["agent:main:main", "main one"],
      ["agent:main:work", "work"],
      ["agent:main:notes", "notes"],
      ["agent:ops:main", "ops main"],
      ["agent:ops:deploy", "deploy"],
      ["agent:ops:old", "old"],
    ] as const) {
      await ok(legacyAdmin, "sessions.patch", { key, label });
    }
    await ok(legacyAdmin, "sessions.patch", { key: "agent:main:notes", icon: "bot", color: "red", category: "g1", pinned: true, boardFace: "chat", thinkingLevel: "high", fastMode: true });
    await ok(legacyAdmin, "sessions.patch", { key: "agent:main:work", unread: true });
    const old = await ok(legacyAdmin, "sessions.describe", { key: "agent:ops:old" });
    const sessionId = (old.session as { sessionId: string }).sessionId;
    await ok(legacyAdmin, "sessions.patch", { key: "agent:ops:old", archived: true, expectedSessionId: sessionId });
  });

  afterAll(async () => {
    for (const c of conns) c.close();
    await hz?.close();
    await legacy?.stop();
  });

  it("sessions.list: the legacy's answer for readers and admins, with filters, sorts and agent scopes", async () => {
    const all = (await expectSame("admin", "sessions.list", {})).payload as { sessions: { key: string }[]; totalCount: number; path: string };
    // What the comparison covers: the sessions made above (archived one excluded by default), pinned first.
    expect(all.totalCount).toBe(5);
    expect(all.path).toBe("(multiple)");
    expect(all.sessions[0]?.key).toBe("agent:main:notes");
    const cases: Record<string, unknown>[] = [
      {},
      { agentId: "ops" },
      { agentId: "OPS" },
      { agentId: "nope" },
      { configuredAgentsOnly: true },
      { archived: true },
      { archived: "all", sortBy: "activity" },
      { sortBy: "lastInteractionAt" },
      { label: "work" },
      { group: "g1", pinned: true },
      { pinned: false },
      { boardFace: "chat" },
      { activeMinutes: 60 },
      { excludeCron: true, excludeSystem: true, includeGlobal: true, includeUnknown: true },
    ];
    for (const scope of ["admin", "reader"] as const) for (const params of cases.filter(inContract("SessionsListParams"))) await expectSame(scope, "sessions.list", params);
  }, 240_000);

  it("sessions.list on a fresh state, before any agent database exists: the legacy's path (\"(multiple)\" for the combined store)", () => {
    expect(onFreshState.map((c) => (c.legacy.payload as { path?: string } | undefined)?.path)).toEqual(["(multiple)", "(multiple)"]);
    for (const c of onFreshState) expect({ params: c.params, answer: stripVolatile(c.hanzod) }).toEqual({ params: c.params, answer: stripVolatile(c.legacy) });
  });

  it("sessions.list paging: pages of the legacy's size, offsets and hasMore, in the legacy's order", async () => {
    for (const scope of ["admin", "reader"] as const) {
      const keys: string[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page = (await expectSame(scope, "sessions.list", { archived: "all", limit: 2, ...(offset > 0 ? { offset } : {}) })).payload as { sessions: { key: string }[]; nextOffset: number | null };
        keys.push(...page.sessions.map((s) => s.key));
        offset = page.nextOffset;
      }
      expect(keys).toHaveLength(6);
      await expectSame(scope, "sessions.list", { limit: 3, offset: 10 });
    }
  }, 120_000);

  it("bad params and unknown agents get the legacy's own errors", async () => {
    const bad: [string, Record<string, unknown>][] = [
      ["sessions.list", { limit: 0 }],
      ["sessions.list", { offset: -1 }],
      ["sessions.list", { bogus: 1 }],
      ["sessions.list", { sortBy: "name" }],
      ["sessions.describe", {}],
      ["sessions.describe", { key: "  " }],
      ["sessions.describe", { key: "agent:ops:deploy", agentId: "nope" }],
      ["sessions.describe", { key: "agent:ops:deploy", agentId: "main" }],
      ["sessions.preview", { keys: ["agent:main:work"], maxChars: 5 }],
    ];
    for (const [method, params] of bad.filter(([m, p]) => m !== "sessions.describe" || !p.agentId || inContract("SessionsDescribeParams")({ key: "k", agentId: p.agentId }))) {
      const l = await expectSame("reader", method, params);
      expect(l.ok).toBe(false);
    }
  });

  it("sessions.describe and sessions.preview: the legacy's answers for present, bare, foreign and missing keys", async () => {
    for (const scope of ["admin", "reader"] as const) {
      const cases: Record<string, unknown>[] = [{ key: "main" }, { key: "agent:main:notes" }, { key: "agent:ops:deploy" }, { key: "deploy", agentId: "ops" }, { key: "agent:main:work", includeDerivedTitles: true }, { key: "agent:zz:x" }, { key: "missing" }];
      for (const params of cases.filter(inContract("SessionsDescribeParams"))) {
        await expectSame(scope, "sessions.describe", params);
      }
      await expectSame(scope, "sessions.preview", { keys: ["agent:main:work", "deploy", "agent:zz:x", "main"], limit: 3 });
    }
  });

  it("a write through the legacy is in hanzod's next list (rows and selections are reused only while the legacy commits nothing)", async () => {
    const params = { agentId: "main", sortBy: "updatedAt" };
    await expectSame("admin", "sessions.list", params);
    await expectSame("admin", "sessions.list", params); // the same selection again: answered from the reused rows
    await ok(legacyAdmin, "sessions.patch", { key: "agent:main:main", label: "renamed once" });
    const after = (await expectSame("admin", "sessions.list", params)).payload as { sessions: { key: string; label?: string }[] };
    expect(after.sessions.find((r) => r.key === "agent:main:main")?.label).toBe("renamed once");
  });

  it("what hanzod cannot present yet it refuses by name instead of answering differently", async () => {
    for (const param of [{ includeLastMessage: true }, { search: "dep" }]) {
      const refused = await ask(hanzodReader, "sessions.list", param);
      expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining(`"${Object.keys(param)[0]}"`) } });
    }
    // An entry field whose row needs the legacy's runtime (here the response-usage display mode).
    await ok(legacyAdmin, "sessions.patch", { key: "agent:ops:deploy", responseUsage: "tokens" });
    const l = await ask(legacyReader, "sessions.list", { agentId: "ops" });
    expect(l.ok).toBe(true);
    const h = await ask(hanzodReader, "sessions.list", { agentId: "ops" });
    expect(h).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining('"responseUsage"') } });
    // Other sessions stay readable, and still match.
    await expectSame("reader", "sessions.list", { agentId: "main" });
  });

  it("sessions.resolve by key: the legacy's key and agent, missing keys (allowMissing), agent mismatches, selection and params errors, scope", async () => {
    const cases: Record<string, unknown>[] = [
      // Served: agent-qualified keys, bare keys with their agent, archived sessions, missing ones.
      { key: "agent:main:notes" },
      { key: "  agent:ops:deploy " },
      { key: "agent:ops:old" },
      { key: "deploy", agentId: "ops" },
      { key: "main", agentId: "main" },
      { key: "agent:main:nothing" },
      { key: "agent:main:nothing", allowMissing: true },
      { key: "nothing", agentId: "ops", allowMissing: true },
      { key: "agent:ops:deploy", agentId: "main" },
      { key: "agent:ops:deploy", agentId: "nope" },
      { key: "deploy", agentId: "nope", allowMissing: true },
      // The legacy's selection errors (its own order: slugHint first) and its params validator.
      {},
      { key: "   " },
      { allowMissing: true },
      { key: "agent:main:notes", label: "notes" },
      { key: "agent:main:notes", reference: { key: "agent:main:notes" } },
      { slugHint: "notes" },
      { key: "agent:main:notes", slugHint: "notes" },
      { key: "" },
      { key: "agent:main:notes", bogus: 1 },
      { key: 5 },
      { label: "x".repeat(513) },
    ];
    // hanzod accepts params valid in any release of its window: 2026.9.6's `reference` runs where the release defines it.
    const compared = cases.filter((p) => !("reference" in p) || inContract("SessionsResolveParams")({ reference: p.reference }));
    const answers: Answer[] = [];
    for (const scope of ["admin", "reader"] as const) for (const params of compared) answers.push(await expectSame(scope, "sessions.resolve", params));
    // What the comparison covers: found sessions, a missing one under allowMissing, and errors.
    expect(answers[0]).toEqual({ ok: true, payload: { ok: true, key: "agent:main:notes", agentId: "main" }, error: undefined });
    expect(answers[6]).toMatchObject({ ok: true, payload: { ok: false } });
    expect(answers[5]).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "No session found: agent:main:nothing" } });
    // A connection without operator.read: the method table's scope, refused the same way by both.
    const legacyNone = await operator(legacy.url, legacy.token, []);
    const hanzodNone = await operator(hz.url, "t", []);
    conns.push(legacyNone, hanzodNone);
    const refused = await ask(legacyNone, "sessions.resolve", { key: "agent:main:notes" });
    expect(refused.ok).toBe(false);
    expect(await ask(hanzodNone, "sessions.resolve", { key: "agent:main:notes" })).toEqual(refused);
  }, 120_000);

  it("sessions.resolve sees a session the legacy creates at once (read per call), and declines what it does not reproduce", async () => {
    const params = { key: "agent:ops:fresh-resolve", allowMissing: true };
    expect((await expectSame("reader", "sessions.resolve", params)).payload).toEqual({ ok: false });
    await ok(legacyAdmin, "sessions.patch", { key: "agent:ops:fresh-resolve", label: "fresh" });
    expect((await expectSame("reader", "sessions.resolve", params)).payload).toEqual({ ok: true, key: "agent:ops:fresh-resolve", agentId: "ops" });
    // The legacy answers these (scans, its visibility filters, its default-owner and retired-agent logic): hanzod hands them over.
    const declinedCases: Record<string, unknown>[] = [{ label: "notes" }, { sessionId: "s-1" }, { shortId: "abcdef12" }, { key: "main" }, { key: "agent:main:notes", spawnedBy: "agent:main:main" }, { key: "agent:zz:x" }, { key: "agent:main:Notes" }, { key: "agent:main:notes", agentId: "MAIN" }];
    for (const p of declinedCases) {
      expect(await ask(hanzodReader, "sessions.resolve", p), JSON.stringify(p)).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } } });
      expect((await ask(legacyReader, "sessions.resolve", p)).error, JSON.stringify(p)).not.toMatchObject({ code: "UNAVAILABLE" });
    }
  });
  it("connection state: sessions.subscribe, sessions.messages.subscribe/unsubscribe answer as the legacy (served keys, params and agent errors); what hanzod leaves to the legacy it declines", async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ["sessions.subscribe", {}],
      // (Agent main's rows: an earlier case gives an ops row a field hanzod declines to present.)
      ["sessions.subscribe", { agentId: "main", limit: 2 }],
      ["sessions.subscribe", { agentId: "main", offset: 1 }],
      ["sessions.subscribe", { agentId: "nope" }],
      ["sessions.subscribe", { limit: 0 }],
      ["sessions.subscribe", { bogus: 1 }],
      ...(["sessions.messages.subscribe", "sessions.messages.unsubscribe"] as const).flatMap((m): Array<[string, Record<string, unknown>]> => [
        [m, { key: "agent:main:work" }],
        [m, { key: "  agent:ops:deploy " }],
        [m, { key: "deploy", agentId: "ops" }],
        [m, { key: "agent:main:never-made" }],
        [m, { key: "agent:ops:deploy", agentId: "main" }],
        [m, { key: "deploy", agentId: "nope" }],
        [m, { key: "   " }],
        [m, { key: "" }],
        [m, {}],
        [m, { key: 5 }],
        [m, { key: "agent:main:work", bogus: 1 }],
      ]),
      ["sessions.viewers.set", { sessionKeys: ["x".repeat(513)] }],
      ["sessions.viewers.set", {}],
      // A connection without a presence row (the CLI): the declaration's answer only, canonical keys sorted.
      ["sessions.viewers.set", { sessionKeys: ["agent:main:work", " agent:ops:deploy ", "agent:main:work"] }],
      ["sessions.viewers.set", { sessionKeys: ["agent:main:work", " agent:ops:deploy "] }],
      ["sessions.viewers.set", { sessionKeys: ["deploy"], agentId: "ops" }],
      ["sessions.viewers.set", { sessionKeys: ["agent:main:never-made"], agentId: "ops" }],
      ["sessions.viewers.set", { sessionKeys: ["agent:main:work", "   "] }],
      ["sessions.viewers.set", { sessionKeys: ["deploy"], agentId: "nope" }],
      ["sessions.viewers.set", { sessionKeys: [] }],
      ["sessions.viewers.set", { sessionKeys: [] }],
    ];
    const answers: Answer[] = [];
    for (const scope of ["admin", "reader"] as const) for (const [method, params] of cases) answers.push(await expectSame(scope, method, params));
    // What the comparison covers: the subscribed answers, the canonical keys, a list beside a subscription, errors.
    expect(answers[0]).toMatchObject({ ok: true, payload: { subscribed: true } });
    expect(answers[1]).toMatchObject({ ok: true, payload: { subscribed: true, list: { sessions: [{}, {}] } } });
    expect(answers[6]).toMatchObject({ ok: true, payload: { subscribed: true, key: "agent:main:work" } });
    expect(answers[8]).toMatchObject({ ok: true, payload: { subscribed: true, key: "agent:ops:deploy" } });
    expect(answers[17]).toMatchObject({ ok: true, payload: { subscribed: false, key: "agent:main:work" } });
    expect(answers[12]).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "key required" } });
    expect(answers[cases.length - 8]).toMatchObject({ ok: true, payload: { sessionKeys: ["agent:main:work", "agent:ops:deploy"] } });
    expect(answers[cases.length - 6]).toMatchObject({ ok: true, payload: { sessionKeys: ["agent:ops:deploy"] } });
    expect(answers[cases.length - 4]).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: "invalid sessions.viewers.set params" } });
    // Left to the legacy: the approval replay, presence declarations, keys whose canonical form is its logic.
    const declinedCases: Array<[string, Record<string, unknown>]> = [
      ["sessions.messages.subscribe", { key: "agent:main:work", includeApprovals: true }],
      ["sessions.messages.subscribe", { key: "main" }],
      ["sessions.messages.unsubscribe", { key: "agent:zz:x" }],
      ["sessions.viewers.set", { sessionKeys: ["main"] }],
      ["sessions.subscribe", { search: "work" }],
    ];
    for (const [method, params] of declinedCases) {
      expect(await ask(hanzodReader, method, params), JSON.stringify([method, params])).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } } });
    }
  }, 120_000);

  it("sessions.viewers.set on a person's connection: both runtimes stamp its presence row (watchedSessions; from 2026.9.6 the person's lastActivityAt) and broadcast presence before the answer, only when the set changes", async () => {
    const key = newDeviceKey();
    type Step = { answer: unknown; presenceBeforeAnswer: boolean; watchedSessions: unknown; lastActivityAt: string; stampedInTime: boolean };
    const steps: Record<string, Step[]> = {};
    for (const [runtime, url, token] of [
      ["legacy", legacy.url, legacy.token],
      ["hanzod", hz.url, "t"],
    ] as const) {
      const instanceId = `viewers-${runtime}`;
      const s = await openRaw(url);
      conns.push(s);
      const scopes = ["operator.read"];
      const device = signedDevice({ key, scopes, token, nonce: s.challenge.nonce, signedAt: Date.now() });
      s.send(connectFrame({ client: { id: "test", version: release, platform: "linux", mode: "test", instanceId }, role: "operator", scopes, auth: { token }, device }));
      const hello = await s.next(isRes("c1"));
      expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
      // The connect's own presence broadcast follows hello-ok: taken here, so it is not mistaken for a set's.
      await s.next((f: Frame) => f.type === "event" && f.event === "presence");
      steps[runtime] = [];
      for (const [n, sessionKeys] of [[1, ["agent:main:work", "agent:ops:deploy"]], [2, ["agent:ops:deploy", "agent:main:work"]], [3, []], [4, []]] as const) {
        const id = `viewers-${n}`;
        const from = s.frames.length;
        const sentAt = Date.now();
        s.send({ type: "req", id, method: "sessions.viewers.set", params: { sessionKeys } });
        const res = await s.next(isRes(id));
        const answeredAt = Date.now();
        // A presence broadcast goes out before the answer or not at all.
        const presence = s.frames.slice(from, s.frames.indexOf(res) + 1).findLast((f: Frame) => f.type === "event" && f.event === "presence");
        const own = (presence?.payload as { presence?: Record<string, unknown>[] } | undefined)?.presence?.find((r) => r.instanceId === instanceId);
        const at = own?.lastActivityAt;
        steps[runtime]!.push({
          answer: { ok: res.ok, payload: res.payload, error: res.error },
          presenceBeforeAnswer: presence !== undefined && s.frames.indexOf(presence) < s.frames.indexOf(res),
          watchedSessions: own?.watchedSessions,
          lastActivityAt: typeof at,
          stampedInTime: typeof at === "number" && at >= sentAt && at <= answeredAt,
        });
      }
    }
    expect(steps.hanzod).toEqual(steps.legacy);
    // What the comparison covers: a first set is broadcast with the row's keys; the same set again and an
    // empty set after an empty one are not; clearing it is, without keys.
    expect(steps.legacy!.map((x) => x.presenceBeforeAnswer)).toEqual([true, false, true, false]);
    expect(steps.legacy![0]).toMatchObject({ answer: { ok: true, payload: { sessionKeys: ["agent:main:work", "agent:ops:deploy"] } }, watchedSessions: ["agent:main:work", "agent:ops:deploy"] });
    expect(steps.legacy![2]).toMatchObject({ answer: { ok: true, payload: { sessionKeys: [] } }, watchedSessions: undefined });
    // 2026.9.6 attributes the connection to the gateway owner, so the set is that person's activity.
    expect(steps.legacy![0]!.lastActivityAt).toBe(release === "2026.9.1" ? "undefined" : "number");
    if (release !== "2026.9.1") expect(steps.legacy![0]!.stampedInTime).toBe(true);
  }, 120_000);

  it("split families: through the proxy with phase 2 on hanzod, hanzod answers the subscription calls, the legacy gets them too, and a legacy write reaches the subscribed client once, in order, and no unsubscribed one", async () => {
    // The proxy's own hanzod on the same state dir (it must trust the proxy's address for the brokered leg).
    const proxied = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release, trustedProxies: ["127.0.0.1", "::1"] });
    const file = checklistFile(["version: 1", "phases:", "  phase2: hanzod"].join("\n"));
    const proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: proxied.url, hanzodToken: "t", checklistPath: file.path, logLevel: "silent" });
    const clients: TestClient[] = [];
    try {
      const connect = async (): Promise<TestClient> => {
        const c = await connectClient(proxy.url, { token: legacy.token, scopes: ["operator.read", "operator.write"] });
        clients.push(c);
        return c;
      };
      const [subscriber, bystander] = [await connect(), await connect()];
      const metric = (name: string, labels: Record<string, string>) => metricValue(proxy.adminPort!, name, labels);
      const sub = await subscriber.call("sessions.subscribe", {});
      expect(sub.ok, JSON.stringify(sub.error)).toBe(true);
      expect(payloadOf(sub)).toEqual({ subscribed: true });
      const msgs = await subscriber.call("sessions.messages.subscribe", { key: "agent:main:work" });
      expect(payloadOf(msgs)).toEqual({ subscribed: true, key: "agent:main:work" });
      // Answered by hanzod (the routed owner), once; the legacy's answer to its copy was consumed and agreed.
      expect(await metric("hanzonode_proxy_requests_total", { method: "sessions.subscribe", backend: "hanzod", outcome: "ok" })).toBe(1);
      expect(await metric("hanzonode_proxy_requests_total", { method: "sessions.messages.subscribe", backend: "hanzod", outcome: "ok" })).toBe(1);
      await expect.poll(() => metric("hanzonode_proxy_mirror_total", { verdict: "agree" }), { timeout: 15_000 }).toBe(2);
      expect(await metric("hanzonode_proxy_mirror_total", { verdict: "disagree" })).toBe(0);
      // A call hanzod declines (a bare key's owner is the legacy's logic): the legacy's answer to the copy is
      // the client's, once; the call is not sent to the legacy a second time, behind the client's next one.
      const bare = await subscriber.call("sessions.messages.subscribe", { key: "main" });
      expect({ ok: bare.ok, payload: bare.payload, error: bare.error }).toEqual(await ask(legacyReader, "sessions.messages.subscribe", { key: "main" }));
      expect(await metric("hanzonode_proxy_requests_total", { method: "sessions.messages.subscribe", backend: "hanzod", outcome: "declined" })).toBe(1);
      expect(await metric("hanzonode_proxy_mirror_total", { method: "sessions.messages.subscribe", verdict: "declined" })).toBe(1);
      const answered = subscriber.frames.filter((f) => f.type === "res").map((f) => (f as { id: string }).id);
      expect(new Set(answered).size).toBe(answered.length);
      expect(answered.some((i) => i.startsWith("hanzonode-proxy:"))).toBe(false);

      // A sessions write the legacy serves (hanzod declines sessions.patch): its sessions.changed, to the
      // connection the copy subscribed there, reaches the client exactly once; the bystander sees none.
      const changed = (c: TestClient) => c.events.filter((e) => e.event === "sessions.changed" && maybePayload(e)?.sessionKey === "agent:main:work");
      const labels = ["split-1", "split-2"];
      for (const label of labels) {
        const r = await subscriber.call("sessions.patch", { key: "agent:main:work", label });
        expect(r.ok, JSON.stringify(r.error)).toBe(true);
        await waitFor(() => changed(subscriber).some((e) => JSON.stringify(e.payload).includes(label)), 20_000, `sessions.changed for ${label}`);
      }
      await new Promise((r) => setTimeout(r, 500));
      const mine = changed(subscriber).filter((e) => labels.some((l) => JSON.stringify(e.payload).includes(l)));
      expect(mine.map((e) => labels.find((l) => JSON.stringify(e.payload).includes(l)))).toEqual(labels);
      const seqs = subscriber.events.filter((e) => typeof e.seq === "number").map((e) => e.seq as number);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(bystander.events.filter((e) => e.event === "sessions.changed" || e.event === "session.message")).toEqual([]);
    } finally {
      for (const c of clients) await c.close();
      await proxy.close();
      await proxied.close();
      file.dispose();
    }
  }, 120_000);
});
