/**
 * One client connection: the client socket, its leg(s) to the backends, and the relay between them.
 * (Milestone 1: every frame to and from the legacy leg verbatim.)
 */
import type WebSocket from "ws";
import type { Backend, ConnectionTap } from "./tap.js";
import { mirrorClose } from "./close-mirror.js";
import type { ProxyMetrics } from "./metrics.js";
import type { Logger } from "./log.js";

export interface SessionContext {
  metrics: ProxyMetrics;
  log: Logger;
  maxBufferedBytes: number;
}

export class ClientSession {
  private closed = false;

  constructor(
    readonly id: string,
    private readonly client: WebSocket,
    private readonly leg: WebSocket,
    private readonly legBackend: Backend,
    private readonly tap: ConnectionTap | undefined,
    private readonly ctx: SessionContext,
    private readonly onEnd: (s: ClientSession) => void,
  ) {}

  start(early: Array<{ data: Buffer; isBinary: boolean }>): void {
    const { client, leg } = this;
    client.on("message", (data, isBinary) => this.fromClient(data as Buffer, isBinary));
    leg.on("message", (data, isBinary) => this.fromLeg(data as Buffer, isBinary));
    // The backend sent these after its own handshake; sending them in the same write as our 101 could
    // deliver them before a client that awaits "open" has attached its listener.
    if (early.length > 0) setImmediate(() => { for (const f of early) this.fromLeg(f.data, f.isBinary); });
    client.on("close", (code, reason) => this.end(code, reason.toString(), "client"));
    leg.on("close", (code, reason) => this.end(code, reason.toString(), "upstream"));
    client.on("pong", () => this.markAlive());
    client.on("error", (err) => this.ctx.log.debug({ conn: this.id, err: err.message }, "client socket error"));
    leg.on("error", (err) => this.ctx.log.debug({ conn: this.id, err: err.message }, "upstream socket error"));
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    this.tap?.frame("c2s", data, isBinary, this.legBackend, Date.now());
    if (this.leg.readyState !== this.leg.OPEN) return;
    this.leg.send(data, { binary: isBinary });
  }

  private fromLeg(data: Buffer, isBinary: boolean): void {
    this.tap?.frame("s2c", data, isBinary, this.legBackend, Date.now());
    this.sendToClient(data, isBinary);
  }

  private sendToClient(data: Buffer | string, isBinary: boolean): void {
    const client = this.client;
    if (client.readyState !== client.OPEN) return;
    // Mirror the legacy slow-consumer policy instead of buffering without bound.
    if (client.bufferedAmount > this.ctx.maxBufferedBytes) {
      this.shutdown(1008, "slow consumer");
      return;
    }
    client.send(data, { binary: isBinary });
  }

  /** Closes both sides with one code (used by the proxy itself: shutdown, slow consumer). */
  shutdown(code: number, reason: string): void {
    if (this.closed) return;
    mirrorClose(this.client, code, reason);
    mirrorClose(this.leg, code, reason);
    this.end(code, reason, "proxy");
  }

  private end(code: number, reason: string, by: "client" | "upstream" | "proxy"): void {
    if (this.closed) return;
    this.closed = true;
    this.tap?.close(code, reason, by, Date.now());
    if (by === "client") mirrorClose(this.leg, code, reason);
    else if (by === "upstream") mirrorClose(this.client, code, reason);
    this.onEnd(this);
  }

  /** Keepalive towards the client: WS ping/pong is per hop, so the proxy checks its own leg. */
  private alive = true;
  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.client.terminate();
      return;
    }
    this.alive = false;
    this.client.ping();
  }
  markAlive(): void {
    this.alive = true;
  }
}
