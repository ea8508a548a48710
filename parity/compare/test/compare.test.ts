import { describe, expect, it } from "vitest";
import { compareAnswers, compareFrames, DEFAULT_RULES, mergeRules, mergeRuleSets, normalize, rulesFor, GlobMatcher, type NormalizationRules } from "../index.js";
import { rewriteMachineFacts } from "../../../test/other-machine.js";

describe("path globs", () => {
  const m = new GlobMatcher([
    { glob: "/a/*/c", tag: 1 },
    { glob: "/**/ts", tag: 2 },
    { glob: "/x/**", tag: 4 },
  ]);
  const tags = (path: string[]): number => m.tagsOf(path.reduce<readonly number[]>((s, k) => m.step(s, k), m.root));
  it("matches one segment with * and any depth with **", () => {
    expect(tags(["a", "b", "c"])).toBe(1);
    expect(tags(["a", "b", "d"])).toBe(0);
    expect(tags(["a", "b", "b", "c"])).toBe(0);
    expect(tags(["ts"])).toBe(2);
    expect(tags(["p", "q", "r", "ts"])).toBe(2);
    expect(tags(["x"])).toBe(4);
    expect(tags(["x", "y", "z"])).toBe(4);
  });
});

describe("normalize", () => {
  it("replaces volatile values by typed placeholders and keeps stable ones", () => {
    const v = normalize(
      { ts: 1795576989669, id: "1:ce82fc2a-3b79-4dcb-b213-e5cbd03ffed3", connId: "abc", version: "2026.9.1", nonce: "n", durationMs: 3, maxPayload: 26214400, path: "/tmp/hanzonode-legacy-zq/.openclaw/x.sqlite", hash: "hmac-sha256:v1:gZv7yO1c4lX0ydw_njwkktOYsNIrUFrao3OvHsXRjBQ", name: "main" },
      {},
    );
    expect(v).toEqual({
      connId: "<connId:string>",
      durationMs: "<duration:number>",
      hash: "<digest:string>",
      id: "1:<uuid>",
      maxPayload: 26214400,
      name: "main",
      nonce: "<nonce:string>",
      path: "<tempPath>/.openclaw/x.sqlite",
      ts: "<timestamp:number>",
      version: "<version:string>",
    });
  });

  it("ignores, shape-compares and sorts unordered arrays at glob paths", () => {
    const rules: NormalizationRules = { ignore: ["/skip"], shapeOnly: ["/metrics"], unordered: ["/list"], volatile: [] };
    expect(normalize({ skip: 1, metrics: { a: 1.5, b: [true] }, list: [3, 1, 2] }, rules)).toEqual({ metrics: { a: "<number>", b: ["<boolean>"] }, list: [1, 2, 3] });
  });

  it("names uuid-keyed map entries by content so two runs line up", () => {
    const a = normalize({ m: { "1a102b74-8952-41d0-9396-9510e56dee83": { k: 1 }, "81df5f81-614f-4f80-8dd8-3128a1f1f7a9": { k: 2 } } }, {});
    const b = normalize({ m: { "f1df5f81-614f-4f80-8dd8-3128a1f1f7a9": { k: 2 }, "0a102b74-8952-41d0-9396-9510e56dee83": { k: 1 } } }, {});
    expect(a).toEqual(b);
  });
});

describe("compareFrames", () => {
  const res = (payload: unknown) => ({ type: "res", id: "1", ok: true, payload });
  const err = (code: string, details?: object) => ({ type: "res", id: "1", ok: false, error: { code, message: "m", ...(details ? { details } : {}) } });

  it("finds missing, extra, type and value differences in payloads", () => {
    const d = compareFrames(res({ a: 1, b: "x", c: [1] }), res({ a: "1", c: [1, 2], d: true }), {});
    expect(d.map((x) => `${x.kind} ${x.path}`).sort()).toEqual(["extra /d", "length /c", "missing /b", "type /a"]);
  });

  it("compares error answers on code, details.code and shape, not message text", () => {
    expect(compareFrames(err("INVALID_REQUEST"), { ...err("INVALID_REQUEST"), error: { code: "INVALID_REQUEST", message: "other words" } }, {})).toEqual([]);
    expect(compareFrames(err("INVALID_REQUEST"), err("FORBIDDEN"), {}).map((x) => x.kind)).toEqual(["error-code"]);
    const d = compareFrames(err("FORBIDDEN", { code: "MISSING_SCOPE" }), err("FORBIDDEN", { code: "OTHER" }), {});
    expect(d.map((x) => x.kind)).toEqual(["error-details-code"]);
    expect(compareFrames(err("FORBIDDEN", { code: "X", missingScope: "a" }), err("FORBIDDEN", { code: "X" }), {}).map((x) => `${x.kind} ${x.path}`)).toEqual(["missing /error/details/missingScope"]);
  });

  it("reports frame kind, id and ok differences", () => {
    expect(compareFrames(res({}), { type: "event", event: "tick" }, {})[0]?.kind).toBe("frame-kind");
    expect(compareFrames(res({}), { ...res({}), id: "2" }, {})[0]?.kind).toBe("id");
    expect(compareFrames(res({}), err("FORBIDDEN"), {})[0]?.kind).toBe("ok");
  });

  it("checks the actual frame against the frozen contract when asked", () => {
    const bad = { type: "res", id: "1", ok: true, payload: {}, surprise: 1 };
    const d = compareFrames(res({}), bad, {}, { checkContract: true });
    expect(d.some((x) => x.kind === "contract" && x.definition === "ResponseFrame")).toBe(true);
  });

  it("applies per-method default rules through compareAnswers and merges extra layers", () => {
    const jobs = (order: string[]) => res({ jobs: order.map((n) => ({ name: n, schedule: { anchorMs: Math.floor(Math.random() * 1e6) } })) });
    expect(compareAnswers(jobs(["a", "b"]), jobs(["b", "a"]), DEFAULT_RULES, { method: "cron.list" })).toEqual([]);
    expect(compareAnswers(jobs(["a", "b"]), jobs(["b", "a"]), DEFAULT_RULES, { method: "health" }).length).toBeGreaterThan(0);
    const learned = mergeRuleSets(DEFAULT_RULES, { global: {}, methods: { health: { ignore: ["/noise"] } } });
    expect(compareAnswers(res({ noise: 1 }), res({ noise: 2 }), learned, { method: "health" })).toEqual([]);
    expect(compareAnswers(res({ noise: 1 }), res({ noise: 2 }), DEFAULT_RULES, { method: "health" })).toHaveLength(1);
  });
});

describe("rule layering (mergeRules)", () => {
  it("keeps an explicit volatile: [] when the other layer does not set volatile", () => {
    expect(mergeRules({ volatile: [] }, { ignore: ["/a"] })).toEqual({ volatile: [], ignore: ["/a"] });
    expect(mergeRules({ ignore: ["/a"] }, { volatile: [] })).toEqual({ volatile: [], ignore: ["/a"] });
    // ...so a layer without detectors really compares raw values
    const raw = mergeRuleSets({ global: { volatile: [] } }, { global: {}, methods: { m: { ignore: ["/x"] } } });
    const ts = { type: "res", id: "1", ok: true, payload: { ts: 1795576989669 } };
    expect(compareAnswers(ts, { ...ts, payload: { ts: 1795576989670 } }, raw, { method: "m" }).map((d) => d.kind)).toEqual(["value"]);
  });

  it("inherits when neither layer sets volatile, unions when both do", () => {
    expect(mergeRules({}, { ignore: ["/a"] }).volatile).toBeUndefined();
    expect(mergeRules({ volatile: ["uuid"] }, { volatile: ["timestamp", "uuid"] }).volatile).toEqual(["uuid", "timestamp"]);
    expect(mergeRules({ volatile: ["uuid"] }, {}).volatile).toEqual(["uuid"]);
  });

  it("a per-method layer without volatile keeps the global detector list (no workaround needed)", () => {
    const set = mergeRuleSets({ global: { volatile: ["uuid"] } }, { global: {}, methods: { m: { ignore: ["/x"] } } });
    expect(rulesFor(set, { method: "m" }).source.volatile).toEqual(["uuid"]);
  });
});

describe("typeOnly, optional and set rules", () => {
  const res = (payload: unknown) => ({ type: "res", id: "1", ok: true, payload });
  const kinds = (d: { kind: string; path: string }[]) => d.map((x) => `${x.kind} ${x.path}`);

  it("typeOnly compares the JSON type alone: lengths and elements do not count, the type does", () => {
    const rules: NormalizationRules = { typeOnly: ["/list"] };
    expect(compareFrames(res({ list: ["a", "b", "c"] }), res({ list: [] }), rules)).toEqual([]);
    expect(kinds(compareFrames(res({ list: ["a"] }), res({ list: "a" }), rules))).toEqual(["value /list"]);
    expect(kinds(compareFrames(res({ list: ["a"] }), res({}), rules))).toEqual(["missing /list"]);
  });

  it("optional allows presence on one side only, and still compares when both sides have it", () => {
    const rules: NormalizationRules = { optional: ["/ui", "/a/*/hint"] };
    expect(compareFrames(res({ ui: { k: 1 } }), res({}), rules)).toEqual([]);
    expect(compareFrames(res({}), res({ ui: 1 }), rules)).toEqual([]);
    expect(compareFrames(res({ a: [{ hint: 1, v: 1 }] }), res({ a: [{ v: 1 }] }), rules)).toEqual([]);
    expect(kinds(compareFrames(res({ ui: { k: 1 } }), res({ ui: { k: 2 } }), rules))).toEqual(["value /ui/k"]);
    // only the path itself is optional: a key missing below it is a difference
    expect(kinds(compareFrames(res({ ui: { k: 1 } }), res({ ui: {} }), rules))).toEqual(["missing /ui/k"]);
    expect(kinds(compareFrames(res({ other: 1 }), res({}), rules))).toEqual(["missing /other"]);
  });

  it("unordered arrays report added and missing elements, not positional differences", () => {
    const rules: NormalizationRules = { unordered: ["/m"], volatile: [] };
    const d = compareFrames(res({ m: ["a", "b", "c", "d"] }), res({ m: ["a", "x", "b", "c"] }), rules);
    expect(d).toEqual([
      { kind: "element-missing", path: "/m", expected: "d" },
      { kind: "element-extra", path: "/m", actual: "x" },
    ]);
    // multiset: duplicates count
    expect(kinds(compareFrames(res({ m: ["a", "a"] }), res({ m: ["a"] }), rules))).toEqual(["element-missing /m"]);
    expect(compareFrames(res({ m: [{ k: 2, j: 1 }, "z"] }), res({ m: ["z", { j: 1, k: 2 }] }), rules)).toEqual([]);
    // ordered arrays still diff by index
    expect(kinds(compareFrames(res({ o: ["a", "b"] }), res({ o: ["b", "a"] }), rules))).toEqual(["value /o/0", "value /o/1"]);
  });
});

describe("the default rules", () => {
  const res = (payload: unknown) => ({ type: "res", id: "1", ok: true, payload });
  const kinds = (d: { kind: string; path: string }[]) => d.map((x) => `${x.kind} ${x.path}`);
  const hello = (over: Record<string, unknown>) => ({
    type: "res",
    id: "c1",
    ok: true,
    payload: {
      type: "hello-ok",
      protocol: 4,
      features: { methods: ["health", "status"], events: ["tick"], capabilities: ["x"] },
      auth: { role: "operator", scopes: ["operator.read"] },
      policy: { maxPayload: 26214400, tickIntervalMs: 30000 },
      ...over,
    },
  });

  it("treat discovery lists as inventories but keep role, scopes, protocol and policy limits strict", () => {
    expect(compareAnswers(hello({}), hello({ features: { methods: ["health"], events: [], capabilities: [] } }), DEFAULT_RULES, { method: "connect" })).toEqual([]);
    expect(kinds(compareAnswers(hello({}), hello({ auth: { role: "node", scopes: ["operator.read"] } }), DEFAULT_RULES, { method: "connect" }))).toEqual(["value /auth/role"]);
    expect(kinds(compareAnswers(hello({}), hello({ auth: { role: "operator", scopes: ["operator.admin"] } }), DEFAULT_RULES, { method: "connect" }))).toEqual(["value /auth/scopes/0"]);
    expect(kinds(compareAnswers(hello({}), hello({ protocol: 3 }), DEFAULT_RULES, { method: "connect" }))).toEqual(["value /protocol"]);
    expect(kinds(compareAnswers(hello({}), hello({ policy: { maxPayload: 1024, tickIntervalMs: 30000 } }), DEFAULT_RULES, { method: "connect" }))).toEqual(["value /policy/maxPayload"]);
  });

  it("let Control UI fields be absent but compare them when both sides send them", () => {
    const ui = { controlUiWidgetKinds: [{ kind: "session:progress" }] };
    expect(compareAnswers(hello(ui), hello({}), DEFAULT_RULES, { method: "connect" })).toEqual([]);
    expect(kinds(compareAnswers(hello(ui), hello({ controlUiWidgetKinds: [{ kind: "session:report" }] }), DEFAULT_RULES, { method: "connect" }))).toEqual(["value /controlUiWidgetKinds/0/kind"]);
  });

  it("apply the health inventory rules to the method, the event and hello-ok's snapshot alike", () => {
    const store = (home: string) => `${home}/.openclaw/agents/main/agent/openclaw-agent.sqlite`;
    const health = (agents: string[], plugins: string[], home: string) => ({
      ok: true,
      agents: agents.map((agentId) => ({ agentId, isDefault: agentId === "main", sessions: { path: store(home), count: 0, recent: [] } })),
      plugins: { loaded: plugins },
      heartbeatSeconds: agents.length ? 1800 : 0,
      channels: {},
      sessions: { path: store(home), count: 0, recent: [] },
    });
    // The plugin list is each build's own and store paths are deployment facts: the same agents on two hosts agree.
    const a = health(["main"], ["openai", "ollama"], "/home/alice");
    const b = health(["main"], [], "/srv/gateway");
    expect(compareAnswers(res(a), res(b), DEFAULT_RULES, { method: "health" })).toEqual([]);
    expect(compareAnswers({ type: "event", event: "health", payload: a }, { type: "event", event: "health", payload: b }, DEFAULT_RULES)).toEqual([]);
    expect(compareAnswers(hello({ snapshot: { health: a } }), hello({ snapshot: { health: b } }), DEFAULT_RULES, { method: "connect" })).toEqual([]);
    // Agents are compared: a runtime that lists none where the other lists main differs, and so does its heartbeat.
    const none = health([], [], "/srv/gateway");
    expect(kinds(compareAnswers(res(a), res(none), DEFAULT_RULES, { method: "health" }))).toEqual(expect.arrayContaining([expect.stringMatching(/\/agents/), "value /heartbeatSeconds"]));
    expect(compareAnswers(hello({ snapshot: { health: a } }), hello({ snapshot: { health: none } }), DEFAULT_RULES, { method: "connect" })).not.toEqual([]);
    // still strict about the keys themselves
    expect(kinds(compareAnswers(res(a), res({ ...b, ok: false }), DEFAULT_RULES, { method: "health" }))).toEqual(["value /ok"]);
    const { channels: _c, ...noChannels } = b;
    expect(kinds(compareAnswers(res(a), res(noChannels), DEFAULT_RULES, { method: "health" }))).toEqual(["missing /channels"]);
  });

  it("compare status agent rows, with only each agent's store path a deployment fact", () => {
    const status = (agents: string[], home: string) => ({
      heartbeat: { defaultAgentId: "main", agents: agents.map((agentId) => ({ agentId, enabled: true, every: "30m", everyMs: 1_800_000, waitingForRoute: true })) },
      sessions: { paths: [], count: 0, recent: [], byAgent: agents.map((agentId) => ({ agentId, path: `${home}/.openclaw/agents/${agentId}/agent/openclaw-agent.sqlite`, count: 0, recent: [] })) },
    });
    expect(compareAnswers(res(status(["main"], "/home/alice")), res(status(["main"], "/srv/gateway")), DEFAULT_RULES, { method: "status" })).toEqual([]);
    const diff = kinds(compareAnswers(res(status(["main"], "/home/alice")), res(status([], "/home/alice")), DEFAULT_RULES, { method: "status" }));
    expect(diff).toEqual(expect.arrayContaining([expect.stringMatching(/\/heartbeat\/agents/), expect.stringMatching(/\/sessions\/byAgent/)]));
  });

  it("compare a presence row's machine facts by type and presence, wherever the row appears", () => {
    const here = { host: "vm", ip: "192.0.2.2", version: "2026.9.1", platform: "linux 6.18.44-fc-v669", deviceFamily: "Linux", modelIdentifier: "x64", mode: "gateway", reason: "self", text: "Gateway: vm (192.0.2.2) · app 2026.9.1 · mode gateway · reason self" };
    const elsewhere = structuredClone(here);
    expect(rewriteMachineFacts(elsewhere)).toBe(6);
    const places = [
      (row: object) => [hello({ snapshot: { presence: [row] } }), { method: "connect" }] as const,
      (row: object) => [res([row]), { method: "system-presence" }] as const,
      (row: object) => [{ type: "event", event: "presence", payload: { presence: [row] } }, {}] as const,
    ];
    for (const at of places) {
      const [expected, opts] = at(here);
      const [same] = at(elsewhere);
      expect(compareAnswers(expected, same, DEFAULT_RULES, opts)).toEqual([]);
      // What the row says about the connection stays strict, and so do the facts' presence and type.
      const [otherMode] = at({ ...elsewhere, mode: "cli" });
      expect(kinds(compareAnswers(expected, otherMode, DEFAULT_RULES, opts))).toEqual([expect.stringMatching(/^value .*\/mode$/)]);
      const { host: _h, ...hostless } = elsewhere;
      const [noHost] = at(hostless);
      expect(kinds(compareAnswers(expected, noHost, DEFAULT_RULES, opts))).toEqual([expect.stringMatching(/^missing .*\/host$/)]);
      const [numericIp] = at({ ...elsewhere, ip: 3221225986 });
      expect(kinds(compareAnswers(expected, numericIp, DEFAULT_RULES, opts))).toEqual([expect.stringMatching(/\/ip$/)]);
    }
  });
});

