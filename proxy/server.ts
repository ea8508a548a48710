/**
 * The proxy's front door: one HTTP server whose plain requests go to the legacy gateway and whose
 * WebSocket upgrades become ClientSessions, plus the admin port.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { ProxyOptions, RunningProxy } from "./api.js";
import { startAdminServer } from "./admin.js";
import { createHttpRelay, httpOrigin } from "./http-relay.js";
import { HANDSHAKE_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS, MAX_BUFFERED_BYTES, MAX_PAYLOAD_BYTES } from "./limits.js";
import { createLogger } from "./log.js";
import { ProxyMetrics } from "./metrics.js";
import { ClientSession } from "./session.js";
import { openClientLeg } from "./upgrade.js";
import { plainAddress } from "./forwarded.js";

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const host = opts.listenHost ?? "127.0.0.1";
  const log = opts.logger ?? createLogger(opts.logLevel);
  const metrics = new ProxyMetrics();
  const http = createHttpRelay(httpOrigin(opts.legacyUrl), log);
  const sessions = new Set<ClientSession>();
  const selectedProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: MAX_PAYLOAD_BYTES,
    // Agree to exactly what the backend agreed to, so the client sees the backend's choice.
    handleProtocols: (_offered, req) => selectedProtocol.get(req) ?? false,
  });
  let nextConnection = 0;

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on("error", () => undefined);
    const leg = await openClientLeg(opts.legacyUrl, req, socket, { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, maxPayload: 0 });
    if (leg === undefined) return;
    if (leg.upstream.protocol) selectedProtocol.set(req, leg.upstream.protocol);
    wss.handleUpgrade(req, socket, head, (client) => {
      const connectionId = `c${++nextConnection}`;
      const tap = opts.tap?.open({
        connectionId,
        clientAddress: plainAddress(req.socket.remoteAddress),
        path: req.url ?? "/",
        headers: req.headers,
        openedAt: Date.now(),
      });
      const session = new ClientSession(connectionId, client, leg.upstream, "legacy", tap, { metrics, log, maxBufferedBytes: MAX_BUFFERED_BYTES }, (s) => {
        sessions.delete(s);
        metrics.openConnections.set(sessions.size);
      });
      sessions.add(session);
      metrics.openConnections.set(sessions.size);
      leg.stopBuffering();
      session.start(leg.early);
    });
  };

  const server: Server = createServer((req, res) => http.handle(req, res));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((err: unknown) => {
      log.error({ err: String(err) }, "upgrade failed");
      socket.destroy();
    });
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.listenPort, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const keepalive = setInterval(() => {
    for (const s of sessions) s.heartbeat();
  }, KEEPALIVE_INTERVAL_MS);
  keepalive.unref();

  const admin = opts.adminPort !== undefined ? await startAdminServer(host, opts.adminPort, metrics, () => ({ ok: true, connections: sessions.size })) : undefined;
  log.info({ port, legacy: opts.legacyUrl, admin: admin?.port }, "proxy listening");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(keepalive);
      for (const s of [...sessions]) s.shutdown(1001, "proxy shutting down");
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      http.close();
      wss.close();
      if (admin) await new Promise<void>((resolve) => admin.server.close(() => resolve()));
      await opts.tap?.close();
      await opts.shadowSink?.close();
    })();
    return closing;
  };

  return { port, url: `ws://${host}:${port}`, adminPort: admin?.port, close };
}
