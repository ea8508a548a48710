/** Batched writes and loopback masking on real ws sockets: order kept, nothing lost before a terminate. */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { Socket, type AddressInfo } from "node:net";
import { flushCorked, maskOptions, sendBatched } from "../send-batch.js";
import { mirrorClose } from "../close-mirror.js";
import { waitFor } from "./ws-client.js";

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A loopback pair: `client` (masking per maskOptions) connected to the server side `peer`. */
async function pair(): Promise<{ client: WebSocket; peer: WebSocket; atPeer: string[]; atClient: string[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  servers.push(wss);
  await new Promise((r) => wss.once("listening", r));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const peerP = new Promise<WebSocket>((r) => wss.once("connection", r));
  const client = new WebSocket(url, { perMessageDeflate: false, ...maskOptions(url) });
  const atClient: string[] = [];
  client.on("message", (d) => atClient.push(d.toString()));
  await new Promise((r) => client.once("open", r));
  const peer = await peerP;
  const atPeer: string[] = [];
  peer.on("message", (d) => atPeer.push(d.toString()));
  return { client, peer, atPeer, atClient };
}

describe("sendBatched / maskOptions", () => {
  it("relies on ws 8 keeping each side's net.Socket at `_socket`: a send corks it for the rest of the tick", async () => {
    const { client, peer } = await pair();
    for (const ws of [client, peer]) {
      const socket = (ws as unknown as { _socket?: unknown })._socket;
      expect(socket).toBeInstanceOf(Socket);
      sendBatched(ws, "x", { binary: false });
      expect((socket as Socket).writableCorked).toBe(1);
      await new Promise((r) => process.nextTick(r));
      expect((socket as Socket).writableCorked).toBe(0);
    }
  });

  it("zero-masks only loopback upstreams", () => {
    expect(maskOptions("ws://127.0.0.1:1").generateMask).toBeTypeOf("function");
    expect(maskOptions("ws://localhost:1").generateMask).toBeTypeOf("function");
    expect(maskOptions("ws://[::1]:1").generateMask).toBeTypeOf("function");
    expect(maskOptions("ws://10.0.0.5:1").generateMask).toBeUndefined();
    expect(maskOptions("wss://gateway.example.com").generateMask).toBeUndefined();
  });

  it("a burst in one tick arrives complete and in order, both directions (zero-masked client frames accepted)", async () => {
    const { client, peer, atPeer, atClient } = await pair();
    for (let i = 0; i < 500; i++) sendBatched(client, Buffer.from(`{"n":${i}}`), { binary: false });
    for (let i = 0; i < 500; i++) sendBatched(peer, `{"m":${i}}`, { binary: false });
    await waitFor(() => atPeer.length === 500 && atClient.length === 500, 10_000, "both bursts");
    expect(atPeer).toEqual(Array.from({ length: 500 }, (_, i) => `{"n":${i}}`));
    expect(atClient).toEqual(Array.from({ length: 500 }, (_, i) => `{"m":${i}}`));
    client.close();
  });

  it("frames corked in this tick still leave when the socket is terminated right after", async () => {
    const { client, peer, atClient } = await pair();
    for (let i = 0; i < 10; i++) sendBatched(peer, `last-${i}`, { binary: false });
    // 1006 cannot go on the wire: mirrorClose terminates, after flushing what this tick corked.
    mirrorClose(peer, 1006, "");
    await new Promise((r) => client.once("close", r));
    expect(atClient).toEqual(Array.from({ length: 10 }, (_, i) => `last-${i}`));
    flushCorked(peer); // a destroyed socket: nothing to do, no throw
  });
});
