/**
 * hanzod/methods/registry.ts (static, import-free: what tools read) and the runtime's handler table
 * (hanzod/methods/index.ts: what hanzod serves and advertises in hello-ok.features.methods) name the
 * same methods, and each is a method of the frozen contract.
 */
import { describe, expect, it } from "vitest";
import { HANZOD_METHODS } from "../hanzod/methods/registry.js";
import { createMethodTable } from "../hanzod/methods/index.js";
import { methodPolicy } from "../protocol/index.js";
import { hanzodMethods } from "../parity/report/coverage-sources.js";

describe("hanzod method registry", () => {
  it("equals the runtime's method table", () => {
    const runtime = [...createMethodTable(() => 1).keys()].sort();
    expect([...HANZOD_METHODS].sort()).toEqual(runtime);
    expect(new Set(HANZOD_METHODS).size).toBe(HANZOD_METHODS.length);
  });

  it("names only contract methods, and is what the parity report counts as implemented", () => {
    for (const m of HANZOD_METHODS) expect(methodPolicy(m), m).toBeDefined();
    expect([...hanzodMethods()].sort()).toEqual([...HANZOD_METHODS].sort());
  });
});
