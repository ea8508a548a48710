/**
 * WebSocket keepalive as the legacy runs it on authenticated sockets: a ping every `intervalMs` (25 s)
 * and a socket that does not answer within `pongTimeoutMs` (25 s) is terminated (no close frame; the
 * peer sees 1006). How the window is enforced differs by release:
 *
 * - 2026.9.1 (`deadline`): the window counts from when the ping was written; at 25 s / 25 s the socket
 *   goes at the second interval, ~50 s after hello. A ping whose write stalls counts from when it was
 *   queued, so a peer that stopped reading cannot hold the socket open either.
 * - 2026.9.6 (`tick`): the window (ping written + `pongTimeoutMs`) is only checked at the interval's
 *   ticks, and a tick that comes before it waits for the next one. At 25 s / 25 s the second tick falls
 *   on the window's end (the ping's write takes about as long as the tick is late), so the legacy
 *   terminates a silent socket at the second or, usually, the third tick: ~50 or ~75 s after hello.
 *   hanzod does not run that coin flip: a tick that falls on the window's end (within
 *   `TICK_ON_WINDOW_END_MS`, timer jitter) counts as before it, so hanzod answers as the legacy usually
 *   does (~75 s), every time.
 *   A ping whose write has not completed after `pongTimeoutMs` terminates the socket at once (the
 *   legacy's 25 s transport write timeout).
 *
 * Two timers per socket at most, created once and re-armed with `refresh()` (a pong does not clear the
 * deadline, it disarms it: a cleared Node timer cannot be refreshed), so steady state allocates nothing
 * per ping.
 */
import type { WebSocket } from "ws";
import { compareReleases } from "../../protocol/index.js";

export type KeepaliveWindow = "deadline" | "tick";

export interface KeepaliveSettings {
  intervalMs: number;
  pongTimeoutMs: number;
  /** How the pong window is enforced (the compat release's: `keepaliveWindowFor`); `deadline` when unset. */
  window?: KeepaliveWindow;
}

/** The release from which the pong window is checked on the interval's ticks. */
const TICK_WINDOW_SINCE = "2026.9.6";
/** How close to the window's end a tick counts as on it (timer lateness, the ping's write time). */
const TICK_ON_WINDOW_END_MS = 1_000;

export function keepaliveWindowFor(release: string): KeepaliveWindow {
  return compareReleases(release, TICK_WINDOW_SINCE) >= 0 ? "tick" : "deadline";
}

export function startKeepalive(ws: WebSocket, settings: KeepaliveSettings, onMissedPong: () => void): () => void {
  const onTick = settings.window === "tick";
  let awaitingPong = false;
  let stopped = false;
  /** Armed while a pong is awaited: `deadline` mode's whole window, `tick` mode's write timeout. */
  let deadline: NodeJS.Timeout | undefined;
  /** `tick` mode: when the window ends (performance.now()); undefined while the ping's write is pending. */
  let windowEnd: number | undefined;
  let writePending = false;
  const onDeadline = () => {
    if (awaitingPong && !stopped && (!onTick || writePending)) onMissedPong();
  };

  const onPingWritten = (err?: Error) => {
    if (!awaitingPong || stopped) return;
    writePending = false;
    if (onTick) {
      // The write timeout is over; the window starts now and is checked on the ticks.
      if (!err) windowEnd = performance.now() + settings.pongTimeoutMs;
      return;
    }
    // The pong window starts when the ping has reached the socket, not when it was queued.
    if (!err) deadline?.refresh();
  };
  const onPong = () => {
    awaitingPong = false;
    writePending = false;
    windowEnd = undefined;
  };
  const ping = setInterval(() => {
    if (ws.readyState !== 1) return stop();
    if (awaitingPong) {
      if (!onTick || writePending || (windowEnd !== undefined && performance.now() < windowEnd + Math.min(TICK_ON_WINDOW_END_MS, settings.intervalMs / 10))) return;
      return onMissedPong();
    }
    awaitingPong = true;
    writePending = true;
    windowEnd = undefined;
    if (deadline) deadline.refresh();
    else deadline = setTimeout(onDeadline, settings.pongTimeoutMs).unref();
    try {
      ws.ping(undefined, undefined, onPingWritten);
    } catch {
      /* a socket that cannot take a ping is closing; the close handler stops us */
      writePending = false;
    }
  }, settings.intervalMs);
  ping.unref();

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(ping);
    clearTimeout(deadline);
    ws.off("pong", onPong);
  }
  ws.on("pong", onPong);
  return stop;
}
