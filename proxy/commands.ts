/** `hanzonode` subcommands contributed by proxy/. */
import type { CliCommand } from "../cli/command.js";

export const proxyCommands: CliCommand[] = [];
