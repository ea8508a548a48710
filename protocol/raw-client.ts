/**
 * A raw protocol client: one WebSocket, every frame decoded through the shared codec and kept in
 * arrival order. Tests, fixture recording, probes and replay use it for what no real client produces
 * (bad frames, forged proofs, protocol mismatches) and to watch seq and close codes exactly. It is the
 * one frame-collecting client: the others (the proxy tests' `connectClient`, hanzod's test helpers, the
 * recorder's `ReplaySession`) are views over it. It never waits a fixed time: every wait is for a
 * frame or a close, with a deadline that names what was awaited.
 */
import WebSocket from "ws";
import { decodeFrame, wsDataToText } from "./codec.js";
import { isInterimAnswer, type EventFrame, type Frame, type ResponseFrame } from "./frames.js";
import { PROTOCOL_VERSION } from "./contract.js";

export interface Challenge {
  nonce: string;
  ts: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  token?: string;
  password?: string;
  deviceToken?: string;
  role?: string;
  scopes?: string[];
  caps?: string[];
  client?: { id: string; version: string; platform: string; mode: string; [key: string]: unknown };
  device?: Record<string, unknown>;
  minProtocol?: number;
  maxProtocol?: number;
}

export const TEST_CLIENT = { id: "cli", version: "0.0.0-hanzonode", platform: "linux", mode: "cli" } as const;

/** connect params as the legacy's own clients send them (legacy-protocol.md §2). */
export function connectParams(o: ConnectOptions = {}): Record<string, unknown> {
  const auth: Record<string, string> = {};
  if (o.token !== undefined) auth.token = o.token;
  if (o.password !== undefined) auth.password = o.password;
  if (o.deviceToken !== undefined) auth.deviceToken = o.deviceToken;
  return {
    minProtocol: o.minProtocol ?? PROTOCOL_VERSION,
    maxProtocol: o.maxProtocol ?? PROTOCOL_VERSION,
    client: o.client ?? TEST_CLIENT,
    role: o.role ?? "operator",
    scopes: o.scopes ?? ["operator.read"],
    caps: o.caps ?? [],
    auth,
    ...(o.device ? { device: o.device } : {}),
  };
}

/** One message as it arrived: the decoded frame (text messages that decode) and the text itself. */
export interface ReceivedMessage {
  /** Position in arrival order (1-based). */
  n: number;
  /** Epoch ms at arrival. */
  at: number;
  frame: Frame | undefined;
  raw: string;
  binary: boolean;
}

export interface OpenOptions {
  /** Deadline for the WebSocket upgrade (ws' handshakeTimeout); none by default. */
  handshakeTimeoutMs?: number;
}

let nextId = 0;

export class RawGatewaySocket {
  /** Every frame received, in order (the challenge included). */
  readonly frames: Frame[] = [];
  /** Messages that did not decode as frames, verbatim. */
  readonly undecodable: string[] = [];
  /** Every message, frames or not, in arrival order. */
  readonly received: ReceivedMessage[] = [];
  readonly closed: Promise<CloseInfo>;
  /** The server's 101 response headers (what answered the upgrade: a proxy marks itself there). */
  upgradeHeaders: Readonly<Record<string, string | string[] | undefined>> = {};
  private readonly waiters = new Set<() => void>();
  private closeInfo: CloseInfo | undefined;
  private weClosed = false;
  private peerClosed: boolean | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.peerClosed = !this.weClosed;
        resolve(this.closeInfo);
        this.wake();
      }),
    );
    ws.once("upgrade", (res) => {
      this.upgradeHeaders = res.headers;
    });
    // Listening from construction: a server may send its challenge in the same packet as the 101.
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const raw = wsDataToText(data);
      const decoded = decodeFrame(raw);
      if (decoded.ok) this.frames.push(decoded.frame);
      else this.undecodable.push(raw);
      this.received.push({ n: this.received.length + 1, at: Date.now(), frame: decoded.ok && !isBinary ? decoded.frame : undefined, raw, binary: isBinary });
      this.wake();
    });
  }

  static open(url: string, headers: Record<string, string> = {}, opts: OpenOptions = {}): Promise<RawGatewaySocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers, ...(opts.handshakeTimeoutMs !== undefined ? { handshakeTimeout: opts.handshakeTimeoutMs } : {}) });
    const socket = new RawGatewaySocket(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(socket));
      ws.once("error", reject);
    });
  }

  /** How the socket closed, once it has. */
  get closedWith(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /** True when the server closed first, false when we did; undefined while open. */
  get closedByPeer(): boolean | undefined {
    return this.peerClosed;
  }

  /** Like `until`, for callers that treat a close or the deadline as an answer: false instead of a rejection. */
  async holds(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.until(condition, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves once `condition` holds (checked now and after every frame); rejects on close or deadline. */
  until(condition: () => boolean, timeoutMs = 20_000, what = "a condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) return finish(resolve);
        if (this.closeInfo) return finish(() => reject(new Error(`closed (${this.closeInfo?.code} ${this.closeInfo?.reason}) before ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        then();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The first received frame matching `match` (already received or still to come). */
  next<T extends Frame>(match: (f: Frame) => f is T, timeoutMs?: number, what?: string): Promise<T>;
  next(match: (f: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  async next(match: (f: Frame) => boolean, timeoutMs = 20_000, what = "a matching frame"): Promise<Frame> {
    let hit: Frame | undefined;
    await this.until(() => (hit = this.frames.find(match)) !== undefined, timeoutMs, what);
    return hit as Frame;
  }

  async challenge(timeoutMs = 20_000): Promise<Challenge> {
    const f = await this.next((x): x is EventFrame => x.type === "event" && x.event === "connect.challenge", timeoutMs, "connect.challenge");
    return f.payload as Challenge;
  }

  sendText(text: string | Buffer): void {
    this.ws.send(text);
  }

  send(frame: Frame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a request and resolves with its final answer (interim `status: "accepted"` answers skipped). */
  async request(method: string, params?: unknown, opts: { id?: string; timeoutMs?: number } = {}): Promise<ResponseFrame> {
    const id = opts.id ?? `${++nextId}:raw`;
    this.send({ type: "req", id, method, ...(params === undefined ? {} : { params }) });
    return this.next(
      (f): f is ResponseFrame => f.type === "res" && f.id === id && !isInterimAnswer(f),
      opts.timeoutMs,
      `the answer to ${method} (${id})`,
    );
  }

  events(name?: string): EventFrame[] {
    return this.frames.filter((f): f is EventFrame => f.type === "event" && (name === undefined || f.event === name));
  }

  async close(code: number | null = 1000): Promise<CloseInfo> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.weClosed = true;
      // null: a close frame without a code (the peer sees 1005), as some real clients send.
      if (code === null) this.ws.close();
      else this.ws.close(code);
    }
    return this.closed;
  }

  terminate(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.weClosed = true;
    this.ws.terminate();
  }
}

/** Open, wait for the challenge, connect; throws with the server's error when connect is refused. */
export async function connectRaw(url: string, opts: ConnectOptions & { headers?: Record<string, string> } = {}): Promise<{ socket: RawGatewaySocket; hello: ResponseFrame }> {
  const socket = await RawGatewaySocket.open(url, opts.headers);
  await socket.challenge();
  const hello = await socket.request("connect", connectParams(opts));
  if (!hello.ok) {
    await socket.close();
    throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
  }
  return { socket, hello };
}
