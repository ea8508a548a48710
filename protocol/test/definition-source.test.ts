import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTRACT_SCHEMA_PATH } from "../contract.js";
import { indexPrettySchema, schemaFileSource } from "../definition-source.js";
import { RELEASE_FILES, frozenReleases, releaseDir } from "../releases.js";

const files = [CONTRACT_SCHEMA_PATH, ...frozenReleases().map((r) => join(releaseDir(r), RELEASE_FILES.schema))];

describe("definitions read one at a time", () => {
  // The validators read the frozen schemas through the index: it must give what the whole parse gives.
  it.each(files)("%s: the index has every definition, each equal to the whole parse's", (file) => {
    const text = readFileSync(file, "utf8");
    const whole = JSON.parse(text) as { $id: string; definitions: Record<string, object> };
    const index = indexPrettySchema(text);
    expect(index).toBeDefined();
    expect(index!.id).toBe(whole.$id);
    expect([...index!.spans.keys()]).toEqual(Object.keys(whole.definitions));
    const source = schemaFileSource(file, () => whole);
    for (const [name, def] of Object.entries(whole.definitions)) expect(source.get(name), name).toEqual(def);
    expect(source.has("NoSuchDefinition")).toBe(false);
    expect(source.get("NoSuchDefinition")).toBeUndefined();
  });

  const dir = mkdtempSync(join(tmpdir(), "definition-source-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const schema = { $id: "https://example.test/s.json", methods: { "a.b": { scope: "x" } }, definitions: { A: { type: "string" }, B: {}, C: { type: "object", properties: { a: { $ref: "#/definitions/A" } } }, 'Q"x': { const: 1 }, "é\\": { const: "é" } } };

  it("reads a two-space file lazily and falls back to the whole parse for any other layout", () => {
    const pretty = join(dir, "pretty.json");
    writeFileSync(pretty, JSON.stringify(schema, null, 2));
    let wholeLoads = 0;
    const whole = () => (wholeLoads++, schema);
    const lazy = schemaFileSource(pretty, whole);
    expect([lazy.id(), lazy.get("A"), lazy.get("B"), lazy.get("C"), lazy.has("a.b")]).toEqual([schema.$id, schema.definitions.A, {}, schema.definitions.C, false]);
    expect([lazy.get('Q"x'), lazy.get("é\\")]).toEqual([{ const: 1 }, { const: "é" }]);
    expect(wholeLoads).toBe(0);
    for (const layout of [JSON.stringify(schema), JSON.stringify(schema, null, 4), JSON.stringify(schema, null, "\t")]) {
      const file = join(dir, "other.json");
      writeFileSync(file, layout);
      expect(indexPrettySchema(layout)).toBeUndefined();
      const other = schemaFileSource(file, whole);
      expect([other.id(), other.get("A"), other.has("B"), other.get("Z")]).toEqual([schema.$id, schema.definitions.A, true, undefined]);
    }
    expect(wholeLoads).toBeGreaterThan(0);
  });

  it("answers from the whole parse once the file changed after it was indexed", () => {
    const file = join(dir, "changing.json");
    writeFileSync(file, JSON.stringify(schema, null, 2));
    const changed = { ...schema, definitions: { ...schema.definitions, A: { type: "number", minimum: 100 } } };
    const source = schemaFileSource(file, () => changed);
    expect(source.has("A")).toBe(true);
    writeFileSync(file, JSON.stringify(changed, null, 2));
    expect(source.get("A")).toEqual(changed.definitions.A);
  });
});
