/**
 * Regenerates the TypeScript view of the frozen contracts (see render.ts for the files); run by
 * `npm run contract:types` and by `hanzonode contract freeze`. `test/contract-schema.test.ts` checks that they are current.
 */
import { writeGeneratedTypes } from "./render.js";

await writeGeneratedTypes((line) => process.stderr.write(`${line}\n`));
