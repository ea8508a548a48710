/**
 * `hanzonode up` and `hanzonode proxy` run the routing proxy in the CLI's own process, a long-running one,
 * so it needs DAEMON_ENV (hanzod/service/daemon-env.ts) like hanzod does (issue 16: without a fixed mmap
 * threshold the proxy's frame buffers stay in the malloc heap after a load). glibc reads MALLOC_* only when
 * a process starts, so setting it from here is too late: the CLI starts itself once more with it, same
 * argv, same stdio, by `process.execve` (Node >= 22.15: the same process, so pid, signals, exit status and
 * stdio stay the launcher's own). Node 20 has no execve: there the command runs without it (see below).
 *
 * Not done when every DAEMON_ENV variable is set already (whatever its value: the operator's own choice
 * wins), for other commands (they are short), when HANZONODE_NO_REEXEC=1, and never twice
 * (HANZONODE_REEXECUTED marks the second start, so a setting the environment drops cannot loop).
 */
import { DAEMON_ENV } from "../hanzod/service/daemon-env.js";

/** The commands that host the proxy for as long as they run. */
export const DAEMON_COMMANDS: readonly string[] = ["up", "proxy"];
/** Set to 1 to run in the launcher's process as it is (no second start). */
export const NO_REEXEC_VAR = "HANZONODE_NO_REEXEC";
/** Present in the second start's environment, so it never starts a third. */
export const REEXECUTED_VAR = "HANZONODE_REEXECUTED";

/**
 * The environment to start the CLI again with, or undefined when it should run as it is. `args` are the
 * CLI's arguments (process.argv without node and the script).
 */
export function reexecEnv(args: readonly string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (env[NO_REEXEC_VAR] === "1" || env[REEXECUTED_VAR] !== undefined) return undefined;
  const command = args.find((a) => !a.startsWith("-"));
  if (command === undefined || !DAEMON_COMMANDS.includes(command)) return undefined;
  const missing = Object.entries(DAEMON_ENV).filter(([k]) => env[k] === undefined);
  if (missing.length === 0) return undefined;
  return { ...env, ...Object.fromEntries(missing), [REEXECUTED_VAR]: "1" };
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/** `process.execve` (Node >= 22.15 / 23.11), or undefined where this Node has none. */
export function processExecve(): Execve | undefined {
  const execve = (process as unknown as { execve?: Execve }).execve;
  return typeof execve === "function" ? execve.bind(process) : undefined;
}

/**
 * Starts the CLI again when reexecEnv() says so and this Node can replace its own process image: returns
 * false when this process should run the command itself; otherwise never returns (execve replaced it).
 *
 * Without execve (Node 20, which only the project's own machines run) the command runs as it is, without
 * the setting. A child process instead was tried and dropped: a terminal's Ctrl-C reaches the whole
 * foreground group, so a launcher that also forwards SIGINT made the child see a second one and force
 * its stop (cli/exit-guard.ts); a detached child would escape a group kill instead.
 */
export function reexecWithDaemonEnv(): boolean {
  const env = pendingReexec();
  if (env === undefined) return false;
  // execArgv keeps node's own flags and loaders (tsx when run from source).
  return processExecve()!(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
}

/** The environment this process is about to start itself again with, or undefined when it runs the command itself. */
export function pendingReexec(): NodeJS.ProcessEnv | undefined {
  return processExecve() === undefined ? undefined : reexecEnv(process.argv.slice(2), process.env);
}
