/**
 * Known contract deviations (fixtures/deviations.json): frames the legacy gateway itself sends that the
 * frozen contract does not allow, each with the reason we accept it. Contract checks report these as
 * known instead of failing.
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../protocol/index.js";
import { GlobMatcher } from "../parity/compare/glob.js";
import { pointerSegments } from "../protocol/json-pointer.js";

export interface Deviation {
  /** Contract definition whose rule is broken, e.g. "HelloOk". */
  definition: string;
  /** JSON pointer glob into the frame (`*`, `**`), e.g. "/payload/auth/method". */
  path: string;
  /** Substring of the issue text (ajv keyword + message) that must appear, e.g. "additionalProperties". */
  match?: string;
  reason: string;
}

export interface DeviationFile {
  contract: string;
  deviations: Deviation[];
}

export const DEVIATIONS_PATH = join(REPO_ROOT, "fixtures", "deviations.json");

export function loadDeviations(path = DEVIATIONS_PATH): Deviation[] {
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, "utf8")) as DeviationFile).deviations;
}

export interface ContractIssueLike {
  definition?: string;
  path: string;
  note?: string;
}

/** Compiles the deviation list once; `find` returns the deviation covering an issue, if any. */
export class DeviationIndex {
  private readonly entries: { d: Deviation; m: GlobMatcher }[];

  constructor(deviations: Deviation[]) {
    this.entries = deviations.map((d) => ({ d, m: new GlobMatcher([{ glob: d.path, tag: 1 }]) }));
  }

  find(issue: ContractIssueLike): Deviation | undefined {
    for (const { d, m } of this.entries) {
      if (d.definition !== issue.definition) continue;
      if (d.match && !(issue.note ?? "").includes(d.match)) continue;
      let states = m.root;
      const segs = pointerSegments(issue.path);
      for (const s of segs) states = m.step(states, s);
      if (m.tagsOf(states) & 1) return d;
    }
    return undefined;
  }
}
