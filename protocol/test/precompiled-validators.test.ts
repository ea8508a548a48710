import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { Ajv as AjvClass, ValidateFunction } from "ajv";
import { PRECOMPILED_ALL_PATH, PRECOMPILED_PATH, renderPrecompiled } from "../../scripts/hanzod/precompile-validators.js";
import { PRECOMPILED } from "../precompiled-validators.generated.js";
import { PRECOMPILED as PRECOMPILED_ALL } from "../precompiled-validators-all.generated.js";
import { PINNED_CONTRACT, definitionsDigest, engineOptions, referencedDefinitions } from "../validators.js";
import { releaseValidator } from "../window.js";
import { windowReleases } from "../releases.js";
import type { DefinitionSource } from "../definition-source.js";

const require = createRequire(import.meta.url);
const sourceOf = (v: unknown) => (v as { source: DefinitionSource }).source;

const client = { id: "cli", version: "1.0.0", platform: "linux", mode: "cli" };
const connectSamples: unknown[] = [
  { minProtocol: 4, maxProtocol: 4, client },
  { minProtocol: 4, maxProtocol: 4, client, role: "operator", scopes: ["operator.read"], auth: { token: "t" }, caps: ["x"] },
  { minProtocol: 4, maxProtocol: 4, client, device: { id: "d", publicKey: "k", signature: "s", signedAt: 1, nonce: "n" } },
  {},
  null,
  "connect",
  [],
  { minProtocol: "4", maxProtocol: 4, client },
  { minProtocol: 4, maxProtocol: 4 },
  { minProtocol: 4, maxProtocol: 4, client, extra: true },
  { minProtocol: 4, maxProtocol: 4, client: { ...client, id: "" } },
  { minProtocol: 4, maxProtocol: 4, client: { ...client, mode: "nope" } },
  { minProtocol: 4, maxProtocol: 4, client: { ...client, bogus: 1 } },
  { minProtocol: 4, maxProtocol: 4, client, auth: { token: 5 } },
  { minProtocol: 4, maxProtocol: 4, client, scopes: "operator.read" },
  { minProtocol: 4, maxProtocol: 4, client, device: { id: "d" } },
  { minProtocol: -1, maxProtocol: 1.5, client },
];
const frameSamples: unknown[] = [
  { type: "req", id: "1", method: "connect", params: {} },
  { type: "req", id: "1", method: "health" },
  { type: "req", id: "1", method: "health", traceparent: "x".repeat(200) },
  { type: "res", id: "1", method: "m" },
  { type: "req", id: "", method: "m" },
  { type: "req", id: 1, method: "m" },
  { type: "req", id: "1" },
  { type: "req", id: "1", method: "m", more: 1 },
  "req",
  null,
  [],
];

describe("precompiled validators", () => {
  it("are current with the contracts (npm run hanzod:validators)", () => {
    expect(readFileSync(PRECOMPILED_PATH, "utf8") === renderPrecompiled(false)).toBe(true);
    expect(readFileSync(PRECOMPILED_ALL_PATH, "utf8") === renderPrecompiled(true)).toBe(true);
  });

  it.each([
    ["first error", false, PRECOMPILED],
    ["all errors", true, PRECOMPILED_ALL],
  ] as const)("each (%s) is used, and answers every sample as ajv compiling the same definitions answers it", (_engine, allErrors, table) => {
    const { Ajv } = require("ajv") as { Ajv: typeof AjvClass };
    const ajv = new Ajv(engineOptions(allErrors));
    const cases: [DefinitionSource, string, unknown[]][] = [[sourceOf(PINNED_CONTRACT), "RequestFrame", frameSamples], ...windowReleases().map((r): [DefinitionSource, string, unknown[]] => [sourceOf(releaseValidator(r)), "ConnectParams", connectSamples])];
    for (const [source, definition, samples] of cases) {
      const definitions = referencedDefinitions(source, definition);
      const pre = table[source.id()]?.[definition];
      expect(pre?.digest, `${source.id()} ${definition}`).toBe(definitionsDigest(definitions));
      const id = `${source.id()}?test&definition=${definition}`;
      ajv.addSchema({ $id: id, definitions });
      const compiled = ajv.getSchema(`${id}#/definitions/${definition}`) as ValidateFunction;
      const fast = pre!.validate as ValidateFunction;
      for (const sample of samples) {
        const a = compiled(sample);
        const b = fast(sample);
        expect([b, b ? null : fast.errors], JSON.stringify(sample)).toEqual([a, a ? null : compiled.errors]);
      }
    }
  });
});
