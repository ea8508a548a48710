/**
 * Programmatic checklist edits (used by `hanzonode parity promote|rollback`): change one entry, keep
 * every comment and the rest of the layout, refuse a result that would not load, write atomically,
 * and append the change to the audit log.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { isMap, parseDocument, type Document } from "yaml";
import { appendAudit } from "./audit.js";
import { parseChecklist } from "./load.js";
import { phaseNames, type Backend, type OwnerKey, type Route, type RouteEntry } from "./schema.js";

export interface EditActor {
  who: string;
  why: string;
  /** Where the audit log lives (default ./.hanzonode). */
  stateDir?: string;
  /** The change overrides a gate that did not pass (promote --force); recorded in the audit entry. */
  forced?: boolean;
}

export interface EditResult {
  target: string;
  old: unknown;
  new: unknown;
  changed: boolean;
}

/**
 * `target`: a method name or glob (-> methods.<target>), a phase name (phase1..phase4, later), or
 * `default`. A bare route on an entry that is a map changes only its `route` and keeps the rest
 * (fallback, compare rules); an object replaces the entry.
 */
export async function setRoute(file: string, target: string, route: Route | RouteEntry, actor: EditActor): Promise<EditResult> {
  const path = routePath(target);
  return editAt(file, path, actor, routeChange(path, route));
}

/** Which backend owns connect/auth (`authOwner`) or node-role connections (`nodeOwner`). */
export async function setOwner(file: string, key: OwnerKey, backend: Backend, actor: EditActor): Promise<EditResult> {
  return editAt(file, [key], actor, (doc) => doc.setIn([key], backend));
}

/** Where a route change of `target` lands in the document. */
export function routePath(target: string): string[] {
  return target === "default" ? ["default"] : (phaseNames as readonly string[]).includes(target) ? ["phases", target] : ["methods", target];
}

/** A route change as a document edit (shared by the file and the fleet store). */
export function routeChange(path: string[], route: Route | RouteEntry): (doc: Document) => void {
  return (doc) => {
    if (typeof route === "string" && isMap(doc.getIn(path, true))) doc.setIn([...path, "route"], route);
    else doc.setIn(path, route);
  };
}

/**
 * One change at `path` of checklist text: comments and layout kept; throws ChecklistError (naming the
 * line) when the result would not load, so an invalid change is never written anywhere.
 */
export function editText(text: string, file: string, path: string[], change: (doc: Document) => void): { next: string; result: EditResult } {
  const doc = parseDocument(text);
  const old = plainValue(doc.getIn(path));
  change(doc);
  const next = doc.toString();
  const result: EditResult = { target: path.join("."), old, new: plainValue(doc.getIn(path)), changed: next !== text };
  if (result.changed) parseChecklist(next, file);
  return { next, result };
}

/** One change at `path` of the file: validated, written atomically, audited. */
async function editAt(file: string, path: string[], actor: EditActor, change: (doc: Document) => void): Promise<EditResult> {
  const text = await readFile(file, "utf8");
  const { next, result } = editText(text, file, path, change);
  if (!result.changed) return result;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, next, "utf8");
  await rename(tmp, file);
  await appendAudit(actor.stateDir ?? ".hanzonode", {
    when: new Date().toISOString(),
    who: actor.who,
    why: actor.why,
    file,
    target: result.target,
    old: result.old,
    new: result.new,
    forced: actor.forced === true,
  });
  return result;
}

/** A YAML node as plain data (scalars come back as they are). */
function plainValue(v: unknown): unknown {
  return typeof v === "object" && v !== null && "toJSON" in v && typeof v.toJSON === "function" ? (v.toJSON as () => unknown)() : v;
}
