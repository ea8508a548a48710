/**
 * A raw WebSocket operator client for parity tests: does the legacy handshake (challenge, token
 * connect as a loopback `gateway-client` backend, which keeps its scopes) and sends requests. It goes
 * through the shared protocol codec so no frame is parsed by hand.
 */
import WebSocket from "ws";
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, type ResponseFrame } from "../../../protocol/index.js";

export interface TimedResponse {
  frame: ResponseFrame;
  latencyMs: number;
}

export interface RawClient {
  call(method: string, params?: unknown, timeoutMs?: number): Promise<TimedResponse>;
  close(): Promise<void>;
}

export async function connectRawClient(url: string, token: string, scopes: string[] = ["operator.admin", "operator.read"]): Promise<RawClient> {
  const ws = new WebSocket(url);
  const pending = new Map<string, { resolve: (r: TimedResponse) => void; reject: (e: Error) => void; sentAt: number; timer: NodeJS.Timeout }>();
  let counter = 0;
  let challenged: (() => void) | undefined;
  const challenge = new Promise<void>((resolve) => (challenged = resolve));

  ws.on("message", (data: Buffer) => {
    const decoded = decodeFrame(data);
    if (!decoded.ok) return;
    const frame = decoded.frame;
    if (frame.type === "event" && frame.event === "connect.challenge") challenged?.();
    if (frame.type !== "res") return;
    // Interim "accepted" answers are not final; the caller waits for the final one.
    const payload = frame.payload as { status?: unknown } | undefined;
    if (frame.ok && payload?.status === "accepted") return;
    const entry = pending.get(frame.id);
    if (!entry) return;
    pending.delete(frame.id);
    clearTimeout(entry.timer);
    entry.resolve({ frame, latencyMs: performance.now() - entry.sentAt });
  });
  ws.on("close", () => {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`connection closed before the answer to ${id}`));
    }
    pending.clear();
  });

  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  await challenge;

  const call = (method: string, params?: unknown, timeoutMs = 30_000): Promise<TimedResponse> =>
    new Promise((resolve, reject) => {
      const id = `${++counter}:parity-test`;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, sentAt: performance.now(), timer });
      ws.send(encodeFrame({ type: "req", id, method, ...(params === undefined ? {} : { params }) }));
    });

  const hello = await call("connect", {
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    client: { id: "gateway-client", version: "0.0.0", platform: "linux", mode: "backend" },
    role: "operator",
    scopes,
    caps: [],
    auth: { token },
  });
  if (!hello.frame.ok) {
    ws.close();
    throw new Error(`connect refused: ${JSON.stringify(hello.frame.error)}`);
  }

  return {
    call,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close(1000);
      }),
  };
}
