import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { loadContractSchema } from "../contract.js";
import { frozenReleases, loadRelease } from "../releases.js";
import { SchemaValidator } from "../validators.js";

describe("SchemaValidator", () => {
  // The validators skip ajv's meta-schema check (it cost a fresh ajv instance's first compile at start): it runs here.
  it("every frozen contract is a valid draft-07 schema", () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, discriminator: false });
    const contracts = [loadContractSchema(), ...frozenReleases().map((r) => loadRelease(r).schema)];
    expect(contracts.length).toBeGreaterThan(1);
    for (const schema of contracts) {
      const ok = ajv.validateSchema(schema);
      expect(ok ? [] : ajv.errors, schema.$id).toEqual([]);
    }
  });

  const schema = {
    $id: "https://example.test/refs.schema.json",
    definitions: {
      Outer: { type: "object", required: ["inner"], properties: { inner: { $ref: "#/definitions/Inner" }, list: { type: "array", items: { $ref: "#/definitions/Leaf" } } }, additionalProperties: false },
      Inner: { type: "object", required: ["n"], properties: { n: { type: "integer" }, leaf: { $ref: "#/definitions/Leaf" } } },
      Leaf: { type: "string", minLength: 1 },
    },
  };

  it("compiles a definition with the definitions it references, naming the innermost in an issue", () => {
    const v = new SchemaValidator(() => schema);
    expect(v.validate("Outer", { inner: { n: 1, leaf: "x" }, list: ["a"] })).toEqual({ valid: true, issues: [] });
    const bad = v.validate("Outer", { inner: { n: 1, leaf: "" } });
    expect(bad.valid).toBe(false);
    expect(bad.issues).toEqual([{ definition: "Leaf", path: "/inner/leaf", keyword: "minLength", message: "must NOT have fewer than 1 characters" }]);
    expect(v.validate("Outer", { inner: {}, extra: 1 }).issues.map((i) => `${i.keyword} ${i.path}`)).toEqual(["additionalProperties /", "required /inner"]);
    expect(v.validate("Leaf", "ok").valid).toBe(true);
  });

  it("refuses an unknown definition, and keeps contracts of the same $id apart", () => {
    const v = new SchemaValidator(() => schema);
    expect(v.validate("Nope", {})).toEqual({ valid: false, issues: [{ definition: "Nope", path: "/", keyword: "definition", message: "contract has no definition Nope" }] });
    const other = new SchemaValidator(() => ({ ...schema, definitions: { ...schema.definitions, Leaf: { type: "number" } } }));
    expect(other.validate("Leaf", 3).valid).toBe(true);
    expect(v.validate("Leaf", 3).valid).toBe(false);
    expect(other.validate("Inner", { n: 1, leaf: "x" }).valid).toBe(false);
  });
});
