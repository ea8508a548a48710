/** Regenerates parity/checklist.schema.json from the zod schema: `npx tsx parity/checklist/write-json-schema.ts`. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../protocol/index.js";
import { checklistJsonSchema } from "./json-schema.js";

export const CHECKLIST_SCHEMA_PATH = join(REPO_ROOT, "parity", "checklist.schema.json");

export function renderChecklistJsonSchema(): string {
  return JSON.stringify(checklistJsonSchema(), null, 2) + "\n";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(CHECKLIST_SCHEMA_PATH, renderChecklistJsonSchema());
  console.log(`wrote ${CHECKLIST_SCHEMA_PATH}`);
}
