/**
 * Runs inside a fuzzed process: event-loop delay (perf_hooks histogram at 1 ms resolution, the
 * longest single stall since the last report), the longest single frame's handling, and RSS, sent to
 * the parent over IPC every interval.
 *
 * Two measures because they answer different questions. Loop lateness is one turn of the loop: under
 * 1,000 connections a turn handles a whole batch of ready sockets (and a GC pause lands in one), so it
 * grows with load on any machine. A frame's handling is what one hostile frame can cost everyone else
 * (the quadratic error builder of issue 16 was one frame blocking for seconds); it is timed around the
 * synchronous dispatch of each `message` (and each accepted `connection`) inside this process only, by
 * wrapping `ws`'s emit here, so production code carries no timer. It is counted in the main thread's
 * time on a CPU (Linux: /proc/self/task/<pid>/schedstat, in ns; elsewhere the process's CPU time, GC
 * threads included): a fuzz run puts four busy processes on the machine, and on two cores the wall time
 * of any handler grows by the time the OS gives the others, whatever the frame. The wall time is
 * reported beside it.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import { WebSocket, WebSocketServer } from "ws";

export interface WatchdogReport {
  kind: "watchdog";
  /** Longest event-loop stall since the previous report, ms. */
  maxStallMs: number;
  p99StallMs: number;
  /** Longest synchronous handling of one frame (or one accepted connection) since the previous report, main-thread CPU ms. */
  longestFrameMs: number;
  /** The same handling's longest wall time, ms (includes time the OS ran other processes). */
  longestFrameWallMs: number;
  /** Size of that longest frame in bytes (0 for an accepted connection): which attack it was, without its content. */
  longestFrameBytes: number;
  /** What that longest handling was: a `message` or an accepted `connection`. */
  longestFrameEvent: string;
  /** Frames (or connections) whose handling took over 50 ms since the previous report. */
  framesOver50Ms: number;
  /** Of those, frames still over 50 ms once the garbage-collection pauses inside them are taken out. */
  framesOver50MsBesidesGc: number;
  /** Longest garbage-collection pause since the previous report, ms (perf_hooks `gc` entries). */
  longestGcMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** The main isolate's heap as reserved (what of the RSS is V8's), and Buffers/ArrayBuffers outside it. */
  heapTotalBytes: number;
  externalBytes: number;
  at: number;
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** Milliseconds the main thread has been on a CPU so far (see the header for why not wall time). */
function mainThreadCpuClock(): () => number {
  try {
    const fd = openSync(`/proc/self/task/${process.pid}/schedstat`, "r");
    const buf = Buffer.alloc(96);
    const read = (): number => {
      const n = readSync(fd, buf, 0, buf.length, 0);
      return Number(buf.toString("latin1", 0, buf.indexOf(32) > 0 ? buf.indexOf(32) : n)) / 1e6;
    };
    if (Number.isFinite(read())) return read;
    closeSync(fd);
  } catch {
    // not Linux, or no schedstat: fall through
  }
  return () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
}

let longestFrameMs = 0;
let longestFrameWallMs = 0;
let longestFrameBytes = 0;
let longestFrameEvent = "";
let framesOver50Ms = 0;
let longestGcMs = 0;

/**
 * Frames over 50 ms wait here until the `gc` entries of their time are in: a collection that lands
 * inside a frame's handling is the heap's whole history, not that frame's cost, and the summary
 * says which it was. Entries arrive after the frame (the observer runs on a later turn).
 */
interface LongFrame {
  t0: number;
  t1: number;
  cpuMs: number;
  gcMs: number;
}
let longFrames: LongFrame[] = [];
let gcSeenUpTo = 0;

function byteSize(data: unknown): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((n: number, part: unknown) => n + byteSize(part), 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return 0;
}

function timeEvent(proto: { emit: Emit }, timed: string, cpuNow: () => number): void {
  const emit = proto.emit;
  proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== timed) return emit.call(this, event, ...args);
    const t0 = performance.now();
    const cpu0 = cpuNow();
    try {
      return emit.call(this, event, ...args);
    } finally {
      const ms = cpuNow() - cpu0;
      const wallMs = performance.now() - t0;
      if (ms > longestFrameMs) {
        longestFrameMs = ms;
        longestFrameBytes = byteSize(args[0]);
        longestFrameEvent = timed;
      }
      if (wallMs > longestFrameWallMs) longestFrameWallMs = wallMs;
      if (ms > 50) {
        framesOver50Ms++;
        longFrames.push({ t0, t1: t0 + wallMs, cpuMs: ms, gcMs: 0 });
      }
    }
  };
}

let framesTimed = false;
function timeFrames(): void {
  if (framesTimed) return;
  framesTimed = true;
  const cpuNow = mainThreadCpuClock();
  timeEvent(WebSocket.prototype as unknown as { emit: Emit }, "message", cpuNow);
  timeEvent(WebSocketServer.prototype as unknown as { emit: Emit }, "connection", cpuNow);
}

function watchGc(): PerformanceObserver {
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration > longestGcMs) longestGcMs = e.duration;
      const end = e.startTime + e.duration;
      if (end > gcSeenUpTo) gcSeenUpTo = end;
      for (const f of longFrames) f.gcMs += Math.max(0, Math.min(end, f.t1) - Math.max(e.startTime, f.t0));
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  return obs;
}

/** Long frames whose time the gc entries have covered (or that are old enough that none will come). */
function settledLongFrames(now: number): LongFrame[] {
  const settled = longFrames.filter((f) => f.t1 <= gcSeenUpTo || now - f.t1 > 1000);
  longFrames = longFrames.filter((f) => !settled.includes(f));
  return settled;
}

function memory(): Pick<WatchdogReport, "rssBytes" | "heapUsedBytes" | "heapTotalBytes" | "externalBytes"> {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external };
}

export function startWatchdog(intervalMs = 250): () => void {
  timeFrames();
  const gc = watchGc();
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const timer = setInterval(() => {
    const report: WatchdogReport = {
      kind: "watchdog",
      // The histogram counts the timer's lateness; the resolution itself is not a stall.
      maxStallMs: Math.max(0, h.max / 1e6 - 1),
      p99StallMs: Math.max(0, h.percentile(99) / 1e6 - 1),
      longestFrameMs,
      longestFrameWallMs,
      longestFrameBytes,
      longestFrameEvent,
      framesOver50Ms,
      framesOver50MsBesidesGc: settledLongFrames(performance.now()).filter((f) => f.cpuMs - f.gcMs > 50).length,
      longestGcMs,
      ...memory(),
      at: Date.now(),
    };
    h.reset();
    longestFrameMs = 0;
    longestFrameWallMs = 0;
    longestFrameBytes = 0;
    longestFrameEvent = "";
    framesOver50Ms = 0;
    longestGcMs = 0;
    process.send?.(report);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    h.disable();
    gc.disconnect();
  };
}
