/**
 * `hanzonode up` and `hanzonode proxy` run the routing proxy in the CLI's own process, a long-running one,
 * so it needs DAEMON_ENV (hanzod/service/daemon-env.ts) like hanzod does (issue 16: without a fixed mmap
 * threshold the proxy's frame buffers stay in the malloc heap after a load). glibc reads MALLOC_* only when
 * a process starts, so setting it from here is too late: the CLI starts itself once more with it, same
 * argv, same stdio. On Node >= 22.15 that is `process.execve` (the same process: pid, signals, exit status
 * and stdio are the launcher's own); on Node 20 a child process, whose exit code or signal the CLI passes on,
 * and to which it forwards the signals a launcher sends.
 *
 * Not done when every DAEMON_ENV variable is set already (whatever its value: the operator's own choice
 * wins), for other commands (they are short), when HANZONODE_NO_REEXEC=1, and never twice
 * (HANZONODE_REEXECUTED marks the second start, so a setting the environment drops cannot loop).
 */
import { spawn } from "node:child_process";
import { DAEMON_ENV } from "../hanzod/service/daemon-env.js";

/** The commands that host the proxy for as long as they run. */
export const DAEMON_COMMANDS: readonly string[] = ["up", "proxy"];
/** Set to 1 to run in the launcher's process as it is (no second start). */
export const NO_REEXEC_VAR = "HANZONODE_NO_REEXEC";
/** Present in the second start's environment, so it never starts a third. */
export const REEXECUTED_VAR = "HANZONODE_REEXECUTED";

/** Signals a launcher (a terminal, a service manager) sends that the Node 20 fallback passes to its child. */
const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];

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

/**
 * Starts the CLI again when reexecEnv() says so: returns false when this process should run the command
 * itself; otherwise never returns normally (execve replaced the process, or the process ends as its child did).
 */
export async function reexecWithDaemonEnv(): Promise<boolean> {
  const env = reexecEnv(process.argv.slice(2), process.env);
  if (env === undefined) return false;
  // execArgv keeps node's own flags and loaders (tsx when run from source).
  const argv = [...process.execArgv, ...process.argv.slice(1)];
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve === "function") execve(process.execPath, [process.execPath, ...argv], env);
  const child = spawn(process.execPath, argv, { stdio: "inherit", env });
  // Signals the launcher sends to this pid go to the child, which runs the command's own handlers; one
  // the terminal sends the whole group (Ctrl-C) reaches both, and this process only waits.
  const forward = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve({ code: c, signal: s }));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (signal !== null) {
    // Ends this process by the same signal, so the launcher sees what it would have without the second start.
    process.kill(process.pid, signal);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  process.exit(code ?? 1);
}
