import { describe, expect, it } from "vitest";
import { CONTRACT_METHOD_NAMES, methodPolicy, isNodeRoleMethod, isSideEffecting, methodsInPhase, scopeSatisfies, capScopes, Errors, validateFrame, validateParams, paramsDefinitionFor } from "../index.js";

describe("method table", () => {
  it("holds the 410 contract methods with scope, since and phase", () => {
    expect(CONTRACT_METHOD_NAMES).toHaveLength(410);
    expect(methodPolicy("health")).toEqual({ scope: "operator.read", since: "<=2026.7", phase: "phase1" });
    expect(methodPolicy("config.patch")?.scope).toBe("operator.admin");
    expect(methodPolicy("no.such.method")).toBeUndefined();
    const phases = ["phase1", "phase2", "phase3", "phase4", "later"] as const;
    expect(phases.reduce((n, p) => n + methodsInPhase(p).length, 0)).toBe(410);
  });

  it("knows node-role and side-effecting methods, failing closed on unknown ones", () => {
    expect(isNodeRoleMethod("node.invoke.result")).toBe(true);
    expect(isNodeRoleMethod("node.list")).toBe(false);
    expect(isSideEffecting("health")).toBe(false);
    expect(isSideEffecting("chat.send")).toBe(true);
    expect(isSideEffecting("plugin.unknown.thing")).toBe(true);
  });
});

describe("scope implication", () => {
  it("follows the legacy rules: admin covers all, write covers read/talk/sessions, others exact", () => {
    expect(scopeSatisfies(["operator.admin"], "operator.pairing")).toBe(true);
    expect(scopeSatisfies(["operator.write"], "operator.read")).toBe(true);
    expect(scopeSatisfies(["operator.write"], "operator.talk")).toBe(true);
    expect(scopeSatisfies(["operator.write"], "operator.approvals")).toBe(false);
    expect(scopeSatisfies(["operator.read"], "operator.write")).toBe(false);
    expect(scopeSatisfies([], "operator.read")).toBe(false);
  });

  it("caps without ever widening", () => {
    expect(capScopes(["operator.admin", "operator.read"], ["operator.read"])).toEqual(["operator.read"]);
    expect(capScopes(["operator.read"], [])).toEqual([]);
  });
});

describe("contract validators", () => {
  it("reject unknown fields in closed frames, naming the definition", () => {
    const out = validateFrame({ type: "req", id: "1", method: "health", extra: true } as never);
    expect(out.valid).toBe(false);
    expect(out.issues[0]).toMatchObject({ definition: "RequestFrame", keyword: "additionalProperties" });
    expect(validateFrame({ type: "req", id: "1", method: "health" }).valid).toBe(true);
  });

  it("find params definitions by the contract's naming and validate them", () => {
    expect(paramsDefinitionFor("connect")).toBe("ConnectParams");
    expect(validateParams("connect", { minProtocol: 4 })?.valid).toBe(false);
    expect(validateParams("health", {})).toBeUndefined();
  });
});

describe("error catalog", () => {
  it("builds the legacy shapes", () => {
    expect(Errors.missingScope("operator.admin")).toEqual({
      code: "FORBIDDEN",
      message: "missing scope: operator.admin",
      details: { code: "MISSING_SCOPE", missingScope: "operator.admin", requiredScopes: ["operator.admin"] },
    });
    expect(Errors.unknownMethod("no.such")).toEqual({ code: "INVALID_REQUEST", message: "unknown method: no.such" });
  });
});
