/** `npm run bench`: every benchmark, one after the other (they share two cores, never run them at once). */
import { spawnSync } from "node:child_process";

const benches = ["bench:hanzod", "bench:proxy", "bench:store", "bench:phase2", "bench:node"];
let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n=== npm run ${name}\n`);
  const r = spawnSync("npm", ["run", "--silent", name], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
