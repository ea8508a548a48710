/** A small raw protocol client for tests: handshake, calls, events, all frames as they arrived. */
import WebSocket from "ws";

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: any;
  error?: any;
  event?: string;
  seq?: number;
  method?: string;
}

export interface TestClient {
  ws: WebSocket;
  hello: Frame;
  frames: Frame[];
  events: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  call(method: string, params?: unknown, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  token: string;
  scopes?: string[];
  clientId?: string;
  mode?: string;
  role?: string;
  headers?: Record<string, string>;
}

let counter = 0;

const inbox = new WeakMap<WebSocket, string[]>();

/** Opens a socket whose messages are queued from the first byte (a frame can arrive with the 101). */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    const queue: string[] = [];
    inbox.set(ws, queue);
    ws.on("message", (d) => queue.push(d.toString()));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Every message received so far on a socket from openSocket (a live array). */
export function received(ws: WebSocket): string[] {
  return inbox.get(ws) ?? [];
}

export async function nextMessage(ws: WebSocket, timeoutMs = 15_000): Promise<string> {
  const queue = received(ws);
  await waitFor(() => queue.length > 0, timeoutMs, "a message");
  return queue.shift()!;
}

export function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

export async function connectClient(url: string, opts: ConnectOptions): Promise<TestClient> {
  const ws = await openSocket(url, opts.headers);
  const closed = closeOf(ws);
  const frames: Frame[] = [];
  const events: Frame[] = [];
  const waiters = new Map<string, (f: Frame) => void>();
  const early = received(ws).splice(0);
  const onMessage = (d: string): void => {
    const f = JSON.parse(d) as Frame;
    frames.push(f);
    if (f.type === "event") events.push(f);
    if (f.type === "res" && f.id !== undefined) {
      // Interim "accepted" answers are not final.
      if (f.ok && f.payload?.status === "accepted") return;
      waiters.get(f.id)?.(f);
    }
  };
  for (const d of early) onMessage(d);
  ws.on("message", (d) => onMessage(d.toString()));
  const challenge = await waitFor(() => frames.find((f) => f.event === "connect.challenge"), 15_000, "connect.challenge");
  void challenge;
  const call = (method: string, params?: unknown, timeoutMs = 30_000): Promise<Frame> => {
    const id = `${++counter}:test`;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        waiters.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(id, (f) => {
        clearTimeout(t);
        waiters.delete(id);
        resolve(f);
      });
      ws.send(JSON.stringify({ type: "req", id, method, ...(params === undefined ? {} : { params }) }));
    });
  };
  const hello = await call("connect", {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: opts.clientId ?? "cli", version: "0.0.0-test", platform: "linux", mode: opts.mode ?? "cli" },
    role: opts.role ?? "operator",
    scopes: opts.scopes ?? ["operator.read"],
    caps: [],
    auth: { token: opts.token },
  });
  return {
    ws,
    hello,
    frames,
    events,
    closed,
    call,
    close: async () => {
      if (ws.readyState === ws.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
