/** `hanzonode`: the migration toolkit, once cli/hanzonode.ts has decided to run it in this process. Each part registers its own subcommands. */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { recorderCommands } from "./commands/recorder.js";
import { proxyCommands } from "./commands/proxy.js";
import { parityCommands } from "./commands/parity.js";
import { upCommand } from "./up.js";
import { attachCommands } from "./commands/attach.js";
import { cutoverCommands } from "./commands/cutover.js";
import { contractCommands } from "./commands/contract.js";
import { statusCommands } from "./commands/status.js";
import type { CliCommand } from "./command.js";

const all: CliCommand[] = [
  ...recorderCommands,
  ...proxyCommands,
  upCommand,
  ...parityCommands,
  ...attachCommands,
  ...cutoverCommands,
  ...contractCommands,
  ...statusCommands,
];

let cli = yargs(hideBin(process.argv))
  .scriptName("hanzonode")
  .usage("$0 <command> [options]\n\nMove a live OpenClaw gateway to hanzod, method by method.")
  .strict()
  .demandCommand(1, "name a command (see --help)")
  .recommendCommands()
  .help()
  .alias("h", "help")
  .version(false)
  .wrap(Math.min(100, process.stdout.columns ?? 100));

for (const c of all) cli = c.register(cli);

await cli.parseAsync();
