/**
 * However a long-running command ends, what it started stops and what it made for itself is removed.
 *
 * Endings handled: SIGINT, SIGTERM, SIGHUP (a graceful stop in reverse start order, then exit 0); stdout or
 * stderr closing under us (`up | tee` then Ctrl-C: the next write fails with EPIPE; a graceful stop without
 * writing to the dead stream again); an uncaught error or unhandled rejection (a graceful stop, exit 1). A
 * second signal, or a graceful stop that takes longer than `stopTimeoutMs`, forces the end. Whatever path
 * leads to `process.exit`, the `exit` handler (synchronous by nature) SIGKILLs every process group still
 * registered and removes every registered throwaway folder, so even a forced end leaves nothing behind.
 */
import { rmSync } from "node:fs";

export interface Part {
  name: string;
  /** Graceful stop; its failure is reported, never fatal to the other parts' stops. */
  stop(): Promise<void>;
  /** Synchronous last resort from the `exit` handler: SIGKILL what is left of it. */
  killNow?(): void;
}

export interface ExitGuardOptions {
  /** How long the graceful stop may take before the end is forced. */
  stopTimeoutMs?: number;
  /** Where the guard's own messages go (it never writes to a stream that has failed). */
  say?: (line: string) => void;
}

export class ExitGuard {
  private readonly parts: Part[] = [];
  private readonly dirs = new Set<string>();
  private stopping: Promise<void> | undefined;
  private readonly stopTimeoutMs: number;
  /** Set once a write to stdout failed (the reader went away): nothing more is written there. */
  stdoutClosed = false;
  stderrClosed = false;

  constructor(private readonly opts: ExitGuardOptions = {}) {
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 20_000;
  }

  /** Registers a part; parts stop in reverse order of registration. */
  add(part: Part): void {
    this.parts.push(part);
  }

  /** A throwaway folder removed at the end (and at once if the end has already begun). */
  addDir(path: string): void {
    this.dirs.add(path);
  }

  /** True once an ending has begun (a part started after it must stop itself). */
  get ending(): boolean {
    return this.stopping !== undefined;
  }

  install(): void {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => {
        if (this.stopping !== undefined) {
          // A second Ctrl-C: the user does not want to wait for the graceful stop.
          this.say(`${signal} again: stopping now`);
          process.exit(130);
        }
        this.end(0, `${signal} received`);
      });
    }
    // EPIPE and friends on our own output: the terminal or pipe that showed it is gone.
    process.stdout.on("error", () => {
      this.stdoutClosed = true;
      this.end(0, "stdout closed");
    });
    process.stderr.on("error", () => {
      this.stderrClosed = true;
      this.end(0, "stderr closed");
    });
    process.on("uncaughtException", (err) => {
      if (isBrokenPipe(err)) {
        this.end(0, "output closed");
        return;
      }
      this.say(`uncaught error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.end(1, "uncaught error");
    });
    process.on("unhandledRejection", (reason) => {
      this.say(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
      this.end(1, "unhandled rejection");
    });
    process.on("exit", () => this.killAllNow());
  }

  /** Graceful stop of every part in reverse order, folders removed, then `process.exit(code)`; once. */
  end(code: number, why: string): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.say(`\nstopping (${why})...`);
    const force = setTimeout(() => {
      this.say(`stopping took longer than ${this.stopTimeoutMs} ms: killing what is left`);
      process.exit(code === 0 ? 1 : code);
    }, this.stopTimeoutMs);
    force.unref();
    this.stopping = (async () => {
      await this.stopAll();
      clearTimeout(force);
      process.exit(code);
    })();
    return this.stopping;
  }

  /** Stops every registered part and removes the folders, without exiting (a failed start-up). */
  async stopAll(): Promise<void> {
    // A part leaves the list only once it has stopped: if the end is forced meanwhile, the exit handler
    // still finds it (and any part registered after the stop began) and kills it.
    for (let p = this.parts.at(-1); p !== undefined; p = this.parts.at(-1)) {
      try {
        await p.stop();
      } catch (err) {
        this.say(`stopping ${p.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        p.killNow?.();
      }
      this.parts.splice(this.parts.lastIndexOf(p), 1);
    }
    this.removeDirs();
  }

  private killAllNow(): void {
    for (const p of this.parts) {
      try {
        p.killNow?.();
      } catch {
        /* best effort: the process is exiting */
      }
    }
    this.removeDirs();
  }

  private removeDirs(): void {
    for (const d of this.dirs) {
      try {
        rmSync(d, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        /* reported nowhere: the process is on its way out */
      }
    }
    this.dirs.clear();
  }

  say(line: string): void {
    if (this.opts.say !== undefined) {
      this.opts.say(line);
      return;
    }
    if (this.stderrClosed) return;
    try {
      process.stderr.write(`${line}\n`);
    } catch {
      this.stderrClosed = true;
    }
  }
}

function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ERR_STREAM_WRITE_AFTER_END";
}
