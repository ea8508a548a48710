/** `hanzonode contract ...`: freeze a legacy release's contract, list drift between two frozen releases. */
import type { CliCommand } from "../command.js";
import { freezeRelease } from "../../scripts/contract/freeze.js";

const freeze: CliCommand = {
  command: "contract freeze",
  describe: "Install openclaw@<release>, read its protocol schemas and method table, write fixtures/contract/<release>/",
  builder: (y) =>
    y
      .option("release", { type: "string", demandOption: true, describe: "openclaw release, e.g. 2026.9.6" })
      .example("$0 contract freeze --release 2026.9.6", "freeze the contract of openclaw 2026.9.6"),
  handler: async (argv) => {
    const r = await freezeRelease(String(argv.release));
    process.stdout.write(`froze openclaw@${r.release} into ${r.dir}: ${r.definitions} definitions, ${r.methods} methods, ${r.events} events, ${r.capabilities} capabilities${r.packageDiff ? `; ${r.packageDiff}` : ""}\n`);
  },
};

export const contractCommands: CliCommand[] = [freeze];
