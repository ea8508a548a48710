/**
 * `chat.history` on one state dir, two live runtimes: a real legacy gateway runs a real turn (`chat.send`)
 * against the project's model server, and hanzod, started on the legacy's state dir, answers
 * `chat.history` from the legacy's agent database. Each answer is compared field for field with the
 * legacy's own for the same call and scopes, after only the row clock (`snapshotAt`).
 *
 * One turn is enough: it leaves a user and an assistant message, so a one-message page has a page behind
 * it (limit, offset, nextOffset, hasMore), and the session row carries everything a run writes.
 *
 * No timing luck: the turn is waited for by its `chat` final event, then by the legacy's own answer
 * showing the run done; every comparison asks the legacy before and after hanzod and retries until the
 * legacy's two answers agree, so both runtimes are compared on the same state.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseValidator } from "../../protocol/index.js";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startModelServer, type ModelServer } from "../../scripts/model-server/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectOperator, request, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

const VOLATILE = new Set(["snapshotAt"]);
function stripVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, stripVolatile(x)]));
  return v;
}

const SESSION = "agent:main:main";
const RUN_ID = "history-turn-1";
/** The turn's own limit (a loaded machine: the legacy's first turn prepares its workspace). */
const TURN_TIMEOUT_MS = 240_000;

describe.each(releasesUnderTest())("chat.history on a running legacy's state after a real turn (openclaw %s)", (release) => {
  const contract = releaseValidator(release);
  const inContract = (params: Record<string, unknown>) => contract.validate("ChatHistoryParams", params).valid;
  let models: ModelServer;
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const conns: RawSession[] = [];
  let legacyAdmin: RawSession, legacyReader: RawSession, hanzodAdmin: RawSession, hanzodReader: RawSession;

  async function both(scope: "admin" | "reader", params: Record<string, unknown>, method: string): Promise<{ legacy: Answer; hanzod: Answer }> {
    const [l, h] = scope === "admin" ? [legacyAdmin, hanzodAdmin] : [legacyReader, hanzodReader];
    return askBoth(() => ask(l, method, params), () => ask(h, method, params), method, (a, b) => isDeepStrictEqual(stripVolatile(a), stripVolatile(b)));
  }

  async function expectSame(scope: "admin" | "reader", params: Record<string, unknown>, method = "chat.history"): Promise<Answer> {
    const { legacy: l, hanzod: h } = await both(scope, params, method);
    expect({ call: [scope, method, params], answer: stripVolatile(h) }).toEqual({ call: [scope, method, params], answer: stripVolatile(l) });
    return l;
  }

  beforeAll(async () => {
    models = await startModelServer();
    legacy = await startLegacyGateway({ version: release, modelServer: { baseUrl: models.baseUrl, modelId: "hanzo-test" } });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    legacyAdmin = (await connectOperator(legacy.url, legacy.token, ["operator.admin"])).s;
    legacyReader = (await connectOperator(legacy.url, legacy.token, ["operator.read"])).s;
    hanzodAdmin = (await connectOperator(hz.url, "t", ["operator.admin"])).s;
    hanzodReader = (await connectOperator(hz.url, "t", ["operator.read"])).s;
    conns.push(legacyAdmin, legacyReader, hanzodAdmin, hanzodReader);

    // One real turn through the legacy: acknowledged, then streamed to its final event.
    const ack = await request(legacyAdmin, "chat.send", { sessionKey: SESSION, message: "[[reply:Stored reply, read back by hanzod.]] remember this", idempotencyKey: RUN_ID });
    expect(ack.payload).toEqual({ runId: RUN_ID, status: "started" });
    const final = await legacyAdmin.next((f) => f.type === "event" && f.event === "chat" && (f.payload as { runId?: string }).runId === RUN_ID && ["final", "error", "aborted"].includes((f.payload as { state: string }).state), TURN_TIMEOUT_MS);
    expect((final.payload as { state: string }).state).toBe("final");
    // The run's end is written to the session after the final event: wait for the legacy to show it.
    for (;;) {
      const a = await ask(legacyAdmin, "chat.history", { sessionKey: SESSION });
      const info = (a.payload as { sessionInfo?: { status?: string; hasActiveRun?: boolean } } | undefined)?.sessionInfo;
      if (info?.status === "done" && info.hasActiveRun === false) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, TURN_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    for (const c of conns) c.close();
    await hz?.close();
    await legacy?.stop();
    await models?.close();
  });

  it("the whole conversation, for readers and admins: messages, their positions, the session row, defaults", async () => {
    for (const scope of ["admin", "reader"] as const) {
      const l = await expectSame(scope, { sessionKey: SESSION });
      // What the comparison covers: the turn itself, with the display metadata hanzod derives.
      const payload = l.payload as { messages: { role: string; __openclaw: Record<string, unknown> }[]; deltaCursor?: string; sessionInfo: Record<string, unknown> };
      expect(payload.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
      expect(payload.messages[1]?.__openclaw).toMatchObject({ runId: RUN_ID, seq: 2, transcriptPosition: { source: expect.any(String), rawSeq: expect.any(Number) } });
      expect(payload.deltaCursor).toEqual(expect.any(String));
      expect(payload.sessionInfo).toMatchObject({ status: "done", lastRunId: RUN_ID, hasActiveRun: false, modelProvider: "hanzotest" });
      await expectSame(scope, { sessionKey: "main" });
    }
  }, 120_000);

  it("limits and paging: the tail, a page behind it, past the end, capped texts, a byte budget", async () => {
    const cases: Record<string, unknown>[] = [
      { sessionKey: SESSION, limit: 1 },
      { sessionKey: SESSION, limit: 1, offset: 1 },
      { sessionKey: SESSION, offset: 0 },
      { sessionKey: SESSION, limit: 5, offset: 2 },
      { sessionKey: SESSION, offset: 7 },
      { sessionKey: SESSION, maxChars: 6 },
      { sessionKey: SESSION, limit: 1, maxChars: 1 },
      { sessionKey: SESSION, maxBytes: 1_000_000 },
      { sessionKey: "main", agentId: "main", limit: 2 },
    ];
    const first = (await expectSame("reader", cases[0] as Record<string, unknown>)).payload as { messages: unknown[]; hasMore?: boolean; nextOffset?: number };
    expect(first.messages).toHaveLength(1);
    expect(first).toMatchObject({ hasMore: true, nextOffset: 1 });
    for (const params of cases.slice(1).filter(inContract)) await expectSame("reader", params);
  }, 120_000);

  it("unknown sessions, bad params and missing scopes get the legacy's own answers", async () => {
    // A session that does not exist yet is an empty conversation, not an error.
    const missing = await expectSame("reader", { sessionKey: "agent:main:never-used" });
    expect(missing.ok).toBe(true);
    const bad: Record<string, unknown>[] = [{}, { sessionKey: "" }, { sessionKey: SESSION, limit: 0 }, { sessionKey: SESSION, limit: 1001 }, { sessionKey: SESSION, bogus: 1 }, { sessionKey: SESSION, offset: 1, messageId: "m" }, { sessionKey: SESSION, cursor: "c", offset: 1 }, { sessionKey: SESSION, sessionId: "s" }, { sessionKey: SESSION, agentId: "ops" }, { sessionKey: "agent:ops:main", agentId: "main" }, { sessionKey: SESSION, maxBytes: 10 }];
    // hanzod accepts params valid in any release of its window (protocol/window.ts): 2026.9.6's maxBytes is
    // answered as 2026.9.1 too, by design, so that case runs where the release itself defines it.
    for (const params of bad.filter((p) => !("maxBytes" in p) || release !== "2026.9.1")) {
      const l = await expectSame("reader", params);
      expect(l.ok, JSON.stringify(params)).toBe(false);
    }
    // A connection without operator.read: the method table's scope, refused the same way by both.
    const legacyNone = (await connectOperator(legacy.url, legacy.token, [])).s;
    const hanzodNone = (await connectOperator(hz.url, "t", [])).s;
    conns.push(legacyNone, hanzodNone);
    const l = await ask(legacyNone, "chat.history", { sessionKey: SESSION });
    expect(l.ok).toBe(false);
    expect(await ask(hanzodNone, "chat.history", { sessionKey: SESSION })).toEqual(l);
  }, 120_000);

  it("sessions.get: the raw read of the same transcript, its limit and its errors", async () => {
    for (const scope of ["admin", "reader"] as const) {
      const all = (await expectSame(scope, { key: SESSION }, "sessions.get")).payload as { messages: unknown[] };
      expect(all.messages).toHaveLength(2);
      for (const params of [{ sessionKey: SESSION }, { key: "main", limit: 1 }, { key: SESSION, limit: 0.5 }, { key: "agent:main:never-used" }, {}, { key: "  " }, { key: SESSION, agentId: "ops" }]) await expectSame(scope, params, "sessions.get");
    }
  }, 120_000);

  it("chat.message.get: one stored message by id, capped, missing ids and sessions, bad params", async () => {
    const history = (await ask(legacyReader, "chat.history", { sessionKey: SESSION })).payload as { messages: { __openclaw: { id: string } }[] };
    const [userId, assistantId] = history.messages.map((m) => m.__openclaw.id);
    for (const scope of ["admin", "reader"] as const) {
      const got = await expectSame(scope, { sessionKey: SESSION, messageId: assistantId }, "chat.message.get");
      expect(got.payload).toMatchObject({ ok: true, message: { role: "assistant" } });
      const cases: Record<string, unknown>[] = [
        { sessionKey: "main", messageId: userId, maxChars: 4 },
        { sessionKey: SESSION, messageId: "no-such-message" },
        { sessionKey: SESSION, messageId: "pending:no-such-input" },
        { sessionKey: "agent:main:never-used", messageId: userId },
        { sessionKey: SESSION },
        { sessionKey: SESSION, messageId: "" },
        { sessionKey: SESSION, messageId: userId, agentId: "ops" },
      ];
      for (const params of cases) await expectSame(scope, params, "chat.message.get");
    }
  }, 120_000);

  it("what needs the legacy's runtime hanzod refuses by name instead of answering differently", async () => {
    const l = await ask(legacyReader, "chat.history", { sessionKey: SESSION, limit: 1 });
    const cursor = (l.payload as { deltaCursor: string }).deltaCursor;
    // A delta read resumes from a cursor the legacy's delta reader interprets.
    const refused = await ask(hanzodReader, "chat.history", { sessionKey: SESSION, cursor });
    expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining('"cursor"') } });
    // A key of an agent the config does not declare: the legacy answers its own defaults for it.
    const foreign = await ask(hanzodReader, "chat.history", { sessionKey: "agent:zz:main" });
    expect(foreign).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining("agent:zz:main") } });
  });
  it("sessions.usage.timeseries: the turn's usage points, read from the transcript, for readers and admins", async () => {
    for (const scope of ["admin", "reader"] as const) {
      const l = await expectSame(scope, { key: SESSION }, "sessions.usage.timeseries");
      // What the comparison covers: the assistant's recorded usage (the model server reports tokens), priced at zero.
      const payload = l.payload as { sessionId: string; points: { totalTokens: number; cost: number; cumulativeTokens: number }[] };
      expect(payload.points.length).toBeGreaterThan(0);
      expect(payload.points.every((p) => p.totalTokens > 0 && p.cost === 0)).toBe(true);
      for (const params of [{ key: "main" }, { key: `  ${SESSION}  ` }, { key: SESSION, agentId: "main" }, { key: SESSION, bogus: 1 }]) await expectSame(scope, params, "sessions.usage.timeseries");
    }
  }, 120_000);

  it("sessions.usage.timeseries: missing keys, foreign agents and missing scopes get the legacy's answers; what hanzod cannot follow is declined", async () => {
    // 2026.9.1 ignores `agentId` here (the key alone names the agent); 2026.9.6 checks it.
    for (const params of [{}, { key: "" }, { key: "   " }, { key: 5 }, { key: SESSION, agentId: "ops" }]) await expectSame("reader", params, "sessions.usage.timeseries");
    // A malformed key: 2026.9.6 refuses it as chat.history does; 2026.9.1 later, in its own words, which hanzod declines.
    if (release === "2026.9.1") expect(await ask(hanzodReader, "sessions.usage.timeseries", { key: "agent:" })).toMatchObject({ ok: false, error: { details: { code: "HANZOD_DECLINED" } } });
    else await expectSame("reader", { key: "agent:" }, "sessions.usage.timeseries");
    const legacyNone = (await connectOperator(legacy.url, legacy.token, [])).s;
    const hanzodNone = (await connectOperator(hz.url, "t", [])).s;
    conns.push(legacyNone, hanzodNone);
    const l = await ask(legacyNone, "sessions.usage.timeseries", { key: SESSION });
    expect(l.ok).toBe(false);
    expect(await ask(hanzodNone, "sessions.usage.timeseries", { key: SESSION })).toEqual(l);
    // An agent the config does not declare: declined (the proxy asks the legacy), never answered differently.
    const foreign = await ask(hanzodReader, "sessions.usage.timeseries", { key: "agent:zz:main" });
    expect(foreign).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" }, message: expect.stringContaining("agent:zz:main") } });
  }, 120_000);

  it("sessions.usage.timeseries of a session never used: the legacy's answer without transcript files, a decline where it would look among them", async () => {
    // Without a session row the legacy probes `agents/<id>/sessions/<id>.jsonl` (and archives): hanzod answers only where that dir is absent.
    const filesDir = existsSync(join(legacy.stateDir, "agents", "main", "sessions"));
    if (filesDir) expect(await ask(hanzodReader, "sessions.usage.timeseries", { key: "agent:main:never-used" })).toMatchObject({ ok: false, error: { details: { code: "HANZOD_DECLINED" } } });
    else expect((await expectSame("reader", { key: "agent:main:never-used" }, "sessions.usage.timeseries")).ok).toBe(false);
  }, 120_000);
});
