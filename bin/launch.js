// Shared by the two bins: import the compiled entry point, or explain how to get one.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export async function runFromBin(entry) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const compiled = join(root, "dist", entry);
  if (!existsSync(compiled)) {
    process.stderr.write(`${entry} is not built: run \`npm run build\` in ${root} (npm ci does it for you)\n`);
    process.exit(1);
  }
  await import(pathToFileURL(compiled).href);
}
