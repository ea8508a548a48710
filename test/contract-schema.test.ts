/** The frozen contract is what we say it is, and the generated TypeScript view of it is current. */
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_SCHEMA_PATH, REPO_ROOT, pinnedContractSha256 } from "../protocol/index.js";
import { renderContractTypes, renderMethodTable } from "../scripts/contract/render.js";

describe("frozen contract", () => {
  it("protocol.schema.json matches its recorded sha256", () => {
    const actual = createHash("sha256").update(readFileSync(CONTRACT_SCHEMA_PATH)).digest("hex");
    expect(pinnedContractSha256().split(/\s+/)[0]).toBe(actual);
  });

  it("protocol/generated/* equals what `npm run contract:types` renders", async () => {
    const [types, table] = await Promise.all([renderContractTypes(), renderMethodTable()]);
    expect(readFileSync(join(REPO_ROOT, "protocol", "generated", "contract-types.ts"), "utf8")).toBe(types);
    expect(readFileSync(join(REPO_ROOT, "protocol", "generated", "method-table.ts"), "utf8")).toBe(table);
  }, 60_000);
});
