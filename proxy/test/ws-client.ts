/** The proxy tests' view of the shared raw client (`protocol/raw-client.ts`): connect, call, events. */
import type WebSocket from "ws";
import { connectRaw, RawGatewaySocket, type CloseInfo } from "../../protocol/raw-client.js";
import type { EventFrame, Frame, ResponseFrame } from "../../protocol/index.js";

export type { Frame, ResponseFrame, EventFrame };

export interface TestClient {
  socket: RawGatewaySocket;
  ws: WebSocket;
  hello: ResponseFrame;
  /** Every frame received, challenge included (a live array). */
  frames: Frame[];
  /** Every event received so far. */
  readonly events: EventFrame[];
  closed: Promise<CloseInfo>;
  /** The final answer (interim "accepted" answers skipped). */
  call(method: string, params?: unknown, timeoutMs?: number): Promise<ResponseFrame>;
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

export async function connectClient(url: string, opts: ConnectOptions): Promise<TestClient> {
  const { socket, hello } = await connectRaw(url, {
    token: opts.token,
    scopes: opts.scopes ?? ["operator.read"],
    role: opts.role ?? "operator",
    client: { id: opts.clientId ?? "cli", version: "0.0.0-test", platform: "linux", mode: opts.mode ?? "cli" },
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  return {
    socket,
    ws: socket.ws,
    hello,
    frames: socket.frames,
    get events() {
      return socket.events();
    },
    closed: socket.closed,
    call: (method, params, timeoutMs = 30_000) => socket.request(method, params, { timeoutMs }),
    close: async () => {
      await socket.close();
    },
  };
}

/** A frame's payload as an object; throws when it has none, as reading a field of it would. */
export function payloadOf(f: Frame | undefined): Record<string, unknown> {
  const p = f !== undefined && f.type !== "req" ? f.payload : undefined;
  if (p === null || typeof p !== "object") throw new Error(`frame has no object payload: ${JSON.stringify(f)}`);
  return p as Record<string, unknown>;
}

/** A frame's payload as an object, or undefined (error answers carry none). */
export function maybePayload(f: Frame | undefined): Record<string, unknown> | undefined {
  const p = f !== undefined && f.type !== "req" ? f.payload : undefined;
  return p !== null && typeof p === "object" ? (p as Record<string, unknown>) : undefined;
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
