/**
 * The dispatch pipeline on real core pieces (runtime, broadcaster, domain registry) with declared test
 * domains: domains load on the first call that needs them, setup runs on the first handled call, a
 * handler answers twice on one id, emits only what it declares, subscribes its connection, sees the
 * connection's AbortSignal; extra hooks run after their stage.
 */
import { describe, expect, it } from "vitest";
import { declinedError, Errors, type ErrorShape } from "../../protocol/index.js";
import { createRuntime } from "../core/runtime.js";
import { DomainRegistry } from "../core/domains.js";
import { Pipeline, type CallOrigin, type PipelineHook } from "../core/pipeline.js";
import { Broadcaster, type EventRecipient } from "../core/broadcaster.js";
import { buildEventTable } from "../core/events.js";
import { SESSIONS_TOPIC, sessionMessagesTopic, sessionSubscriptions } from "../core/session-subscriptions.js";
import { defineDomain, MethodError, type DomainDeclaration } from "../core/method.js";

class FakeOrigin implements CallOrigin {
  readonly sent: Record<string, unknown>[] = [];
  readonly topics = new Set<string>();
  private readonly ac = new AbortController();
  get signal(): AbortSignal {
    return this.ac.signal;
  }
  sendRaw(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  subscribe(topic: string): () => void {
    this.topics.add(topic);
    return () => void this.topics.delete(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  leave(): void {
    this.ac.abort();
  }
}

const operator = (scopes: string[]) => ({ connId: "c1", role: "operator", scopes });

function setUp(domains: Record<string, DomainDeclaration>, hooks: PipelineHook[] = []) {
  const rt = createRuntime({ port: 0, auth: { mode: "none" }, stateDir: "/nonexistent-hanzod-test" }, undefined, undefined, { performRestart: async () => {} });
  const loads: string[] = [];
  const ofMethod: Record<string, string> = {};
  const loaders: Record<string, () => Promise<{ default: DomainDeclaration }>> = {};
  for (const [name, d] of Object.entries(domains)) {
    for (const m of d.methods) ofMethod[m.name] = name;
    loaders[name] = async () => {
      loads.push(name);
      return { default: d };
    };
  }
  const registry = new DomainRegistry(rt, ofMethod, loaders);
  const pipeline = new Pipeline(rt, registry, hooks);
  const call = (origin: FakeOrigin, method: string, params: Record<string, unknown> = {}, scopes = ["operator.read"], id = "r1"): Promise<ErrorShape | undefined> =>
    pipeline.run({ type: "req", id, method, params }, operator(scopes), origin);
  return { rt, registry, call, loads, stop: () => rt.health.stop() };
}

describe("dispatch pipeline", () => {
  it("loads a domain on the first call that needs it, once; runs setup on the first handled call, not on a refused one", async () => {
    let setups = 0;
    const cfg = defineDomain({
      name: "cfg",
      setup: () => ({ n: ++setups }),
      methods: [
        { name: "config.get", handler: ({ state }) => ({ setupNo: state.n }) },
        { name: "config.set", params: "handler", handler: () => ({ ok: true }) },
      ],
    });
    const other = defineDomain({ name: "other", methods: [{ name: "models.list", handler: () => ({ models: [] }) }] });
    const t = setUp({ cfg, other });
    try {
      const o = new FakeOrigin();
      expect(t.loads).toEqual([]);
      // config.set needs operator.admin: refused before its handler, so no setup yet.
      expect(await t.call(o, "config.set", {}, ["operator.read"])).toEqual(Errors.missingScope("operator.admin"));
      expect(setups).toBe(0);
      await t.call(o, "config.get", {}, ["operator.read"], "a");
      await t.call(o, "config.get", {}, ["operator.read"], "b");
      expect(t.loads).toEqual(["cfg"]);
      expect(setups).toBe(1);
      expect(o.sent.slice(1)).toEqual([
        { type: "res", id: "a", ok: true, payload: { setupNo: 1 } },
        { type: "res", id: "b", ok: true, payload: { setupNo: 1 } },
      ]);
      expect(t.registry.loadedNames()).toEqual(["cfg"]);
      // A method of the release that hanzod does not implement loads nothing and is declined (the legacy's
      // to answer); a name no release has is the legacy's "unknown method".
      expect(await t.call(o, "usage.cost", {}, ["operator.read"])).toEqual(declinedError("hanzod does not serve usage.cost yet; route this call to the legacy gateway"));
      expect(await t.call(o, "no.such.method", {}, ["operator.admin"])).toEqual(Errors.unknownMethod("no.such.method"));
      expect(t.registry.loadedNames()).toEqual(["cfg"]);
    } finally {
      t.stop();
    }
  });

  it("answers twice on one id (accepted, then final), and maps a MethodError to its shape", async () => {
    const d = defineDomain({
      name: "runs",
      methods: [
        {
          name: "models.list",
          handler: async ({ reply }) => {
            reply.accepted({ status: "accepted", runId: "r" });
            await Promise.resolve();
            return { status: "ok", runId: "r" };
          },
        },
        { name: "agents.list", handler: () => { throw new MethodError(Errors.invalidParamsFor("agents.list")); } },
      ],
    });
    const t = setUp({ runs: d });
    try {
      const o = new FakeOrigin();
      expect(await t.call(o, "models.list", {}, ["operator.read"], "x")).toBeUndefined();
      expect(o.sent).toEqual([
        { type: "res", id: "x", ok: true, payload: { status: "accepted", runId: "r" } },
        { type: "res", id: "x", ok: true, payload: { status: "ok", runId: "r" } },
      ]);
      expect(await t.call(o, "agents.list", {}, ["operator.read"], "y")).toEqual(Errors.invalidParamsFor("agents.list"));
      expect(o.sent[2]).toMatchObject({ id: "y", ok: false, error: { code: Errors.invalidParamsFor("agents.list").code } });
    } finally {
      t.stop();
    }
  });

  it("emits only declared events; subscribes the calling connection; the handler's signal aborts when the client leaves", async () => {
    let seenAbort = false;
    const d = defineDomain({
      name: "ev",
      methods: [
        { name: "models.list", emits: ["tick"], handler: ({ emit }) => (emit("tick", { ts: 1 }), { ok: true }) },
        { name: "agents.list", handler: ({ emit }) => (emit("tick", { ts: 2 }), { ok: true }) },
        { name: "sessions.subscribe", params: "handler", handler: ({ subscribe }) => (subscribe("sessions"), { subscribed: true }) },
        {
          name: "usage.status",
          params: "handler",
          handler: ({ signal }) =>
            new Promise((resolve) => {
              if (signal.aborted) throw new Error("aborted before the handler ran");
              signal.addEventListener("abort", () => {
                seenAbort = true;
                resolve({ aborted: true });
              });
            }),
        },
      ],
    });
    const t = setUp({ ev: d });
    try {
      const got: string[] = [];
      const listener: EventRecipient = { role: "operator", scopes: [], seq: 0, bufferedAmount: () => 0, sendRaw: (s) => void got.push(s), close: () => {} };
      t.rt.broadcaster.add(listener);
      const o = new FakeOrigin();
      expect(await t.call(o, "models.list")).toBeUndefined();
      expect(got.map((s) => JSON.parse(s) as unknown)).toEqual([{ type: "event", event: "tick", payload: { ts: 1 }, seq: 1 }]);
      const err = await t.call(o, "agents.list");
      expect(err?.message).toMatch(/emits tick but does not declare it/);
      expect(got).toHaveLength(1);
      await t.call(o, "sessions.subscribe", {}, ["operator.read"], "s");
      expect([...o.topics]).toEqual(["sessions"]);
      const pending = t.call(o, "usage.status", {}, ["operator.read"], "u");
      o.leave();
      await pending;
      expect(seenAbort).toBe(true);
    } finally {
      t.stop();
    }
  });

  it("session subscriptions: subscribersOf names the connections subscribed to a session, and its events reach them once, in order, and nobody else", () => {
    // What a sessions writer in hanzod does with them: declare the events for subscribers, emit per topic.
    const table = buildEventTable([
      { name: "sessions.changed", guard: "operator.read", audience: "subscribers" },
      { name: "session.message", guard: "operator.read", audience: "subscribers" },
    ]);
    const b = new Broadcaster(1 << 20, table);
    const subs = sessionSubscriptions(b);
    const got = new Map<string, unknown[]>();
    const recipient = (connId: string, topics: string[]): EventRecipient => {
      got.set(connId, []);
      return { connId, role: "operator", scopes: ["operator.read"], seq: 0, topics: new Set(topics), bufferedAmount: () => 0, sendRaw: (s) => void got.get(connId)!.push(JSON.parse(s)), close: () => {} };
    };
    const key = "agent:main:work";
    b.add(recipient("both", [SESSIONS_TOPIC, sessionMessagesTopic(key)]));
    b.add(recipient("messages", [sessionMessagesTopic(key)]));
    b.add(recipient("other-session", [sessionMessagesTopic("agent:main:main")]));
    b.add(recipient("none", []));
    expect(subs.subscribersOf(key)).toEqual(["both", "messages"]);
    expect(subs.sessionEventSubscribers()).toEqual(["both"]);
    expect(subs.subscribersOf("agent:main:absent")).toEqual([]);

    b.broadcast("session.message", { sessionKey: key, n: 1 }, { topic: sessionMessagesTopic(key) });
    b.broadcast("sessions.changed", { sessionKey: key, n: 2 }, { topic: SESSIONS_TOPIC });
    b.broadcast("session.message", { sessionKey: key, n: 3 }, { topic: sessionMessagesTopic(key) });
    const seen = (id: string) => got.get(id)!.map((f) => [(f as { event: string }).event, (f as { payload: { n: number } }).payload.n, (f as { seq: number }).seq]);
    expect(seen("both")).toEqual([["session.message", 1, 1], ["sessions.changed", 2, 2], ["session.message", 3, 3]]);
    expect(seen("messages")).toEqual([["session.message", 1, 1], ["session.message", 3, 2]]);
    expect(seen("other-session")).toEqual([]);
    expect(seen("none")).toEqual([]);

    // Several topics (a turn's session.message: session-event and message subscribers): each connection once.
    b.broadcast("session.message", { sessionKey: key, n: 4 }, { topic: [SESSIONS_TOPIC, sessionMessagesTopic(key)] });
    expect(seen("both").at(-1)).toEqual(["session.message", 4, 4]);
    expect(seen("both")).toHaveLength(4);
    expect(seen("messages").at(-1)).toEqual(["session.message", 4, 3]);
    expect(seen("other-session")).toEqual([]);
    expect(seen("none")).toEqual([]);
  });

  it("runs extra hooks after their built-in stage: authorize/admit/validate may refuse, send may replace the payload", async () => {
    const d = defineDomain({ name: "h", methods: [{ name: "models.list", params: "handler", handler: () => ({ models: ["a"] }) }] });
    const order: string[] = [];
    const hooks: PipelineHook[] = [
      { stage: "authorize", run: (c) => (order.push(`authorize:${c.method}`), undefined) },
      { stage: "admit", run: () => (order.push("admit"), undefined) },
      { stage: "validate", run: (c) => (order.push("validate"), c.params.bad ? Errors.invalidParamsFor(c.method) : undefined) },
      { stage: "send", run: (_c, payload) => (order.push("send"), { ...(payload as object), marked: true }) },
    ];
    const t = setUp({ h: d }, hooks);
    try {
      const o = new FakeOrigin();
      await t.call(o, "models.list");
      expect(order).toEqual(["authorize:models.list", "admit", "validate", "send"]);
      expect(o.sent[0]).toEqual({ type: "res", id: "r1", ok: true, payload: { models: ["a"], marked: true } });
      // A missing scope is refused by the built-in authorize before any extra hook runs.
      order.length = 0;
      await t.call(o, "models.list", {}, []);
      expect(order).toEqual([]);
      expect(await t.call(o, "models.list", { bad: true })).toEqual(Errors.invalidParamsFor("models.list"));
    } finally {
      t.stop();
    }
  });
});

describe("event table and broadcaster", () => {
  it("delivers subscriber events only to connections subscribed to the topic, guarded events only to holders of the scope, one-connection events to nobody", () => {
    const table = buildEventTable([
      { name: "connect.challenge", guard: null, audience: "connection" },
      { name: "sessions.changed", guard: "operator.read", audience: "subscribers" },
      { name: "tick", guard: null },
    ]);
    const b = new Broadcaster(1 << 20, table);
    const mk = (scopes: string[], topics?: string[]) => {
      const got: string[] = [];
      const r: EventRecipient = { role: "operator", scopes, seq: 0, topics: topics ? new Set(topics) : undefined, bufferedAmount: () => 0, sendRaw: (s) => void got.push(JSON.parse(s).event as string), close: () => {} };
      b.add(r);
      return got;
    };
    const subscribedReader = mk(["operator.read"], ["sessions"]);
    const reader = mk(["operator.read"]);
    const subscribedNoScope = mk([], ["sessions"]);
    b.broadcast("sessions.changed", {}, { topic: "sessions" });
    b.broadcast("connect.challenge", {});
    b.broadcast("undeclared.event", {});
    b.broadcast("tick", {});
    expect(subscribedReader).toEqual(["sessions.changed", "tick"]);
    expect(reader).toEqual(["tick"]);
    expect(subscribedNoScope).toEqual(["tick"]);
    expect(() => buildEventTable([{ name: "tick", guard: null }, { name: "tick", guard: null }])).toThrow(/declared twice/);
  });
});
