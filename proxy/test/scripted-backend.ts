/**
 * A tiny stand-in for hanzod, for what the real one cannot be made to do on demand: emit an upstream seq
 * gap (a slow-consumer drop). It speaks just enough protocol for the proxy's brokered leg: challenge,
 * hello-ok, an answer per request, and events with whatever seq the test dictates.
 */
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";

export interface ScriptedBackend {
  url: string;
  /** Sockets that completed the handshake. */
  readonly sockets: ReadonlySet<WebSocket>;
  /** Every request after the handshakes, in arrival order. */
  readonly received: ReadonlyArray<{ method: string; params: unknown }>;
  emit(event: string, payload: unknown, seq: number): void;
  close(): Promise<void>;
}

/** A request's answer, when not the default `{answeredBy: "scripted"}` ok. */
export type ScriptedAnswer = (method: string, params: unknown) => { ok: boolean; payload?: unknown; error?: unknown } | undefined;

export async function startScriptedBackend(answer?: ScriptedAnswer): Promise<ScriptedBackend> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  const ready = new Set<WebSocket>();
  const received: Array<{ method: string; params: unknown }> = [];
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "scripted", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string; params?: unknown };
      if (f.method === "connect") {
        ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: { type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read"] } } }));
        ready.add(ws);
        return;
      }
      received.push({ method: f.method, params: f.params });
      ws.send(JSON.stringify({ type: "res", id: f.id, ...(answer?.(f.method, f.params) ?? { ok: true, payload: { answeredBy: "scripted" } }) }));
    });
    ws.on("close", () => ready.delete(ws));
  });
  await new Promise((r) => wss.once("listening", r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    sockets: ready,
    received,
    emit: (event, payload, seq) => {
      for (const ws of ready) ws.send(JSON.stringify({ type: "event", event, payload, seq }));
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
