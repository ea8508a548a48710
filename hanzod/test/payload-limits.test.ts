/**
 * The receive limits: 64 KiB before hello, 25 MiB after. hanzod raises ws's private receiver limit
 * after hello (as the legacy does); the first test pins that ws internal so an upgrade that changes it
 * fails here, loudly, instead of silently capping every authenticated frame at 64 KiB.
 */
import { once } from "node:events";
import { describe, expect, inject, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { raiseReceiverMaxPayload, receiverMaxPayload } from "../../protocol/index.js";
import { connectFrame, isRes, openRaw, useTestHanzod } from "./helpers.js";

const legacy = inject("legacy");
const hz = useTestHanzod();

describe("ws receiver limit (pinned ws internal)", () => {
  it("a server socket exposes a writable numeric _maxPayload equal to the server's maxPayload, and raising it takes effect", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 65_536, perMessageDeflate: false });
    await once(wss, "listening");
    try {
      const accepted = once(wss, "connection") as Promise<[WebSocket]>;
      const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
      const [server] = await accepted;
      expect(receiverMaxPayload(server)).toBe(65_536);
      expect(raiseReceiverMaxPayload(server, 26_214_400)).toBe(true);
      expect(receiverMaxPayload(server)).toBe(26_214_400);
      await once(client, "open");
      const got = once(server, "message") as Promise<[Buffer]>;
      client.send("x".repeat(200_000));
      expect((await got)[0].length).toBe(200_000);
      client.close();
    } finally {
      wss.close();
    }
  });
});

describe("frame size limits match the legacy", () => {
  async function after(url: string, token: string, frameBytes: number) {
    const s = await openRaw(url);
    s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.admin"], auth: { token } }));
    await s.next(isRes("c1"));
    const pad = "x".repeat(frameBytes);
    s.sendText(JSON.stringify({ type: "req", id: "big", method: "no.such.method", params: { pad } }));
    const answer = await Promise.race([s.next(isRes("big"), 30_000).then((f) => f.error), s.closed.then((c) => ({ closed: c }))]);
    s.close();
    return answer;
  }

  it("accepts a 1 MiB frame after hello", async () => {
    const [a, b] = await Promise.all([after(legacy.url, legacy.token, 1 << 20), after(hz.url, hz.token, 1 << 20)]);
    expect(b).toEqual(a);
    expect(b).toEqual({ code: "INVALID_REQUEST", message: "unknown method: no.such.method" });
  });

  it("closes 1009 on a frame over 25 MiB after hello", async () => {
    const [a, b] = await Promise.all([after(legacy.url, legacy.token, 26_214_400 + 1024), after(hz.url, hz.token, 26_214_400 + 1024)]);
    expect(b).toEqual(a);
    expect(b).toMatchObject({ closed: { code: 1009 } });
  }, 60_000);
});
