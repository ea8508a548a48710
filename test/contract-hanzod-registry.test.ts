/**
 * hanzod's static registry (hanzod/registry.ts over domains/manifest.generated.ts) is derived from the
 * domain declarations and current; it names only contract methods (the pinned contract's, or those a
 * frozen release of the window added); it is what the parity report counts as implemented and what a
 * live hanzod answering as the newest release advertises in hello-ok.features.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HANZOD_EVENTS, HANZOD_METHODS } from "../hanzod/registry.js";
import { MANIFEST_PATH, checkDeclarations, loadDomainDeclarations, renderManifest } from "../scripts/hanzod/manifest.js";
import { methodPolicy, releaseMethodRow, windowReleases } from "../protocol/index.js";
import { hanzodMethods } from "../parity/report/coverage-sources.js";
import { connectFrame, isRes, openRaw, startTestHanzod } from "../hanzod/test/helpers.js";
import type { DomainDeclaration } from "../hanzod/core/method.js";

describe("hanzod method registry", () => {
  it("is current with the domain declarations (npm run hanzod:manifest)", async () => {
    expect(readFileSync(MANIFEST_PATH, "utf8")).toBe(await renderManifest());
    const declared = (await loadDomainDeclarations()).flatMap((d) => d.methods.map((m) => m.name));
    expect([...HANZOD_METHODS].sort()).toEqual([...declared].sort());
    expect(new Set(HANZOD_METHODS).size).toBe(HANZOD_METHODS.length);
  });

  it("names only contract methods (pinned, or of a frozen release in the window), and is what the parity report counts as implemented", () => {
    for (const m of HANZOD_METHODS) expect(methodPolicy(m) ?? windowReleases().find((r) => releaseMethodRow(r, m) !== undefined), m).toBeDefined();
    expect([...hanzodMethods()].sort()).toEqual([...HANZOD_METHODS].sort());
  });

  it("refuses declarations that would lie: a non-contract name, a duplicate, a dynamic method without scope(), an undeclared event", () => {
    const noop = () => ({});
    const d = (name: string, methods: DomainDeclaration["methods"], events: DomainDeclaration["events"] = []): DomainDeclaration => ({ name, methods, events });
    expect(() => checkDeclarations([d("x", [{ name: "no.such.method", handler: noop }])], new Set())).toThrow(/not a contract method/);
    expect(() => checkDeclarations([d("x", [{ name: "health", handler: noop }]), d("y", [{ name: "health", handler: noop }])], new Set())).toThrow(/declared by x and y/);
    expect(() => checkDeclarations([d("x", [{ name: "agent", handler: noop }])], new Set())).toThrow(/dynamic scope/);
    expect(() => checkDeclarations([d("x", [{ name: "health", emits: ["nope"], handler: noop }])], new Set(["tick"]))).toThrow(/emits nope/);
    expect(() => checkDeclarations([d("x", [{ name: "health", emits: ["x.changed"], handler: noop }], [{ name: "x.changed", guard: null }])], new Set())).not.toThrow();
  });

  it("a live hanzod advertises exactly the registry in hello-ok.features", async () => {
    const hz = await startTestHanzod();
    try {
      const s = await openRaw(hz.url);
      s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.read"], auth: { token: hz.token } }));
      const hello = (await s.next(isRes("c1"))) as unknown as { payload: { features: { methods: string[]; events: string[] } } };
      s.close();
      expect(hello.payload.features.methods).toEqual([...HANZOD_METHODS]);
      expect(hello.payload.features.events).toEqual([...HANZOD_EVENTS]);
    } finally {
      await hz.stop();
    }
  });
});
