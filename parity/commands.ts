/** `hanzonode` subcommands contributed by parity/. */
import type { CliCommand } from "../cli/command.js";

export const parityCommands: CliCommand[] = [];
