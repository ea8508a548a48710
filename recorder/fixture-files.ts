/** The fixture files a user names: files as given, folders as their `.jsonl` files in name order. */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export function expandFixturePaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (statSync(abs).isDirectory()) {
      for (const f of readdirSync(abs).filter((n) => n.endsWith(".jsonl")).sort()) out.push(join(abs, f));
    } else out.push(abs);
  }
  return out;
}
