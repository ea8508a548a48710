/**
 * The replay's view of one live socket to the target: the shared raw client (`protocol/raw-client.ts`)
 * with consumption on top, so each recorded answer is matched by a distinct received frame. Nothing
 * waits on a fixed sleep; every wait ends on a match, on the socket closing, or on a deadline.
 */
import { RawGatewaySocket, type ReceivedMessage } from "../protocol/index.js";

export interface Received {
  /** Position in arrival order (1-based). */
  n: number;
  at: number;
  frame: Record<string, unknown> | undefined;
  raw: string;
  consumed: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the target closed first. */
  byTarget: boolean;
}

export class ReplaySession {
  private readonly seen: Received[] = [];

  private constructor(private readonly socket: RawGatewaySocket) {}

  static async open(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ReplaySession> {
    return new ReplaySession(await RawGatewaySocket.open(url, headers, { handshakeTimeoutMs: timeoutMs }));
  }

  get closed(): CloseInfo | undefined {
    const c = this.socket.closedWith;
    return c ? { ...c, byTarget: this.socket.closedByPeer === true } : undefined;
  }

  send(data: string | Buffer, isBinary: boolean): boolean {
    const ws = this.socket.ws;
    if (ws.readyState !== ws.OPEN) return false;
    ws.send(data, { binary: isBinary });
    return true;
  }

  /** Every message the target sent so far, in arrival order (entries keep their consumed flag). */
  get inbox(): Received[] {
    return this.sync();
  }

  private sync(): Received[] {
    for (let i = this.seen.length; i < this.socket.received.length; i++) this.seen.push(asReceived(this.socket.received[i]!));
    return this.seen;
  }

  /** Wait for (and consume) the first unconsumed frame matching `pred`; undefined on close or deadline. */
  async take(pred: (r: Received) => boolean, timeoutMs: number): Promise<Received | undefined> {
    let hit: Received | undefined;
    const found = await this.socket.holds(() => (hit = this.sync().find((r) => !r.consumed && pred(r))) !== undefined, timeoutMs);
    if (!found || !hit) return undefined;
    hit.consumed = true;
    return hit;
  }

  /** Wait until the target closes the socket; undefined if it is still open at the deadline. */
  async waitClosed(timeoutMs: number): Promise<CloseInfo | undefined> {
    await this.socket.holds(() => this.socket.closedWith !== undefined, timeoutMs);
    return this.closed;
  }

  /** Close from our side (as the recorded client did) and wait for the close to complete. */
  async close(code: number | undefined, timeoutMs: number): Promise<void> {
    if (this.socket.closedWith) return;
    const sendable = code !== undefined && (code === 1000 || (code >= 3000 && code <= 4999));
    void this.socket.close(sendable ? code : null);
    if (!(await this.waitClosed(timeoutMs))) this.socket.terminate();
  }

  terminate(): void {
    this.socket.terminate();
  }
}

function asReceived(m: ReceivedMessage): Received {
  return { n: m.n, at: m.at, frame: m.frame as Record<string, unknown> | undefined, raw: m.raw, consumed: false };
}
