/**
 * One live WebSocket to the replay target with an inbox: every frame the target sends is kept, and
 * callers wait for the first unconsumed frame matching a predicate. Nothing waits on a fixed sleep;
 * every wait ends on a match, on the socket closing, or on a deadline.
 */
import WebSocket from "ws";
import { decodeFrame, wsDataToText } from "../protocol/index.js";

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
  readonly inbox: Received[] = [];
  private ws: WebSocket | undefined;
  private closeInfo: CloseInfo | undefined;
  private weClosed = false;
  private readonly listeners = new Set<() => void>();

  static async open(url: string, headers: Record<string, string>, timeoutMs: number): Promise<ReplaySession> {
    const s = new ReplaySession();
    await s.connect(url, headers, timeoutMs);
    return s;
  }

  private connect(url: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false });
      this.ws = ws;
      ws.on("message", (data, isBinary) => {
        const raw = wsDataToText(data);
        const d = isBinary ? undefined : decodeFrame(raw);
        this.inbox.push({ n: this.inbox.length + 1, at: Date.now(), frame: d?.ok ? (d.frame as unknown as Record<string, unknown>) : undefined, raw, consumed: false });
        this.notify();
      });
      ws.once("open", () => resolve());
      ws.once("error", (err) => {
        if (ws.readyState !== WebSocket.OPEN && !this.closeInfo) reject(err);
      });
      ws.once("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), byTarget: !this.weClosed };
        this.notify();
        resolve();
      });
    });
  }

  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  send(data: string | Buffer, isBinary: boolean): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data, { binary: isBinary });
    return true;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Wait for (and consume) the first unconsumed frame matching `pred`; undefined on close or deadline. */
  take(pred: (r: Received) => boolean, timeoutMs: number): Promise<Received | undefined> {
    const find = (): Received | undefined => this.inbox.find((r) => !r.consumed && pred(r));
    const hit = find();
    if (hit) return Promise.resolve(consume(hit));
    if (this.closeInfo) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (r: Received | undefined): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(r ? consume(r) : undefined);
      };
      const check = (): void => {
        const r = find();
        if (r) done(r);
        else if (this.closeInfo) done(undefined);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.listeners.add(check);
    });
  }

  /** Wait until the target closes the socket; undefined if it is still open at the deadline. */
  waitClosed(timeoutMs: number): Promise<CloseInfo | undefined> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.closeInfo) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(this.closeInfo);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        resolve(undefined);
      }, timeoutMs);
      this.listeners.add(check);
    });
  }

  /** Close from our side (as the recorded client did) and wait for the close to complete. */
  async close(code: number | undefined, timeoutMs: number): Promise<void> {
    if (this.closeInfo || !this.ws) return;
    this.weClosed = true;
    const sendable = code !== undefined && (code === 1000 || (code >= 3000 && code <= 4999));
    if (sendable) this.ws.close(code);
    else this.ws.close();
    if (!(await this.waitClosed(timeoutMs))) this.ws.terminate();
  }

  terminate(): void {
    this.ws?.terminate();
  }
}

function consume(r: Received): Received {
  r.consumed = true;
  return r;
}
