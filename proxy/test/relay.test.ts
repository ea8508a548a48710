/** With no checklist the proxy is a verbatim relay to the real legacy gateway. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { startProxy, type ConnectionMeta, type FrameTap, type RunningProxy } from "../index.js";
import { authLegHeaders } from "../forwarded.js";
import { ProxyMatcher } from "../../protocol/index.js";
import { RawGatewaySocket, type CloseInfo } from "../../protocol/raw-client.js";
import { connectClient, payloadOf, waitFor, type Frame } from "./ws-client.js";

const legacy = inject("legacy");

interface Seen {
  dir: "c2s" | "s2c";
  data: string;
}

function recordingTap(): FrameTap & { conns: Array<{ meta: ConnectionMeta; frames: Seen[]; closes: Array<{ code: number; by: string }> }> } {
  const conns: Array<{ meta: ConnectionMeta; frames: Seen[]; closes: Array<{ code: number; by: string }> }> = [];
  return {
    conns,
    open(meta) {
      const c = { meta, frames: [] as Seen[], closes: [] as Array<{ code: number; by: string }> };
      conns.push(c);
      return {
        frame: (dir, data) => c.frames.push({ dir, data: data.toString() }),
        close: (code, _reason, by) => c.closes.push({ code, by }),
      };
    },
    close: async () => undefined,
  };
}

describe("relay mode (no checklist)", () => {
  let proxy: RunningProxy;
  const tap = recordingTap();

  beforeAll(async () => {
    proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, tap, adminPort: 0, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it("relays the handshake and calls byte-exact and lets the tap see every frame", async () => {
    const c = await connectClient(proxy.url, { token: legacy.token, scopes: ["operator.admin"] });
    expect(c.hello.ok).toBe(true);
    expect(payloadOf(c.hello).type).toBe("hello-ok");
    const health = await c.call("health");
    expect(health.ok).toBe(true);
    const unknown = await c.call("no.such.method");
    expect(unknown.error).toEqual({ code: "INVALID_REQUEST", message: "unknown method: no.such.method" });
    await c.close();
    const conn = await waitFor(() => tap.conns.find((t) => t.closes.length > 0), 10_000, "tap close");
    expect(conn.closes[0]?.by).toBe("client");
    const c2s = conn.frames.filter((f) => f.dir === "c2s").map((f) => JSON.parse(f.data).method);
    expect(c2s).toEqual(["connect", "health", "no.such.method"]);
    const s2c = conn.frames.filter((f) => f.dir === "s2c").map((f) => JSON.parse(f.data));
    expect(s2c[0].event).toBe("connect.challenge");
    // What the client received is exactly what the tap saw.
    expect(c.frames.map((f) => JSON.stringify(f))).toEqual(s2c.map((f) => JSON.stringify(f)));
  });

  it("relays a malformed first frame and mirrors the legacy's own answer and close", async () => {
    const direct = await probeMalformed(legacy.url);
    const proxied = await probeMalformed(proxy.url);
    expect(proxied.close.code).toBe(direct.close.code);
    expect(proxied.close.reason).toBe(direct.close.reason);
    expect(proxied.answers.map(stripVolatile)).toEqual(direct.answers.map(stripVolatile));
  });

  it("relays an oversized pre-hello frame to the legacy, which gives its own close", async () => {
    const big = "x".repeat(70 * 1024);
    const direct = await sendAndClose(legacy.url, big);
    const proxied = await sendAndClose(proxy.url, big);
    expect(proxied.code).toBe(direct.code);
    expect(proxied.reason).toBe(direct.reason);
  });

  it("passes plain HTTP to the legacy gateway unchanged", async () => {
    const direct = await fetch(`${legacy.httpUrl}/healthz`);
    const proxied = await fetch(`http://127.0.0.1:${proxy.port}/healthz`);
    expect(proxied.status).toBe(direct.status);
    expect(await proxied.json()).toEqual(await direct.json());
    const d401 = await fetch(`${legacy.httpUrl}/control-ui-config.json`);
    const p401 = await fetch(`http://127.0.0.1:${proxy.port}/control-ui-config.json`);
    expect(p401.status).toBe(d401.status);
  });

  it("serves /metrics and /healthz on the admin port", async () => {
    const m = await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain("hanzonode_proxy_open_connections");
    const h = await fetch(`http://127.0.0.1:${proxy.adminPort}/healthz`);
    expect(h.status).toBe(200);
  });
});

describe("upgrade headers", () => {
  it("a loopback client's leg carries its own headers and no X-Forwarded-For", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    wss.on("connection", (ws, req) => {
      seen.push(req.headers);
      ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } }));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    const upstream = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const proxy = await startProxy({ listenPort: 0, legacyUrl: upstream, logLevel: "silent" });
    try {
      const socket = await RawGatewaySocket.open(proxy.url, { Origin: "http://example.test", "User-Agent": "probe/1.0" });
      await socket.challenge();
      const h = seen[0]!;
      expect(h["x-forwarded-for"]).toBeUndefined();
      expect(h.origin).toBe("http://example.test");
      expect(h["user-agent"]).toBe("probe/1.0");
      expect(h.host).toBe(`127.0.0.1:${proxy.port}`);
      expect(h["sec-websocket-extensions"]).toBeUndefined();
      await socket.close();
    } finally {
      await proxy.close();
      wss.close();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });

  it("a remote client's leg gets X-Forwarded-For overwritten with its real address", () => {
    const none = new ProxyMatcher([]);
    const h = authLegHeaders({ host: "gw", "x-forwarded-for": "127.0.0.1", origin: "o", "sec-websocket-key": "k" }, "::ffff:10.1.2.3", none);
    expect(h["x-forwarded-for"]).toBe("10.1.2.3");
    expect(h.origin).toBe("o");
    expect(h["sec-websocket-key"]).toBeUndefined();
    expect(authLegHeaders({ host: "gw" }, "::1", none)["x-forwarded-for"]).toBeUndefined();
  });
});

function stripVolatile(f: Frame | string): unknown {
  if (typeof f !== "string" && f.type === "event" && f.event === "connect.challenge") return { event: f.event };
  return f;
}

/** Everything the server sent: decoded frames, then any message that was not a frame, verbatim. */
async function probeMalformed(url: string): Promise<{ answers: Array<Frame | string>; close: CloseInfo }> {
  const socket = await RawGatewaySocket.open(url);
  await socket.challenge(15_000);
  socket.sendText("{not json");
  const close = await socket.closed;
  return { answers: [...socket.frames, ...socket.undecodable], close };
}

async function sendAndClose(url: string, payload: string): Promise<CloseInfo> {
  const socket = await RawGatewaySocket.open(url);
  await socket.challenge(15_000);
  socket.sendText(payload);
  return socket.closed;
}
