/** A brokered leg's own handshake, read through the shared codec, against a scripted upstream. */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { decodeFrame, type Frame } from "../../protocol/index.js";
import { Leg, type LegEvents } from "../leg.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An upstream that runs `script` on each connection and records what the leg sent it. */
async function upstream(script: (ws: WebSocket, received: Frame[]) => void): Promise<{ url: string; received: Frame[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  const received: Frame[] = [];
  wss.on("connection", (ws) => script(ws, received));
  await new Promise((r) => wss.once("listening", r));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, received };
}

function broker(url: string): { leg: Leg; outcome: Promise<"ready" | { down: string }> } {
  let settle!: (v: "ready" | { down: string }) => void;
  const outcome = new Promise<"ready" | { down: string }>((r) => (settle = r));
  const events: LegEvents = { message: () => undefined, ready: () => settle("ready"), down: (_leg, _code, reason) => settle({ down: reason }) };
  const connectFrame = JSON.stringify({ type: "req", id: "proxy-connect", method: "connect", params: {} });
  const leg = Leg.broker("hanzod", { url, headers: {}, connectFrame, connectId: "proxy-connect", timeoutMs: 20_000 }, events);
  cleanups.push(async () => leg.close());
  return { leg, outcome };
}

const challenge = JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } });

describe("Leg.broker handshake", () => {
  it("ignores what is not a frame, answers the challenge with its connect, and keeps the hello-ok payload", async () => {
    const up = await upstream((ws, received) => {
      // Before the challenge: text that is not JSON, JSON that is not a frame, and a res without `ok`.
      ws.send("not json");
      ws.send("[1,2]");
      ws.send(JSON.stringify({ type: "res", id: "proxy-connect" }));
      ws.send(challenge);
      ws.on("message", (data) => {
        const d = decodeFrame(data as Buffer);
        if (!d.ok) return;
        received.push(d.frame);
        if (d.frame.type === "req") ws.send(JSON.stringify({ type: "res", id: d.frame.id, ok: true, payload: { type: "hello-ok", protocol: 4 } }));
      });
    });
    const { leg, outcome } = broker(up.url);
    expect(await outcome).toBe("ready");
    expect(leg.ready).toBe(true);
    expect(leg.hello).toEqual({ type: "hello-ok", protocol: 4 });
    expect(up.received).toEqual([{ type: "req", id: "proxy-connect", method: "connect", params: {} }]);
  });

  it("a refused connect takes the leg down with the upstream's error message", async () => {
    const up = await upstream((ws) => {
      ws.send(challenge);
      ws.on("message", (data) => {
        const d = decodeFrame(data as Buffer);
        if (d.ok && d.frame.type === "req") ws.send(JSON.stringify({ type: "res", id: d.frame.id, ok: false, error: { code: "INVALID_REQUEST", message: "proxy token mismatch" } }));
      });
    });
    const { leg, outcome } = broker(up.url);
    expect(await outcome).toEqual({ down: "connect refused: proxy token mismatch" });
    expect(leg.ready).toBe(false);
    expect(leg.hello).toBeUndefined();
  });
});
