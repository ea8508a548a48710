// Shared by the two bins: import the compiled entry point, or explain how to get one.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** `entries`: the preferred build first (hanzod's bundle), then the plain compiled module. */
export async function runFromBin(...entries) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const compiled = entries.map((entry) => join(root, "dist", entry)).find((file) => existsSync(file));
  if (compiled === undefined) {
    process.stderr.write(`${entries[entries.length - 1]} is not built: run \`npm run build\` in ${root} (npm ci does it for you)\n`);
    process.exit(1);
  }
  await import(pathToFileURL(compiled).href);
}
