/**
 * WebSocket keepalive as the legacy runs it on authenticated sockets: a ping every `intervalMs`
 * (25 s), and a socket whose pong has not arrived `pongTimeoutMs` (25 s) after the ping was written
 * is terminated (no close frame; the peer sees 1006). A ping whose write stalls counts from when it
 * was queued, so a peer that stopped reading cannot hold the socket open either.
 *
 * Two timers per socket, created once and re-armed with `refresh()` (a pong does not clear the
 * deadline, it disarms it: a cleared Node timer cannot be refreshed), so steady state allocates
 * nothing per ping.
 */
import type { WebSocket } from "ws";

export interface KeepaliveSettings {
  intervalMs: number;
  pongTimeoutMs: number;
}

export function startKeepalive(ws: WebSocket, settings: KeepaliveSettings, onMissedPong: () => void): () => void {
  let awaitingPong = false;
  let stopped = false;
  let deadline: NodeJS.Timeout | undefined;
  const onDeadline = () => {
    if (awaitingPong && !stopped) onMissedPong();
  };

  // The pong window starts when the ping has reached the socket, not when it was queued.
  const onPingWritten = (err?: Error) => {
    if (!err && awaitingPong && !stopped) deadline?.refresh();
  };
  const onPong = () => {
    awaitingPong = false;
  };
  const ping = setInterval(() => {
    if (ws.readyState !== 1) return stop();
    if (awaitingPong) return;
    awaitingPong = true;
    if (deadline) deadline.refresh();
    else deadline = setTimeout(onDeadline, settings.pongTimeoutMs).unref();
    try {
      ws.ping(undefined, undefined, onPingWritten);
    } catch {
      /* a socket that cannot take a ping is closing; the close handler stops us */
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
