/**
 * The routing check: many connections open at once, each sending requests under ids of any shape (the
 * proxy's own spellings, ids every connection shares, long ones, non-ASCII); every answer must come
 * back once, on the connection that asked, under the id it asked with.
 */
import WebSocket from "ws";

export interface RoutingResult {
  connections: number;
  requests: number;
  answered: number;
  lost: number;
  misrouted: number;
  /** Connections that could not complete their handshake (their requests were never sent). */
  refused: number;
}

const SHAPES = [
  (c: number, i: number) => `${c}:${i}`,
  (_c: number, i: number) => `hanzonode-proxy:${i}`,
  (_c: number, i: number) => `hanzonode-reused:${i}`,
  (c: number, i: number) => `hanzonode-proxy:c${c}:${i}`,
  (_c: number, i: number) => `hanzonode-proxy:connect:${i}`,
  (_c: number, i: number) => `${i}`,
  (c: number, i: number) => `id-${c}-${i}-${"x".repeat(200)}`,
  (c: number, i: number) => `ünï-${c}-${i}`,
];
const METHODS = ["health", "status"];
/** Handshakes in flight at once (the legacy allows 32 unauthenticated sockets per address). */
const OPENING = 16;

const connectFrame = (token: string): string =>
  JSON.stringify({ type: "req", id: "connect", method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "fuzz", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token } } });

interface Conn {
  ws: WebSocket;
  expected: Map<string, number>;
}

function open(url: string, token: string, timeoutMs: number): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    let settled = false;
    const settle = (v: WebSocket | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.off("message", onMessage);
      if (v === undefined) ws.terminate();
      resolve(v);
    };
    const onMessage = (data: WebSocket.RawData): void => {
      const f = JSON.parse(data.toString()) as { type: string; event?: string; id?: string; ok?: boolean };
      if (f.type === "event" && f.event === "connect.challenge") ws.send(connectFrame(token));
      else if (f.type === "res" && f.id === "connect") settle(f.ok ? ws : undefined);
    };
    ws.on("error", () => settle(undefined));
    ws.on("close", () => settle(undefined));
    ws.on("message", onMessage);
  });
}

export async function routingCheck(url: string, token: string, connections: number, perConnection: number, timeoutMs: number): Promise<RoutingResult> {
  const result: RoutingResult = { connections, requests: 0, answered: 0, lost: 0, misrouted: 0, refused: 0 };
  const conns: Conn[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: OPENING }, async () => {
      while (next < connections) {
        next++;
        const ws = await open(url, token, timeoutMs);
        if (ws) conns.push({ ws, expected: new Map() });
        else result.refused++;
      }
    }),
  );
  // Every connection is open: now all of them ask at once.
  const finished = conns.map(
    (conn, c) =>
      new Promise<void>((resolve) => {
        const { ws, expected } = conn;
        const done = (): void => {
          ws.off("message", onMessage);
          resolve();
        };
        const onMessage = (data: WebSocket.RawData): void => {
          const f = JSON.parse(data.toString()) as { type: string; id?: string };
          if (f.type !== "res" || f.id === undefined) return;
          const left = expected.get(f.id);
          if (left === undefined) {
            result.misrouted++;
            return;
          }
          result.answered++;
          expected.delete(f.id);
          if (expected.size === 0) done();
        };
        ws.on("message", onMessage);
        ws.on("close", done);
        for (let i = 0; i < perConnection; i++) {
          const id = SHAPES[(c + i) % SHAPES.length]!(c, i);
          if (expected.has(id)) continue;
          expected.set(id, 1);
          result.requests++;
          ws.send(JSON.stringify({ type: "req", id, method: METHODS[i % METHODS.length] }));
        }
        if (expected.size === 0) done();
      }),
  );
  await Promise.race([Promise.all(finished), new Promise((r) => setTimeout(r, timeoutMs))]);
  for (const { ws, expected } of conns) {
    result.lost += expected.size;
    ws.terminate();
  }
  return result;
}
