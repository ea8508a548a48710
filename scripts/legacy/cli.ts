/** `npm run legacy -- --port P [--token T] [--version V]`: a real legacy gateway until Ctrl-C. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { startLegacyGateway, DEFAULT_LEGACY_VERSION } from "./index.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("npm run legacy --")
  .option("port", { type: "number", describe: "port (default: a free one)" })
  .option("token", { type: "string", describe: "shared token (default: random, printed)" })
  .option("version", { type: "string", default: DEFAULT_LEGACY_VERSION, describe: "openclaw release" })
  .version(false)
  .strict()
  .help()
  .parseAsync();

const gw = await startLegacyGateway({ port: argv.port, token: argv.token, version: argv.version });
process.stdout.write(`legacy gateway ${gw.version}: ${gw.url}  token=${gw.token}  pid=${gw.pid}\n`);
const shutdown = () => void gw.stop().then(() => process.exit(0));
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
