/**
 * The data_version watcher (issue 13 gap 4's building block): polls only while held, on an unref'd timer,
 * announces another connection's commits and never its own reads, and stops at close.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { DataVersionWatcher, dataVersionReader } from "../state/data-version-watcher.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("DataVersionWatcher", () => {
  it("polls only while held, at its interval, on an unref'd timer; announces each change once; stops at close", () => {
    vi.useFakeTimers();
    let version = 1;
    const read = vi.fn(() => version);
    const onChange = vi.fn();
    const w = new DataVersionWatcher(read, onChange, 1_000);
    vi.advanceTimersByTime(5_000);
    expect(read).not.toHaveBeenCalled();

    const release = w.hold();
    const second = w.hold();
    expect(w.polling).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    version = 2;
    vi.advanceTimersByTime(999);
    expect(onChange).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onChange).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(3_000);
    expect(onChange).toHaveBeenCalledTimes(1);

    release();
    release();
    expect(w.polling).toBe(true);
    second();
    expect(w.polling).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    // A commit while nobody holds it is not announced to a later holder (its baseline is the hold).
    version = 3;
    const third = w.hold();
    vi.advanceTimersByTime(2_000);
    expect(onChange).toHaveBeenCalledTimes(1);
    version = 4;
    read.mockImplementationOnce(() => {
      throw new Error("database is locked");
    });
    vi.advanceTimersByTime(1_000);
    expect(onChange).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_000);
    expect(onChange).toHaveBeenCalledTimes(2);

    w.close();
    expect(w.polling).toBe(false);
    expect(w.hold()).toBeTypeOf("function");
    expect(w.polling).toBe(false);
    third();
  });

  it("the timer does not keep the process alive", () => {
    const w = new DataVersionWatcher(() => 1, () => {}, 60_000);
    const release = w.hold();
    const timer = (w as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    release();
    w.close();
  });

  it("on SQLite: another connection's commit moves data_version on the watcher's own connection; reads do not", () => {
    const dir = mkdtempSync(join(tmpdir(), "hanzod-data-version-"));
    try {
      const path = join(dir, "state.sqlite");
      const reader = dataVersionReader(path);
      expect(reader.read()).toBeUndefined();
      const writer = openSqlite(path);
      writer.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)");
      const onChange = vi.fn();
      const w = new DataVersionWatcher(reader.read, onChange);
      const release = w.hold();
      w.poll();
      expect(onChange).not.toHaveBeenCalled();
      writer.prepare("INSERT INTO t VALUES (?, ?)").run("a", "1");
      w.poll();
      expect(onChange).toHaveBeenCalledTimes(1);
      writer.prepare("SELECT * FROM t").all();
      w.poll();
      expect(onChange).toHaveBeenCalledTimes(1);
      release();
      w.close();
      writer.close();
      reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
