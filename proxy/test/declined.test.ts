/**
 * A call routed to hanzod that hanzod declines (it cannot answer as the legacy would in this state: here a
 * hanzod without the legacy's state) is answered by the legacy, as if it had been routed there: the
 * client never sees the decline, whichever backend owns its connection. A client talking to hanzod
 * directly sees the decline itself, as the legacy-shaped UNAVAILABLE with its detail code.
 */
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DECLINED_DETAIL_CODE } from "../../protocol/index.js";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, type ResponseFrame, type TestClient } from "./ws-client.js";
import { CollectingSink, HANZOD_TOKEN, checklistFile, metricValue, spawnHanzod, type SpawnedHanzod } from "./support.js";

const legacy = inject("legacy");
const DECLINED_METHOD = "users.list";

function answerOf(f: ResponseFrame): { ok: boolean; payload: unknown; error: unknown } {
  return { ok: f.ok, payload: f.payload, error: f.error };
}

/** The legacy's own answer, asked directly before and after `through` until the two agree. */
async function legacyAnswerAround(direct: TestClient, through: () => Promise<ResponseFrame>): Promise<{ legacy: unknown; proxied: unknown }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = answerOf(await direct.call(DECLINED_METHOD, {}));
    const proxied = answerOf(await through());
    const after = answerOf(await direct.call(DECLINED_METHOD, {}));
    if (isDeepStrictEqual(before, after)) return { legacy: before, proxied };
  }
  throw new Error(`the legacy's ${DECLINED_METHOD} answer kept changing`);
}

describe("a call hanzod declines", () => {
  let hanzod: SpawnedHanzod;
  let legacyAuth: RunningProxy;
  let hanzodAuth: RunningProxy;
  let shadowed: RunningProxy;
  const sink = new CollectingSink();
  let direct: TestClient;
  const legacyAuthFile = checklistFile(["version: 1", "methods:", `  ${DECLINED_METHOD}: hanzod`, "  status: hanzod"].join("\n"));
  const hanzodAuthFile = checklistFile(["version: 1", "authOwner: hanzod", "default: hanzod"].join("\n"));
  const shadowFile = checklistFile(["version: 1", "methods:", `  ${DECLINED_METHOD}: shadow`, "  status: shadow", "shadow: { noiseSampleRate: 0 }"].join("\n"));

  beforeAll(async () => {
    hanzod = await spawnHanzod();
    const common = { listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, logLevel: "silent" as const };
    legacyAuth = await startProxy({ ...common, checklistPath: legacyAuthFile.path });
    hanzodAuth = await startProxy({ ...common, checklistPath: hanzodAuthFile.path, legacyToken: legacy.token });
    shadowed = await startProxy({ ...common, checklistPath: shadowFile.path, shadowSink: sink });
    direct = await connectClient(legacy.url, { token: legacy.token, scopes: ["operator.admin"] });
  });
  afterAll(async () => {
    await direct?.close();
    await legacyAuth?.close();
    await hanzodAuth?.close();
    await shadowed?.close();
    await hanzod?.kill();
    legacyAuthFile.dispose();
    hanzodAuthFile.dispose();
    shadowFile.dispose();
  });

  it("is a legacy-shaped UNAVAILABLE with the decline's detail code when asked of hanzod directly", async () => {
    const c = await connectClient(hanzod.url, { token: HANZOD_TOKEN, scopes: ["operator.admin"] });
    try {
      const res = await c.call(DECLINED_METHOD, {});
      expect(res.ok).toBe(false);
      expect(res.error).toMatchObject({ code: "UNAVAILABLE", details: { code: DECLINED_DETAIL_CODE } });
      expect(res.error?.message).toMatch(/state dir/);
      // A method hanzod answers is not declined.
      expect((await c.call("status", {})).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("is answered by the legacy on a connection the legacy owns, and counted as declined", async () => {
    const c = await connectClient(legacyAuth.url, { token: legacy.token, scopes: ["operator.admin"] });
    try {
      const { legacy: fromLegacy, proxied } = await legacyAnswerAround(direct, () => c.call(DECLINED_METHOD, {}));
      expect(proxied).toEqual(fromLegacy);
      expect(proxied).toMatchObject({ ok: true, payload: { profiles: expect.any(Array) } });
      expect(await metricValue(legacyAuth.adminPort!, "hanzonode_proxy_requests_total", { method: DECLINED_METHOD, backend: "hanzod", outcome: "declined" })).toBeGreaterThanOrEqual(1);
      expect(await metricValue(legacyAuth.adminPort!, "hanzonode_proxy_requests_total", { method: DECLINED_METHOD, backend: "legacy", outcome: "ok" })).toBeGreaterThanOrEqual(1);
      // Exactly one answer per request reached the client: the decline never did.
      const answers = c.frames.filter((f) => f.type === "res" && f.id !== c.hello.id);
      expect(answers.every((f) => f.type === "res" && f.ok)).toBe(true);
      expect(new Set(answers.map((f) => f.type === "res" && f.id)).size).toBe(answers.length);
    } finally {
      await c.close();
    }
  });

  it("is answered by the legacy over the proxy's own leg when hanzod owns the connection", async () => {
    const c = await connectClient(hanzodAuth.url, { token: HANZOD_TOKEN, scopes: ["operator.admin"] });
    try {
      expect(c.hello.ok).toBe(true);
      const { legacy: fromLegacy, proxied } = await legacyAnswerAround(direct, () => c.call(DECLINED_METHOD, {}));
      expect(proxied).toEqual(fromLegacy);
      expect(await metricValue(hanzodAuth.adminPort!, "hanzonode_proxy_requests_total", { method: DECLINED_METHOD, backend: "hanzod", outcome: "declined" })).toBeGreaterThanOrEqual(1);
      // The same client id again (the first request is settled): answered again, once.
      const again = await c.call(DECLINED_METHOD, {});
      expect(again.ok).toBe(true);
      expect(c.frames.filter((f) => f.type === "res" && f.id === again.id)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it("shadowed, is not compared: hanzod claims no answer of its own (counted as declined)", async () => {
    const c = await connectClient(shadowed.url, { token: legacy.token, scopes: ["operator.admin"] });
    try {
      expect((await c.call(DECLINED_METHOD, {})).ok).toBe(true);
      expect((await c.call("status", {})).ok).toBe(true);
      // status is compared (hanzod answers it); the declined copy is counted, never submitted.
      await expect.poll(() => sink.observations.filter((o) => o.method === "status").length, { timeout: 15_000 }).toBe(1);
      await expect.poll(() => metricValue(shadowed.adminPort!, "hanzonode_proxy_shadow_total", { result: "declined" }), { timeout: 15_000 }).toBe(1);
      expect(sink.observations.filter((o) => o.method === DECLINED_METHOD)).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
