/** `hanzod`: the new runtime. (Phase 1 fills this in.) */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";

await yargs(hideBin(process.argv))
  .scriptName("hanzod")
  .usage("$0 [options]\n\nRun hanzod, the runtime that replaces the legacy OpenClaw gateway.")
  .option("port", { type: "number", describe: "port to listen on", default: 18789 })
  .strict()
  .help()
  .alias("h", "help")
  .version(false)
  .parseAsync();
