/**
 * The shape each part uses to contribute subcommands to `hanzonode` without touching the CLI root.
 * `defineCommand` ties a builder's options to its handler: yargs infers each option's type from the
 * builder, so a handler reads `argv.listen` as a number without a cast.
 */
import type { ArgumentsCamelCase, Argv } from "yargs";

export interface CliCommand {
  readonly command: string;
  /** Registers the command (its options and handler) on `cli`. */
  register<T>(cli: Argv<T>): Argv<T>;
}

export interface CommandSpec<O> {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<O>;
  handler: (argv: ArgumentsCamelCase<O>) => Promise<void> | void;
}

export function defineCommand<O>(spec: CommandSpec<O>): CliCommand {
  return {
    command: spec.command,
    register: <T>(cli: Argv<T>): Argv<T> => cli.command(spec.command, spec.describe, spec.builder, spec.handler),
  };
}
