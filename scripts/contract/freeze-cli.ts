/** `npx tsx scripts/contract/freeze-cli.ts 2026.9.1 2026.9.6`: freeze releases without building (dev loop; `hanzonode contract freeze` is the command). */
import { freezeRelease } from "./freeze.js";

for (const release of process.argv.slice(2)) {
  const r = await freezeRelease(release);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
