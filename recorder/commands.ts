/** `hanzonode` subcommands contributed by recorder/. */
import type { CliCommand } from "../cli/command.js";

export const recorderCommands: CliCommand[] = [];
