/**
 * Runs a long-lived child process the way an init system would: started in its own process group, ready
 * only once it says so (a stdout line, then optionally an HTTP probe answering 200), restarted with
 * exponential backoff whenever it exits without being asked to, its output passed through line by line
 * with its origin, and stopped by PID (SIGTERM to the group, SIGKILL after a grace period).
 *
 * Nothing here knows what the child is: `hanzonode up` uses it for each hanzod, tests use it to run a
 * backend in a process of its own. It never kills a child for being slow: a stopped or busy child is the
 * proxy's business (deadline, breaker, fallback), not the supervisor's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface Backoff {
  /** Delay before the first restart after a crash. */
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A child that stayed up this long after being ready starts the next crash series at initialMs again. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000, factor: 2, resetAfterMs: 30_000 };

export interface LaunchCommand {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What a child's output and the supervisor's own notices go to. */
export interface SupervisorOutput {
  /** One line the child wrote (without its newline), tagged with the child's name and stream. */
  childLine(origin: string, stream: "stdout" | "stderr", line: string): void;
  /** The supervisor's own notices: started, exited, restarting. */
  notice(line: string): void;
}

export interface SupervisedSpec {
  /** Names the child in every passed-through line and notice, e.g. "hanzod". */
  name: string;
  /** The command of each start; `readyWith` is the capture of the last ready line (a restart reuses its port). */
  command(readyWith: string | undefined): LaunchCommand;
  /** A stdout line announcing readiness; its first capture group (e.g. the URL) is what `ready` resolves with. */
  readyLine: RegExp;
  /** After the line: an HTTP URL (from the capture) that must answer 200 before the child counts as ready. */
  readyProbe?: (captured: string) => string;
  readyTimeoutMs?: number;
  /** How long a stop waits after SIGTERM before SIGKILL. */
  graceMs?: number;
  backoff?: Partial<Backoff>;
  output: SupervisorOutput;
  /** Every PID this supervisor spawns, as soon as it exists (for last-resort cleanup by whoever owns us). */
  onSpawn?(pid: number): void;
}

export interface SupervisedProcess {
  readonly name: string;
  /** PID of the current incarnation (undefined between a crash and its restart). */
  readonly pid: number | undefined;
  /** Completed restarts after crashes. */
  readonly restarts: number;
  /** The first start's ready capture; rejects if the first start fails (nothing is restarted then). */
  readonly ready: Promise<string>;
  /** Resolves with each later incarnation's capture once it is ready again. */
  nextReady(): Promise<string>;
  /** Stop for good: SIGTERM the group, SIGKILL after the grace period; resolves once the child exited. */
  stop(): Promise<void>;
  /** Synchronous last resort (a process `exit` handler): SIGKILL the current group now. */
  killNow(): void;
}

/** Sends `signal` to the process group led by `pid` (detached children lead their own), else to the PID. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
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

function exitedPromise(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function probeOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000), headers: { connection: "close" } });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function supervise(spec: SupervisedSpec): SupervisedProcess {
  const backoff: Backoff = { ...DEFAULT_BACKOFF, ...spec.backoff };
  const readyTimeoutMs = spec.readyTimeoutMs ?? 60_000;
  const graceMs = spec.graceMs ?? 10_000;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let crashesInARow = 0;
  let lastCapture: string | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let readyWaiters: Array<(capture: string) => void> = [];

  /** Starts one incarnation; resolves with its ready capture, rejects when it exits or times out first. */
  const startOnce = (): Promise<string> => {
    const cmd = spec.command(lastCapture);
    const proc = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    if (proc.pid !== undefined) spec.onSpawn?.(proc.pid);
    let readyAt: number | undefined;
    let announced: ((captured: string) => void) | undefined;
    const announcedLine = new Promise<string>((resolve) => (announced = resolve));
    for (const stream of ["stdout", "stderr"] as const) {
      const lines = createInterface({ input: proc[stream]!, crlfDelay: Infinity });
      lines.on("line", (line) => {
        if (stream === "stdout" && announced !== undefined) {
          const m = spec.readyLine.exec(line);
          if (m !== null) {
            announced(m[1] ?? m[0]);
            announced = undefined;
          }
        }
        spec.output.childLine(spec.name, stream, line);
      });
    }
    proc.once("exit", (code, signal) => {
      if (child === proc) child = undefined;
      if (stopping) return;
      const how = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
      if (readyAt === undefined) return; // the start below reports it
      const livedMs = Date.now() - readyAt;
      if (livedMs >= backoff.resetAfterMs) crashesInARow = 0;
      const delay = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** crashesInARow);
      crashesInARow++;
      spec.output.notice(`${spec.name} (pid ${String(proc.pid)}) exited with ${how}; restarting in ${delay} ms`);
      scheduleRestart(delay);
    });

    return new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + readyTimeoutMs;
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        reject(new Error(`${spec.name} ${why}`));
      };
      proc.once("error", (err) => fail(`could not be started: ${err.message}`));
      proc.once("exit", (code, signal) => fail(`exited with ${signal ?? `code ${String(code)}`} before it was ready`));
      const timer = setTimeout(() => fail(`was not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
      void (async () => {
        const captured = await announcedLine;
        if (spec.readyProbe !== undefined) {
          const url = spec.readyProbe(captured);
          while (!settled && !(await probeOk(url))) {
            if (Date.now() > deadline) return;
            await sleep(100);
          }
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        readyAt = Date.now();
        lastCapture = captured;
        resolve(captured);
      })();
    });
  };

  const scheduleRestart = (delay: number): void => {
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      startOnce().then(
        (captured) => {
          restarts++;
          spec.output.notice(`${spec.name} restarted (pid ${String(child?.pid)})`);
          const waiters = readyWaiters;
          readyWaiters = [];
          for (const w of waiters) w(captured);
        },
        (err: Error) => {
          if (stopping) return;
          // A start that never got ready: make sure nothing of it is left, then try again later.
          const stale = child;
          if (stale?.pid !== undefined) signalGroup(stale.pid, "SIGKILL");
          const next = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** crashesInARow);
          crashesInARow++;
          spec.output.notice(`${err.message}; retrying in ${next} ms`);
          scheduleRestart(next);
        },
      );
    }, delay);
  };

  const ready = startOnce().catch(async (err: unknown) => {
    // The first start decides whether the caller goes on at all: leave nothing running when it fails.
    stopping = true;
    const stale = child;
    if (stale?.pid !== undefined) {
      signalGroup(stale.pid, "SIGKILL");
      await exitedPromise(stale);
    }
    throw err;
  });

  return {
    name: spec.name,
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
    ready,
    nextReady: () => new Promise<string>((resolve) => readyWaiters.push(resolve)),
    async stop() {
      stopping = true;
      if (restartTimer !== undefined) clearTimeout(restartTimer);
      const proc = child;
      if (proc?.pid === undefined) return;
      const done = exitedPromise(proc);
      signalGroup(proc.pid, "SIGTERM");
      // SIGCONT too: a stopped (SIGSTOP) child would otherwise hold its SIGTERM until the grace period ends.
      signalGroup(proc.pid, "SIGCONT");
      const timer = setTimeout(() => signalGroup(proc.pid!, "SIGKILL"), graceMs);
      await done;
      clearTimeout(timer);
      // Whatever else the group forked must not outlive its leader.
      signalGroup(proc.pid, "SIGKILL");
    },
    killNow() {
      stopping = true;
      if (restartTimer !== undefined) clearTimeout(restartTimer);
      if (child?.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    },
  };
}
