/**
 * Contract issues of a recorded fixture: every frame against its frame definition, request params
 * against the method's params definition, answers against the result (or HelloOk / <Event>Event)
 * definition. Paths point into the frame (`/params/limit`, `/payload/auth`), like deviations.json.
 */
import { PINNED_CONTRACT, validateParams, type SchemaValidator } from "../protocol/index.js";
import { contractDifferences } from "../parity/compare/index.js";
import type { Fixture } from "../protocol/fixture-format.js";

export interface FixtureContractIssue {
  fixture: string;
  frame: number;
  definition: string;
  path: string;
  note: string;
}

/** `contract`: the pinned package contract by default, or a frozen release's validator (releaseValidator). */
export function fixtureContractIssues(fixture: Fixture, contract: SchemaValidator = PINNED_CONTRACT): FixtureContractIssue[] {
  const out: FixtureContractIssue[] = [];
  const methods = new Map<string, string>();
  for (const line of fixture.frames) {
    const f = line.frame;
    if (!f) continue;
    let method: string | undefined;
    if (f.type === "req" && typeof f.id === "string" && typeof f.method === "string") {
      methods.set(f.id, f.method);
      for (const i of validateParams(f.method, f.params, contract)?.issues ?? []) {
        out.push({ fixture: fixture.path, frame: line.n, definition: i.definition, path: `/params${i.path === "/" ? "" : i.path}`, note: `${i.keyword}: ${i.message}` });
      }
    } else if (f.type === "res" && typeof f.id === "string") method = methods.get(f.id);
    for (const d of contractDifferences(f, method, contract)) out.push({ fixture: fixture.path, frame: line.n, definition: d.definition ?? "?", path: d.path, note: d.note ?? "" });
  }
  return out;
}
