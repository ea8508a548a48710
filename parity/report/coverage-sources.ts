/**
 * Where the coverage columns come from: recorded fixtures (the recorder's format), and the methods
 * hanzod implements (hanzod/registry.ts). Missing fixtures make the recorded column empty,
 * never wrong.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../protocol/index.js";
import { readFixture } from "../../protocol/fixture-format.js";
import { HANZOD_METHODS } from "../../hanzod/registry.js";

export const DEFAULT_FIXTURES_DIR = join(REPO_ROOT, "fixtures", "recorded");

/** Every .jsonl file under the given files or folders (recursively). */
export function fixtureFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) visit(join(p, name));
    } else if (p.endsWith(".jsonl")) out.push(p);
  };
  for (const p of paths) visit(p);
  return out;
}

/** Methods that appear as client requests (or in the header's `meta.methods`) in the fixtures. */
export function recordedMethods(files: readonly string[]): Set<string> {
  const methods = new Set<string>();
  for (const file of files) {
    let fixture;
    try {
      fixture = readFixture(file);
    } catch {
      continue; // not a fixture (or a newer format): it cannot count as coverage
    }
    for (const m of fixture.header.meta?.methods ?? []) methods.add(m);
    for (const f of fixture.frames) {
      if (f.dir === "c2s" && f.frame?.type === "req" && typeof f.frame.method === "string") methods.add(f.frame.method);
    }
  }
  return methods;
}

/** The methods hanzod implements (its static registry, kept equal to the runtime's handler table by a test). */
export function hanzodMethods(): Set<string> {
  return new Set(HANZOD_METHODS);
}
