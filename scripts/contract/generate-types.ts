/**
 * Regenerates the TypeScript view of the frozen contract:
 *   protocol/generated/contract-types.ts  (json-schema-to-typescript over every definition)
 *   protocol/generated/method-table.ts    (410 methods -> scope, since, phase)
 * `npm run contract:types` writes them; `test/contract.test.ts` checks that they are current.
 */
import { writeFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { renderContractTypes, renderMethodTable } from "./render.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outDir = join(root, "protocol", "generated");

await mkdir(outDir, { recursive: true });
const [types, table] = await Promise.all([renderContractTypes(), renderMethodTable()]);
await writeFile(join(outDir, "contract-types.ts"), types);
await writeFile(join(outDir, "method-table.ts"), table);
process.stderr.write(`wrote ${join(outDir, "contract-types.ts")} and ${join(outDir, "method-table.ts")}\n`);
