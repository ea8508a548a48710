/**
 * The keepalive's pong window per release, on a fake clock and a fake socket (no legacy, no timing luck):
 * 2026.9.1 terminates a silent socket when the window after the ping's write ends; 2026.9.6 checks the
 * window only on the interval's ticks, so at 25 s / 25 s the second tick coincides with the window's
 * end and the legacy terminates there or at the third; hanzod always at the third.
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WebSocket } from "ws";
import { keepaliveWindowFor, startKeepalive, type KeepaliveWindow } from "../core/keepalive.js";

/** A socket whose ping write completes after `writeMs` (never when undefined), and that never answers unless told. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  pings = 0;
  constructor(private readonly writeMs: number | undefined) {
    super();
  }
  ping(_data: unknown, _mask: unknown, cb: (err?: Error) => void): void {
    this.pings++;
    if (this.writeMs === undefined) return;
    if (this.writeMs === 0) queueMicrotask(() => cb());
    else setTimeout(() => cb(), this.writeMs);
  }
}

interface Run {
  socket: FakeSocket;
  terminatedAt: () => number | undefined;
  stop: () => void;
}

function run(window: KeepaliveWindow, writeMs: number | undefined, answer = false): Run {
  const socket = new FakeSocket(writeMs);
  const start = Date.now();
  let at: number | undefined;
  const stop = startKeepalive(socket as unknown as WebSocket, { intervalMs: 25_000, pongTimeoutMs: 25_000, window }, () => {
    at ??= Date.now() - start;
  });
  if (answer) {
    const ping = socket.ping.bind(socket);
    socket.ping = (d, m, cb) => {
      ping(d, m, cb);
      setTimeout(() => socket.emit("pong"), 100);
    };
  }
  return { socket, terminatedAt: () => at, stop };
}

describe("keepalive pong window per release (fake clock)", () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] }));
  afterEach(() => void vi.useRealTimers());

  it("maps releases to windows: 2026.9.1 a deadline, 2026.9.6 checked on ticks", () => {
    expect(keepaliveWindowFor("2026.9.1")).toBe("deadline");
    expect(keepaliveWindowFor("2026.9.6")).toBe("tick");
  });

  it("2026.9.1: a silent socket goes when the window after the write ends (~50 s), after one ping", async () => {
    const r = run("deadline", 2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.terminatedAt()).toBe(50_002);
    expect(r.socket.pings).toBe(1);
    r.stop();
  });

  it("2026.9.6: the second tick comes before the window's end when the write took time, so the third tick terminates (75 s)", async () => {
    const r = run("tick", 2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.terminatedAt()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.terminatedAt()).toBe(75_000);
    // No second ping while the first is unanswered.
    expect(r.socket.pings).toBe(1);
    r.stop();
  });

  it("2026.9.6: a write that took no time puts the window's end on the second tick; hanzod counts that tick as before it (75 s, not the legacy's coin flip)", async () => {
    const r = run("tick", 0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.terminatedAt()).toBe(75_000);
    r.stop();
  });

  it("2026.9.6: a tick well after the window's end terminates (short window: 150 ms ticks, 200 ms window, gone at the third tick)", async () => {
    const socket = new FakeSocket(0);
    const start = Date.now();
    let at: number | undefined;
    const stop = startKeepalive(socket as unknown as WebSocket, { intervalMs: 150, pongTimeoutMs: 200, window: "tick" }, () => void (at ??= Date.now() - start));
    await vi.advanceTimersByTimeAsync(1_000);
    // Ping at 150, window ends at 350: the tick at 300 waits, the one at 450 terminates.
    expect(at).toBe(450);
    stop();
  });

  it("2026.9.6: a ping whose write never completes terminates at the write timeout (ping + 25 s), between ticks", async () => {
    const r = run("tick", undefined);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.terminatedAt()).toBe(50_000);
    r.stop();
  });

  it.each(["deadline", "tick"] as const)("%s: a socket that answers every ping stays", async (window) => {
    const r = run(window, 2, true);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(r.terminatedAt()).toBeUndefined();
    expect(r.socket.pings).toBe(12);
    r.stop();
  });
});
