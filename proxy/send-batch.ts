/**
 * Hot-path writes. Under load one read from a socket carries many frames, and ws writes each frame with
 * its own syscall. Corking the destination socket for the rest of the tick turns a burst of frames into
 * one writev. Upstream legs on loopback also skip masking (a zero mask: ws then leaves the payload as is),
 * since masking only protects against caching intermediaries, and there are none on a loopback hop.
 */
import type { Duplex } from "node:stream";
import type WebSocket from "ws";

/**
 * ws keeps its socket in a private field; it has been `_socket` for all of ws 8 (pinned in
 * package.json). proxy/test/send-batch.test.ts asserts the shape, so a ws upgrade that moves it fails
 * there instead of silently losing the batching.
 */
function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex | null })._socket ?? undefined;
}

function uncork(socket: Duplex): void {
  socket.uncork();
}

/** ws.send, with the socket corked until the end of this tick so later frames share its write. */
export function sendBatched(ws: WebSocket, data: Buffer | string, options: { binary: boolean }): void {
  const socket = socketOf(ws);
  if (socket !== undefined && socket.writableCorked === 0 && !socket.destroyed) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  ws.send(data, options);
}

/**
 * Writes out whatever this tick corked, now: before a terminate() (which destroys the socket and would
 * discard corked frames), so the frames relayed just before an abnormal close still leave.
 */
export function flushCorked(ws: WebSocket): void {
  const socket = socketOf(ws);
  if (socket === undefined || socket.destroyed) return;
  while (socket.writableCorked > 0) socket.uncork();
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** ws client options for an upstream leg: a zero mask when the backend is on this host. */
export function maskOptions(url: string): { generateMask?: (mask: Buffer) => void } {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return {};
  }
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) ? { generateMask: zeroMask } : {};
}
