/**
 * The proxy's part of issue 13 gap 2 (proxy/activity.ts), on stand-ins for both backends (no gateway):
 * with hanzod owning auth, a `session.typing` with `typing: true` that the legacy answers ok is followed by
 * the proxy's activity notice on the client's own hanzod leg, carrying only the proof under hanzod's token;
 * nothing for `typing: false`, a refused call, another method, or with the legacy owning auth. And hanzod's
 * gate: the notice is taken only from a trusted-proxy address with the proof. The live half (hanzod
 * stamping, a client's own notice refused as the legacy refuses it) is in control-ui.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTIVITY_NOTICE_METHOD, activityNoticeProof } from "../../protocol/index.js";
import { startProxy, type RunningProxy } from "../index.js";
import { HANZOD_TOKEN, checklistFile } from "./support.js";
import { startScriptedBackend, type ScriptedBackend } from "./scripted-backend.js";
import { connectClient } from "./ws-client.js";
import { startTestHanzod } from "../../hanzod/test/helpers.js";

const REFUSED = { ok: false, error: { code: "INVALID_REQUEST", message: "unknown session: nope" } };

describe("the proxy's activity notice after an accepted session.typing", () => {
  let legacy: ScriptedBackend;
  let hanzod: ScriptedBackend;
  const proxies: RunningProxy[] = [];
  const files = ["hanzod", "legacy"].map((owner) => checklistFile(["version: 1", `authOwner: ${owner}`, "default: legacy"].join("\n")));

  beforeAll(async () => {
    legacy = await startScriptedBackend((method, params) => (method === "session.typing" && (params as { sessionKey?: unknown }).sessionKey === "nope" ? REFUSED : undefined));
    hanzod = await startScriptedBackend();
    for (const f of files) proxies.push(await startProxy({ listenPort: 0, legacyUrl: legacy.url, legacyToken: "legacy-token", hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: f.path, logLevel: "silent" }));
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await legacy.close();
    await hanzod.close();
    for (const f of files) f.dispose();
  });

  const notices = () => hanzod.received.filter((r) => r.method === ACTIVITY_NOTICE_METHOD);

  it("authOwner hanzod: one notice, with the proof only, per accepted typing: true; none for typing: false, a refused call or another method", async () => {
    const c = await connectClient(proxies[0]!.url, { token: HANZOD_TOKEN });
    try {
      const typing = { sessionKey: "agent:main:main", sessionId: "s1", typing: true };
      for (const params of [{ ...typing, typing: false }, { ...typing, sessionKey: "nope" }, { ...typing, typing: "true" }]) await c.call("session.typing", params);
      await c.call("sessions.viewers.set", { sessionKeys: [] });
      expect((await c.call("session.typing", typing)).ok).toBe(true);
      await expect.poll(() => notices().length, { timeout: 2_000, interval: 10 }).toBe(1);
      expect(notices()[0]!.params).toEqual({ proof: activityNoticeProof(HANZOD_TOKEN) });
      // The calls themselves were the legacy's, and the notice's answer never reached the client.
      expect(legacy.received.filter((r) => r.method === "session.typing")).toHaveLength(4);
      expect(hanzod.received.filter((r) => r.method === "session.typing")).toEqual([]);
      expect(c.frames.filter((f) => f.type === "res" && f.id.startsWith("hanzonode-proxy:"))).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it("authOwner legacy: the legacy stamps its own client, so no notice", async () => {
    const before = notices().length;
    const c = await connectClient(proxies[1]!.url, { token: "legacy-token" });
    try {
      expect((await c.call("session.typing", { sessionKey: "agent:main:main", sessionId: "s1", typing: true })).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(notices()).toHaveLength(before);
    } finally {
      await c.close();
    }
  });

  it("hanzod takes the notice only from a trusted-proxy address with the proof under its token; otherwise it is an unknown method", async () => {
    const token = "activity-notice-token";
    const proof = activityNoticeProof(token);
    for (const trustedProxies of [["127.0.0.1", "::1"], []]) {
      const h = await startTestHanzod({ auth: { mode: "token", token }, trustedProxies });
      try {
        const c = await connectClient(h.url, { token, scopes: ["operator.admin"] });
        try {
          const answers = [];
          for (const params of [{ proof }, { proof: activityNoticeProof("another-token") }, {}, { proof, extra: 1 }]) {
            const r = await c.call(ACTIVITY_NOTICE_METHOD, params);
            answers.push(r.ok ? { ok: true, payload: r.payload } : { ok: false, message: r.error?.message });
          }
          const unknown = { ok: false, message: `unknown method: ${ACTIVITY_NOTICE_METHOD}` };
          const taken = { ok: true, payload: {} };
          expect(answers, `trusted proxies ${JSON.stringify(trustedProxies)}`).toEqual(trustedProxies.length > 0 ? [taken, unknown, unknown, taken] : [unknown, unknown, unknown, unknown]);
          // Not a method of hanzod's: hello-ok does not list it.
          expect(((c.hello.payload as { features?: { methods?: string[] } }).features?.methods ?? []).includes(ACTIVITY_NOTICE_METHOD)).toBe(false);
        } finally {
          await c.close();
        }
      } finally {
        await h.stop();
      }
    }
  });
});
