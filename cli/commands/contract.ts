/** `hanzonode contract ...`: freeze a legacy release's contract, list drift between two frozen releases. */
import { defineCommand, type CliCommand } from "../command.js";
import { writeFileSync } from "node:fs";
import { freezeRelease } from "../../scripts/contract/freeze.js";
import { releaseDrift, renderReleaseDrift } from "../../scripts/contract/release-drift.js";

const freeze = defineCommand({
  command: "contract freeze",
  describe: "Install openclaw@<release>, read its protocol schemas and method table, write fixtures/contract/<release>/",
  builder: (y) =>
    y
      .option("release", { type: "string", demandOption: true, describe: "openclaw release, e.g. 2026.9.6" })
      .example("$0 contract freeze --release 2026.9.6", "freeze the contract of openclaw 2026.9.6"),
  handler: async (argv) => {
    const r = await freezeRelease(argv.release);
    process.stdout.write(`froze openclaw@${r.release} into ${r.dir}: ${r.definitions} definitions, ${r.methods} methods, ${r.events} events, ${r.capabilities} capabilities${r.packageDiff ? `; ${r.packageDiff}` : ""}\n`);
  },
});

const drift = defineCommand({
  command: "contract drift",
  describe: "What changed between two frozen releases, client side and server side, and what hanzod already handles",
  builder: (y) =>
    y
      .option("from", { type: "string", demandOption: true, describe: "older frozen release" })
      .option("to", { type: "string", demandOption: true, describe: "newer frozen release" })
      .option("json", { type: "boolean", default: false, describe: "print the items as JSON" })
      .option("out", { type: "string", describe: "write the Markdown report to this file instead of stdout" })
      .example("$0 contract drift --from 2026.9.1 --to 2026.9.6", "what 2026.9.6 clients may send and what its gateway answers differently"),
  handler: (argv) => {
    const d = releaseDrift(argv.from, argv.to);
    const text = argv.json === true ? JSON.stringify(d, null, 2) + "\n" : renderReleaseDrift(d);
    if (typeof argv.out === "string") {
      writeFileSync(argv.out, text);
      const open = d.items.filter((i) => i.hanzod === "gap").length;
      process.stdout.write(`wrote ${argv.out}: ${d.items.length} changes, ${open} gap(s) in what hanzod serves\n`);
    } else process.stdout.write(text);
  },
});

export const contractCommands: CliCommand[] = [freeze, drift];
