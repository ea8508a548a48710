/** Scope gating of `dynamic` methods: fail closed for a handler without a scope resolver. */
import { describe, expect, inject, it } from "vitest";
import { Errors } from "../../protocol/index.js";
import { authorize } from "../core/pipeline.js";
import type { MethodDeclaration } from "../core/method.js";
import { connectFrame, isRes, openRaw, startTestHanzod } from "./helpers.js";

const legacy = inject("legacy");
const op = (scopes: string[]) => ({ connId: "c", role: "operator", scopes });

describe("dynamic-scope methods", () => {
  it("a declaration without scope() is refused to non-admins with the legacy's missing-scope error", () => {
    const handler: MethodDeclaration = { name: "agent", handler: () => ({ ok: true }) };
    expect(authorize("agent", op(["operator.write"]), {}, handler)).toEqual(Errors.missingScope("operator.admin"));
    expect(authorize("sessions.patch", op(["operator.read", "operator.write", "operator.approvals"]), {}, handler)).toEqual(Errors.missingScope("operator.admin"));
    expect(authorize("agent", op(["operator.admin"]), {}, handler)).toBeUndefined();
  });

  it("a declaration with scope() is gated on what it resolves for these params", () => {
    const handler: MethodDeclaration = { name: "agent", scope: (p) => (p.message === "/reset" ? "operator.admin" : "operator.write"), handler: () => ({ ok: true }) };
    expect(authorize("agent", op(["operator.write"]), { message: "hi" }, handler)).toBeUndefined();
    expect(authorize("agent", op(["operator.write"]), { message: "/reset" }, handler)).toEqual(Errors.missingScope("operator.admin"));
    expect(authorize("agent", op(["operator.read"]), { message: "hi" }, handler)).toEqual(Errors.missingScope("operator.write"));
  });

  it("an unimplemented dynamic method answers as the legacy does for the least privilege (write) check", async () => {
    const hz = await startTestHanzod();
    try {
      const run = async (url: string, token: string) => {
        const s = await openRaw(url);
        s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.read"], auth: { token } }));
        await s.next(isRes("c1"));
        s.send({ type: "req", id: "a", method: "agent", params: { message: "hi", idempotencyKey: "k" } });
        const res = await s.next(isRes("a"));
        s.close();
        return res.error;
      };
      const [a, b] = await Promise.all([run(legacy.url, legacy.token), run(hz.url, hz.token)]);
      expect(b).toEqual(a);
      expect(b).toMatchObject({ code: "FORBIDDEN", details: { code: "MISSING_SCOPE", missingScope: "operator.write" } });
    } finally {
      await hz.stop();
    }
  });
});

describe("chat turns are the operator's choice", () => {
  it("a hanzod started without --turns declines chat.send (before anything is written), so the legacy runs the turn", async () => {
    const hz = await startTestHanzod();
    try {
      const s = await openRaw(hz.url);
      s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token: hz.token } }));
      await s.next(isRes("c1"));
      s.send({ type: "req", id: "send", method: "chat.send", params: { sessionKey: "agent:main:main", message: "hi", idempotencyKey: "k-off" } });
      const res = await s.next(isRes("send"));
      s.close();
      expect(res.ok).toBe(false);
      expect(res.error).toMatchObject({ code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } });
      expect(String((res.error as { message?: string }).message)).toContain("--turns text-only");
    } finally {
      await hz.close();
    }
  });

  it("chat.abort and agent.wait: declined without --turns, and with turns for a run hanzod does not hold (the proxy hands them to the legacy)", async () => {
    for (const turns of [undefined, "text-only"] as const) {
      const hz = await startTestHanzod(turns ? { turns } : {});
      try {
        const s = await openRaw(hz.url);
        s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token: hz.token } }));
        await s.next(isRes("c1"));
        const calls = [
          ["abort-run", "chat.abort", { sessionKey: "agent:main:main", runId: "not-hanzods" }],
          ["abort-session", "chat.abort", { sessionKey: "agent:main:main" }],
          ["wait", "agent.wait", { runId: "not-hanzods", timeoutMs: 10 }],
        ] as const;
        for (const [id, method, params] of calls) {
          s.send({ type: "req", id, method, params });
          const res = await s.next(isRes(id));
          expect({ turns, method, params, error: res.error }).toMatchObject({ turns, method, params, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } } });
        }
        // Params are checked first, in the legacy's validator wording (not declined).
        s.send({ type: "req", id: "bad", method: "agent.wait", params: {} });
        expect((await s.next(isRes("bad"))).error).toMatchObject({ code: "INVALID_REQUEST" });
        s.close();
      } finally {
        await hz.stop();
      }
    }
  });
});
