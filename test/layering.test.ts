/**
 * Parts depend one way: protocol at the bottom, the CLI on top. A part may import its own files and
 * any part below it, never one above (tests are exempt: they may drive any part). The order is
 * written once, here; a new import that points upwards fails with the file and the import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../protocol/index.js";

const LAYERS = ["protocol", "hanzod", "parity", "proxy", "recorder", "scripts", "cli"] as const;
const IMPORT = /(?:^|\n)\s*(?:import|export)[^"'\n;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "test" || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

function layerOf(repoPath: string): number {
  return LAYERS.indexOf(repoPath.split("/")[0] as (typeof LAYERS)[number]);
}

describe("the parts' dependency order", () => {
  it("no source file imports a part above its own", () => {
    const upward: string[] = [];
    let imports = 0;
    for (const layer of LAYERS) {
      for (const file of sourceFiles(join(REPO_ROOT, layer))) {
        const from = relative(REPO_ROOT, file);
        for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
          const spec = (m[1] ?? m[2]) as string;
          const to = normalize(join(dirname(from), spec));
          imports++;
          const target = layerOf(to);
          if (target > layerOf(from)) upward.push(`${from} imports ${spec} (${LAYERS[target]} is above ${layer})`);
        }
      }
    }
    expect(imports).toBeGreaterThan(100);
    expect(upward).toEqual([]);
  });
});
