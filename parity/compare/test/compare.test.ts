import { describe, expect, it } from "vitest";
import { compareAnswers, compareFrames, DEFAULT_RULES, mergeRuleSets, normalize, GlobMatcher, type NormalizationRules } from "../index.js";

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
