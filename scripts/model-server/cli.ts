/**
 * `npm run model-server [-- --model ID ...]`: the test model server until SIGINT/SIGTERM. Prints one JSON
 * line {baseUrl, port, pid, models} on stdout once listening, so a parent process can read where it is
 * and stop it by PID.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { DEFAULT_MODEL_ID, startModelServer } from "./index.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("npm run model-server --")
  .option("model", { type: "string", array: true, default: [DEFAULT_MODEL_ID], describe: "model id served (repeatable)" })
  .version(false)
  .strict()
  .help()
  .parseAsync();

const server = await startModelServer({ models: argv.model });
process.stdout.write(JSON.stringify({ baseUrl: server.baseUrl, port: server.port, pid: process.pid, models: server.models }) + "\n");
const shutdown = (): void => void server.close().then(() => process.exit(0));
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
