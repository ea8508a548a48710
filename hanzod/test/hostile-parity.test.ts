/**
 * Issue 16 findings 3 and 9 on hanzod. Frames sent while a connect is pending are held only up to
 * MAX_EARLY_FRAMES; answers that look unclear (a second connect, the empty token, close reasons for
 * 1007/1009) are what the real legacy answers, and are pinned against it here so they stay that way.
 */
import { describe, expect, inject, it } from "vitest";
import { RawGatewaySocket } from "../../protocol/index.js";
import { MAX_EARLY_FRAMES } from "../core/connection.js";
import { connectFrame, exchange, isRes, openRaw, rejection, useTestHanzod } from "./helpers.js";

const legacy = inject("legacy");
const hz = useTestHanzod();
const CLIENT = { id: "cli", version: "1", platform: "linux", mode: "cli" };

describe("frames sent while a connect is pending (finding 3)", () => {
  it("holds at most MAX_EARLY_FRAMES; the next one is refused as the legacy refuses a request before hello", async () => {
    const s = await openRaw(hz.url);
    // A wrong token on loopback is answered after the limiter's delay (>= 250 ms): the connect stays pending.
    s.send(connectFrame({ client: CLIENT, auth: { token: "wrong" } }));
    for (let i = 0; i <= MAX_EARLY_FRAMES + 3; i++) s.send({ type: "req", id: `h${i}`, method: "health" });
    const refused = await s.next(isRes(`h${MAX_EARLY_FRAMES}`));
    expect(refused.error).toEqual({ code: "INVALID_REQUEST", message: "invalid handshake: first request must be connect" });
    expect(await s.closed).toEqual({ code: 1008, reason: "invalid handshake: first request must be connect" });
    // Nothing held was answered: the socket closed before hello.
    expect(s.frames.filter((f) => f.type === "res").map((f) => f.id)).toEqual([`h${MAX_EARLY_FRAMES}`]);
  });

  it("a call pipelined right behind a good connect is answered after hello, as the legacy answers it", async () => {
    const run = async (url: string, token: string): Promise<unknown> => {
      const s = await openRaw(url);
      s.send(connectFrame({ client: CLIENT, auth: { token } }));
      s.send({ type: "req", id: "h1", method: "health" });
      // Until the pipelined call is answered (or the socket closes without answering it), however long a
      // loaded machine takes: not a fixed listening window.
      await Promise.race([s.next(isRes("h1"), 60_000), s.closed]);
      s.close();
      return s.frames.filter((f) => f.type === "res").map((f) => ({ id: f.id, ok: f.ok }));
    };
    const [a, b] = await Promise.all([run(legacy.url, legacy.token), run(hz.url, hz.token)]);
    expect(b).toEqual(a);
    expect(b).toEqual([{ id: "c1", ok: true }, { id: "h1", ok: true }]);
  });
});

describe("answers that look unclear are the legacy's (finding 9)", () => {
  async function secondConnect(url: string, token: string, scopes: string[]): Promise<unknown> {
    const s = await openRaw(url);
    s.send(connectFrame({ client: CLIENT, scopes, auth: { token } }));
    await s.next(isRes("c1"));
    s.send(connectFrame({ client: CLIENT, scopes, auth: { token } }, "c2"));
    const res = await s.next(isRes("c2"));
    s.close();
    return res.error;
  }

  it("a second connect after hello: missing scope for a read-only client, 'only valid as the first request' for an admin, as the legacy", async () => {
    for (const scopes of [["operator.read"], ["operator.admin"]]) {
      const [a, b] = await Promise.all([secondConnect(legacy.url, legacy.token, scopes), secondConnect(hz.url, hz.token, scopes)]);
      expect(b).toEqual(a);
    }
    expect(await secondConnect(hz.url, hz.token, ["operator.read"])).toMatchObject({ code: "FORBIDDEN", message: "missing scope: operator.admin" });
    // Where the legacy answers better than hanzod did ("unknown method: connect"), hanzod now matches it.
    expect(await secondConnect(hz.url, hz.token, ["operator.admin"])).toEqual({ code: "INVALID_REQUEST", message: "connect is only valid as the first request" });
  });

  it('the empty token "" is "no credentials" (device identity required) and " " is "token missing", as the legacy', async () => {
    const run = (url: string, token: string) => exchange(url, () => [connectFrame({ client: CLIENT, auth: { token } })], 60_000).then(rejection);
    for (const token of ["", " "]) {
      const [a, b] = await Promise.all([run(legacy.url, token), run(hz.url, token)]);
      expect(b).toEqual(a);
    }
    expect(await run(hz.url, "")).toMatchObject({ error: { code: "NOT_PAIRED" }, close: { code: 1008, reason: "device identity required" } });
  });

  it("invalid UTF-8 before hello closes 1007 and an oversize frame 1009, both with an empty reason, as the legacy", async () => {
    const badUtf8 = async (url: string) => {
      const s = await RawGatewaySocket.open(url);
      await s.challenge();
      s.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      return s.closed;
    };
    const oversize = async (url: string) => {
      const s = await openRaw(url);
      s.sendText("x".repeat(65_537));
      return s.closed;
    };
    for (const probe of [badUtf8, oversize]) {
      const [a, b] = await Promise.all([probe(legacy.url), probe(hz.url)]);
      expect(b).toEqual(a);
    }
    expect(await badUtf8(hz.url)).toEqual({ code: 1007, reason: "" });
    expect(await oversize(hz.url)).toEqual({ code: 1009, reason: "" });
  });
});
