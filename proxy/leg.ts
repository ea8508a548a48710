/**
 * One upstream socket of a client session. The auth leg is the socket the client's own handshake went
 * through (frames verbatim). A brokered leg is opened lazily by the proxy to the other backend and does
 * its own handshake as the trusted proxy, asserting the identity the auth owner verified.
 */
import WebSocket from "ws";
import type { OutgoingHttpHeaders } from "node:http";
import { decodeFrame } from "../protocol/codec.js";
import { MAX_BUFFERED_BYTES } from "./limits.js";
import { maskOptions, sendBatched } from "./send-batch.js";

export type LegKey = "legacy" | "hanzod" | "isolated";

export interface LegEvents {
  message(leg: Leg, data: Buffer, isBinary: boolean): void;
  /** A brokered leg finished its handshake. */
  ready(leg: Leg): void;
  /** The leg is gone: failed before ready, or closed after. */
  down(leg: Leg, code: number, reason: string, wasReady: boolean): void;
}

export interface BrokeredHandshake {
  url: string;
  headers: OutgoingHttpHeaders;
  /** The proxy's own connect frame (already carrying `connectId`). */
  connectFrame: string;
  connectId: string;
  timeoutMs: number;
}

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/** Bytes a leg may hold while its handshake is still running (the legacy's own buffer limit). */
const MAX_WAITING_BYTES = MAX_BUFFERED_BYTES;

export class Leg {
  ready: boolean;
  dead = false;
  /** Set when the proxy closed it on purpose (not a backend failure). */
  closedByProxy = false;
  failureReason = "";
  /** A brokered leg's own hello-ok payload (the proxy reads it at the client's handshake, see hello/). */
  hello: Record<string, unknown> | undefined;
  private waiting: Array<{ data: Buffer | string; isBinary: boolean }> = [];
  private waitingBytes = 0;

  private constructor(
    readonly key: LegKey,
    readonly ws: WebSocket,
    private readonly events: LegEvents,
    ready: boolean,
  ) {
    this.ready = ready;
  }

  /** The client's own leg: ready at once; the session watches its handshake frames. */
  static adopt(key: LegKey, ws: WebSocket, events: LegEvents): Leg {
    const leg = new Leg(key, ws, events, true);
    ws.on("message", (data, isBinary) => events.message(leg, data as Buffer, isBinary));
    ws.on("close", (code, reason) => leg.markDown(code, reason.toString()));
    ws.on("error", () => undefined);
    return leg;
  }

  static broker(key: LegKey, hs: BrokeredHandshake, events: LegEvents): Leg {
    const ws = new WebSocket(hs.url, { headers: hs.headers as Record<string, string>, perMessageDeflate: false, handshakeTimeout: hs.timeoutMs, maxPayload: 0, skipUTF8Validation: true, ...maskOptions(hs.url) });
    const leg = new Leg(key, ws, events, false);
    const timer = setTimeout(() => {
      leg.failureReason = "handshake timeout";
      ws.terminate();
    }, hs.timeoutMs);
    timer.unref();
    let sentConnect = false;
    ws.on("message", (data, isBinary) => {
      if (leg.ready) {
        events.message(leg, data as Buffer, isBinary);
        return;
      }
      // Only the handshake is decoded here (once per brokered leg); after ready, frames pass through as bytes.
      const decoded = decodeFrame(data as Buffer);
      if (!decoded.ok) return;
      const frame = decoded.frame;
      if (!sentConnect && frame.type === "event" && frame.event === "connect.challenge") {
        sentConnect = true;
        ws.send(hs.connectFrame);
        return;
      }
      if (frame.type === "res" && frame.id === hs.connectId) {
        clearTimeout(timer);
        if (frame.ok) {
          if (typeof frame.payload === "object" && frame.payload !== null) leg.hello = frame.payload as Record<string, unknown>;
          leg.ready = true;
          leg.flush();
          events.ready(leg);
        } else {
          leg.failureReason = `connect refused: ${frame.error?.message ?? "unknown"}`;
          ws.close();
        }
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      leg.failureReason = `upgrade refused: HTTP ${res.statusCode ?? "?"}`;
      ws.terminate();
    });
    ws.on("error", (err) => {
      if (!leg.failureReason) leg.failureReason = err.message;
    });
    ws.on("close", (code, reason) => {
      clearTimeout(timer);
      leg.markDown(code, reason.toString());
    });
    return leg;
  }

  /** Sends now, or holds the frame until the handshake is done. False when it cannot take it. */
  send(data: Buffer | string, isBinary: boolean): boolean {
    if (this.dead) return false;
    if (this.ready) {
      if (this.ws.readyState !== WebSocket.OPEN) return false;
      if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
      sendBatched(this.ws, data, isBinary ? BINARY : TEXT);
      return true;
    }
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (this.waitingBytes + size > MAX_WAITING_BYTES) return false;
    this.waiting.push({ data, isBinary });
    this.waitingBytes += size;
    return true;
  }

  close(code = 1000, reason = ""): void {
    this.closedByProxy = true;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  private flush(): void {
    const w = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const f of w) this.ws.send(f.data, { binary: f.isBinary });
  }

  private markDown(code: number, reason: string): void {
    if (this.dead) return;
    this.dead = true;
    const wasReady = this.ready;
    this.ready = false;
    this.waiting = [];
    this.events.down(this, code, reason || this.failureReason, wasReady);
  }
}
