/** Start and stop child processes by PID, whole process group included (openclaw forks workers). */
import type { ChildProcess } from "node:child_process";

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM the group, then SIGKILL whatever is left after `graceMs`. Resolves once the leader exited. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const done = exited(child);
  signalGroup(pid, "SIGTERM");
  const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
  await done;
  clearTimeout(timer);
  // Workers of the group may outlive the leader by a moment; make sure none is left behind.
  signalGroup(pid, "SIGKILL");
}
