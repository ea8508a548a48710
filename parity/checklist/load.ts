/**
 * Reading parity/checklist.yaml: YAML -> zod -> RoutingTable, with every problem reported by line.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, isNode, type Document } from "yaml";
import type { z } from "zod";
import { checklistSchema } from "./schema.js";
import { ChecklistError, type ChecklistIssue } from "./errors.js";
import { RoutingTable } from "./table.js";

function lineOf(doc: Document, counter: LineCounter, path: ReadonlyArray<PropertyKey>): number {
  // Walk up to the deepest node that exists, so a missing key points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

type Issue = z.core.$ZodIssue;

/**
 * An entry is `route | {route, ...}`: when neither branch fits, zod says only "Invalid input" at the
 * entry. Report the issues of the branch that got furthest (deepest path) instead, so a bad detector
 * name points at its own line with its own message.
 */
function deepestUnionBranch(issue: Issue): Issue[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const depth = (branch: Issue[]): number => Math.max(...branch.map((i) => i.path.length));
  const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  if (depth(best) === 0 && best.every((i) => i.code === "invalid_type")) return [issue];
  return best.flatMap((i) => deepestUnionBranch({ ...i, path: [...issue.path, ...i.path] } as Issue));
}

/** Validates YAML text; throws ChecklistError naming file and line for every problem. */
export function parseChecklist(text: string, file: string): RoutingTable {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ChecklistError(
      file,
      doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? counter.linePos(e.pos[0]).line, path: "", message: e.message.split("\n")[0] ?? e.message })),
    );
  }
  const parsed = checklistSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issues: ChecklistIssue[] = parsed.error.issues.flatMap(deepestUnionBranch).map((i) => {
      // Point an unknown key at the key itself, not at the map holding it.
      const path = i.code === "unrecognized_keys" && i.keys[0] !== undefined ? [...i.path, i.keys[0]] : i.path;
      return { line: lineOf(doc, counter, path), path: path.map(String).join("."), message: i.message };
    });
    throw new ChecklistError(file, issues);
  }
  const table = new RoutingTable(parsed.data);
  const unsafe = table.unsafeShadows();
  if (unsafe.size > 0) {
    const issues: ChecklistIssue[] = [];
    for (const [source, methods] of unsafe) {
      const path = source === "default" ? ["default"] : source.startsWith("methods.") ? ["methods", source.slice(8)] : ["phases", source.slice(7)];
      const shown = methods.slice(0, 5).join(", ") + (methods.length > 5 ? `, ... (${methods.length} in all)` : "");
      issues.push({
        line: lineOf(doc, counter, path),
        path: source,
        message: `shadows side-effecting method(s) ${shown}; mark the entry "shadow: isolated" (hanzod then runs them against throwaway state) or route them elsewhere`,
      });
    }
    throw new ChecklistError(file, issues);
  }
  return table;
}

export async function loadChecklist(file: string): Promise<RoutingTable> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ChecklistError(file, [{ line: 0, path: "", message: `cannot read checklist: ${(err as Error).message}` }]);
  }
  return parseChecklist(text, file);
}

export function loadChecklistSync(file: string): RoutingTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ChecklistError(file, [{ line: 0, path: "", message: `cannot read checklist: ${(err as Error).message}` }]);
  }
  return parseChecklist(text, file);
}

/** The table used when no checklist is given: every method to legacy (recording mode). */
export function allLegacyTable(): RoutingTable {
  return new RoutingTable(checklistSchema.parse({ version: 1 }));
}
