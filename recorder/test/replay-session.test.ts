/** The replay's view over the shared raw client: consumption, binary messages, who closed first. */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { ReplaySession } from "../replay-session.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function target(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", onConnection);
  await new Promise((r) => wss.once("listening", r));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

describe("ReplaySession", () => {
  it("hands each received frame to one take, keeps binary and undecodable messages as raw only, and reports the target's close", async () => {
    const url = await target((ws) => {
      ws.on("message", () => {
        ws.send(JSON.stringify({ type: "event", event: "tick", payload: { n: 1 } }));
        ws.send(Buffer.from('{"type":"event","event":"tick"}'), { binary: true });
        ws.send("not json");
        ws.send(JSON.stringify({ type: "event", event: "tick", payload: { n: 2 } }));
        ws.close(4001, "done");
      });
    });
    const s = await ReplaySession.open(url, {}, 10_000);
    cleanups.push(async () => s.terminate());
    expect(s.send("go", false)).toBe(true);
    const tick = (r: { frame: Record<string, unknown> | undefined }): boolean => r.frame?.event === "tick";
    const first = await s.take(tick, 10_000);
    const second = await s.take(tick, 10_000);
    expect(first?.frame).toMatchObject({ payload: { n: 1 } });
    expect(second?.frame).toMatchObject({ payload: { n: 2 } });
    // Both ticks are consumed and the socket is closed: no third one, without waiting for the deadline.
    expect(await s.take(tick, 60_000)).toBeUndefined();
    expect(s.inbox.map((r) => [r.n, r.frame === undefined, r.raw])).toEqual([
      [1, false, '{"type":"event","event":"tick","payload":{"n":1}}'],
      [2, true, '{"type":"event","event":"tick"}'],
      [3, true, "not json"],
      [4, false, '{"type":"event","event":"tick","payload":{"n":2}}'],
    ]);
    expect(await s.waitClosed(10_000)).toEqual({ code: 4001, reason: "done", byTarget: true });
    expect(s.send("late", false)).toBe(false);
  });

  it("a close from our side is not the target's, and a code outside the sendable range goes as a bare close", async () => {
    let seenCode: number | undefined;
    const url = await target((ws) => ws.on("close", (code) => (seenCode = code)));
    const s = await ReplaySession.open(url, {}, 10_000);
    await s.close(1006, 10_000);
    expect(s.closed).toMatchObject({ byTarget: false });
    await expect.poll(() => seenCode, { timeout: 10_000 }).toBe(1005);
  });

  it("take and waitClosed give up at their deadline while the socket stays open", async () => {
    const url = await target(() => undefined);
    const s = await ReplaySession.open(url, {}, 10_000);
    cleanups.push(async () => s.terminate());
    expect(await s.take(() => true, 50)).toBeUndefined();
    expect(await s.waitClosed(50)).toBeUndefined();
    expect(s.closed).toBeUndefined();
  });
});
