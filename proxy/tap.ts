/**
 * The recording tap: how the proxy lets an observer (the recorder's FixtureWriter) see every frame
 * of every client connection without the observer touching proxy internals. Taps are called on the
 * hot path, so implementations must not block: buffer and append asynchronously, never throw.
 */
import type { IncomingHttpHeaders } from "node:http";

export type Backend = "legacy" | "hanzod";

export interface ConnectionMeta {
  /** Proxy-local connection id (unique per process). */
  connectionId: string;
  /** Remote address of the client as the proxy saw it. */
  clientAddress: string;
  /** Upgrade request path and headers as the client sent them. */
  path: string;
  headers: IncomingHttpHeaders;
  openedAt: number;
}

export interface ConnectionTap {
  /**
   * One WebSocket message. `c2s` = client to proxy, `s2c` = proxy to client. `data` is exactly the
   * bytes relayed (malformed and oversized frames included); `backend` names the leg it went to or
   * came from, when there is one.
   */
  frame(direction: "c2s" | "s2c", data: string | Buffer, isBinary: boolean, backend: Backend | undefined, at: number): void;
  /** The client connection closed; `by` says which side closed first. */
  close(code: number, reason: string, by: "client" | "upstream" | "proxy", at: number): void;
}

export interface FrameTap {
  open(meta: ConnectionMeta): ConnectionTap;
  /** Flush and release everything; the proxy awaits it on shutdown. */
  close(): Promise<void>;
}
