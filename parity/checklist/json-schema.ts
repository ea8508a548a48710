/** The editor-completion JSON Schema (parity/checklist.schema.json), generated from the zod schema. */
import { z } from "zod";
import { checklistSchema } from "./schema.js";

export function checklistJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(checklistSchema, { io: "input", target: "draft-7" }),
    title: "hanzonode parity checklist",
    description: "Which backend (legacy OpenClaw gateway or hanzod) answers which method. Precedence: exact > glob (most specific) > phase > default.",
  };
}
