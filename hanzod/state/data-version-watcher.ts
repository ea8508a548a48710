/**
 * Notices commits another process (the legacy) makes to a SQLite database, cheaply: SQLite's
 * `PRAGMA data_version` on one connection that stays open changes exactly when some OTHER connection
 * committed to the file since the last time it was read (the connection's own writes never change it;
 * hanzod never writes the stores it watches this way). One pragma per poll, no table read.
 *
 * It polls only while someone holds it (a connection that could receive the event it feeds), at a
 * modest interval, on an unref'd timer (never keeps the process alive), and stops for good at `close()`
 * (the owning domain's teardown). A failed read (file not there yet, busy) counts as no change and
 * polling goes on: the next successful read after a change still differs from the last one seen.
 *
 * Not wired to an event yet: issue 13 gap 4 (`mentions.changed`) needs it, and also the legacy's
 * per-connection projection of mentions, which hanzod does not have (hanzod/state/README.md, the
 * section on issue 13's gaps 2 and 4).
 */
import { ReadOnlyDb } from "./read-only-db.js";

export const DATA_VERSION_POLL_MS = 1_000;

export class DataVersionWatcher {
  private timer: ReturnType<typeof setInterval> | undefined;
  private holders = 0;
  private last: number | undefined;
  private closed = false;

  /** `read`: the pragma on a connection of the watcher's own (undefined when there is nothing to read yet). */
  constructor(
    private readonly read: () => number | undefined,
    private readonly onChange: () => void,
    private readonly intervalMs: number = DATA_VERSION_POLL_MS,
  ) {}

  /** Polls while at least one hold is open; the returned release is idempotent. */
  hold(): () => void {
    if (this.closed) return () => {};
    this.holders += 1;
    if (this.holders === 1) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders -= 1;
      if (this.holders === 0) this.stop();
    };
  }

  get polling(): boolean {
    return this.timer !== undefined;
  }

  /** One poll: calls `onChange` when the version moved since the last read (the first read is the baseline). */
  poll(): void {
    let version: number | undefined;
    try {
      version = this.read();
    } catch {
      return;
    }
    if (version === undefined) return;
    const before = this.last;
    this.last = version;
    if (before !== undefined && before !== version) this.onChange();
  }

  close(): void {
    this.closed = true;
    this.holders = 0;
    this.stop();
  }

  private start(): void {
    // The baseline is taken now: a commit made while nobody held the watcher is not announced later.
    this.last = undefined;
    this.poll();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** `PRAGMA data_version` on a read-only connection of its own to the database at `path` (opened when the file exists). */
export function dataVersionReader(path: string): { read: () => number | undefined; close: () => void } {
  const db = new ReadOnlyDb(path);
  return {
    read: () => db.get()?.pragma("data_version", { simple: true }) as number | undefined,
    close: () => db.close(),
  };
}
