/** The shape each part uses to contribute subcommands to `hanzonode` without touching the CLI root. */
import type { Argv } from "yargs";

export interface CliCommand {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  handler: (argv: Record<string, unknown>) => Promise<void> | void;
}
