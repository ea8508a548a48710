/**
 * The per-socket receive limit, for hanzod and the proxy alike: 64 KiB before hello (the
 * WebSocketServer's `maxPayload`, enforced by ws from the frame header, before the payload is
 * buffered), the advertised 25 MiB after it. ws has no
 * public per-socket setter, so this raises the receiver's `_maxPayload` exactly as the legacy gateway
 * does. The alternative (server maxPayload 25 MiB plus an app-level 64 KiB check) would let every
 * unauthenticated socket make the server buffer 25 MiB before the check runs. The shape is checked here and
 * pinned by hanzod/test/payload-limits.test.ts, so a ws upgrade that changes it fails loudly.
 */
import type { WebSocket } from "ws";

interface ReceiverLike {
  _maxPayload: number;
}

function receiverOf(ws: WebSocket): ReceiverLike | undefined {
  const receiver = (ws as unknown as { _receiver?: unknown })._receiver;
  if (typeof receiver !== "object" || receiver === null) return undefined;
  const desc = Object.getOwnPropertyDescriptor(receiver, "_maxPayload");
  if (!desc || typeof desc.value !== "number" || desc.writable !== true) return undefined;
  return receiver as ReceiverLike;
}

/** The receive limit ws currently enforces on this socket, or undefined if ws no longer exposes it. */
export function receiverMaxPayload(ws: WebSocket): number | undefined {
  return receiverOf(ws)?._maxPayload;
}

/** Raises the socket's receive limit; false when ws's receiver no longer has the expected shape. */
export function raiseReceiverMaxPayload(ws: WebSocket, bytes: number): boolean {
  const receiver = receiverOf(ws);
  if (!receiver) return false;
  receiver._maxPayload = bytes;
  return true;
}

interface SocketLike {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
}

/**
 * Calls `onRead` after each chunk the socket hands ws (ws's own `data` listener runs first, so the
 * receiver has taken the chunk in, and emitted any frame it completed). False when ws no longer keeps
 * the socket as `_socket` (pinned by hanzod/test/off-thread-intake.test.ts).
 */
export function afterSocketReads(ws: WebSocket, onRead: () => void): boolean {
  const socket = (ws as unknown as { _socket?: unknown })._socket as SocketLike | undefined;
  if (typeof socket !== "object" || socket === null || typeof socket.on !== "function") return false;
  socket.on("data", onRead);
  return true;
}

/**
 * The payload bytes the message ws is receiving announces so far (its frame headers' lengths, read
 * before the payload is): 0 between messages, undefined if ws no longer exposes it.
 */
export function announcedPayloadBytes(ws: WebSocket): number | undefined {
  const receiver = (ws as unknown as { _receiver?: { _totalPayloadLength?: unknown } })._receiver;
  const n = receiver?._totalPayloadLength;
  return typeof n === "number" ? n : undefined;
}
