/**
 * The proxy's front door: one HTTP server whose plain requests go to the legacy gateway and whose
 * WebSocket upgrades become ClientSessions routed by the live checklist, plus the admin port.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ProxyOptions, RunningProxy } from "./api.js";
import { startAdminServer } from "./admin.js";
import { CircuitBreaker } from "./breaker.js";
import type { ProxyContext } from "./context.js";
import { plainAddress } from "./forwarded.js";
import { createHttpRelay, httpOrigin } from "./http-relay.js";
import { HANDSHAKE_TIMEOUT_MS, HANZOD_DEADLINE_MS, KEEPALIVE_INTERVAL_MS, MAX_BUFFERED_BYTES, MAX_PREAUTH_PAYLOAD_BYTES } from "./limits.js";
import { createLogger } from "./log.js";
import { ProxyMetrics } from "./metrics.js";
import { IdempotencyStickiness } from "./routing.js";
import { ClientSession } from "./session.js";
import { ShadowBudget } from "./shadow-budget.js";
import { ShadowQueue } from "./shadow-queue.js";
import { openClientLeg } from "./upgrade.js";
import { openLegPair } from "./upgrade-pair.js";
import { UpstreamHealth } from "./upstream-health.js";
import { HandshakePair, type PairOwners } from "./handshake-pair.js";
import type { Backend, ConnectionMeta, ConnectionTap } from "./tap.js";
import { allLegacyTable, loadChecklistSync, watchChecklist, type ChecklistWatcher, type RoutingTable } from "../parity/checklist/index.js";
import { readFileSync } from "node:fs";
import { PROXY_MARK_HEADER, PROXY_MARK_VALUE, ProxyMatcher } from "../protocol/index.js";

const BREAKER_STATE = { closed: 0, "half-open": 1, open: 2 } as const;

/** The proxy's trusted proxies by default: the legacy's own `gateway.trustedProxies`, when its config is known. */
async function legacyTrustedProxies(configPath: string | undefined): Promise<string[]> {
  if (configPath === undefined) return [];
  const { loadLegacyConfig } = await import("../hanzod/index.js");
  return loadLegacyConfig(configPath).trustedProxies ?? [];
}

export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  if (opts.legacyUrl === undefined && opts.hanzodUrl === undefined) throw new Error("the proxy needs a legacy gateway URL, a hanzod URL, or both");
  const host = opts.listenHost ?? "127.0.0.1";
  const log = opts.logger ?? createLogger(opts.logLevel);
  const metrics = new ProxyMetrics();

  // The checklist: refused at start when invalid (the caller sees the line); on reload the old stays.
  const source = opts.checklistSource;
  let table: RoutingTable = source ? source.current() : opts.checklistPath !== undefined ? loadChecklistSync(opts.checklistPath) : allLegacyTable();
  if (opts.legacyUrl === undefined && opts.checklistPath === undefined && !source) throw new Error("without a legacy gateway the proxy needs a checklist that routes to hanzod");
  let watcher: ChecklistWatcher | undefined;
  if (source) {
    source.onTable((t) => {
      table = t;
      metrics.checklistReloads.inc({ result: "applied" });
      log.info("checklist changed in the fleet store; applied");
    });
  } else if (opts.checklistPath !== undefined) {
    const file = opts.checklistPath;
    watcher = watchChecklist(file, readFileSync(file, "utf8"), {
      onTable: (t) => {
        table = t;
        metrics.checklistReloads.inc({ result: "applied" });
        log.info({ file }, "checklist reloaded");
      },
      onError: (err) => {
        metrics.checklistReloads.inc({ result: "refused" });
        log.error({ file, issues: err.issues }, `checklist refused, previous routing stays active:\n${err.message}`);
      },
    });
  }

  // upstream_up: legacy is up when it answers; hanzod when it answers and its circuit is closed.
  const showUp = (): void => {
    if (opts.legacyUrl !== undefined) metrics.upstreamUp.set({ backend: "legacy" }, upstreams.isUp("legacy") ? 1 : 0);
    if (opts.hanzodUrl !== undefined) metrics.upstreamUp.set({ backend: "hanzod" }, upstreams.isUp("hanzod") && breaker.current === "closed" ? 1 : 0);
  };
  const upstreams = new UpstreamHealth({ legacy: opts.legacyUrl === undefined ? undefined : httpOrigin(opts.legacyUrl), hanzod: opts.hanzodUrl === undefined ? undefined : httpOrigin(opts.hanzodUrl) }, log, showUp, opts.upstreamProbeIntervalMs);
  const breaker = new CircuitBreaker(1, opts.breakerOpenMs ?? 2000, (s) => {
    metrics.breakerState.set({ backend: "hanzod" }, BREAKER_STATE[s]);
    showUp();
    log.warn({ backend: "hanzod", state: s }, "circuit breaker");
  });
  upstreams.start();
  showUp();


  /** Which backend really takes an owner's connections: the configured one, else the one there is. */
  const ownerBackend = (owner: Backend): Backend => (owner === "hanzod" && opts.hanzodUrl !== undefined) || opts.legacyUrl === undefined ? "hanzod" : "legacy";

  const ctx: ProxyContext = {
    table: () => table,
    metrics,
    log,
    sink: opts.shadowSink,
    shadowQueue: new ShadowQueue(() => opts.shadowSink, () => table.shadowQueueSize, metrics),
    shadowBudget: new ShadowBudget(),
    stickiness: new IdempotencyStickiness(),
    hanzodBreaker: breaker,
    legacyUrl: opts.legacyUrl,
    hanzodUrl: opts.hanzodUrl,
    hanzodIsolatedUrl: opts.hanzodIsolatedUrl,
    hanzodToken: opts.hanzodToken,
    legacyToken: opts.legacyToken,
    maxBufferedBytes: opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    internalTimeoutMs: opts.shadowTimeoutMs ?? 15_000,
    hanzodDeadlineMs: opts.hanzodDeadlineMs ?? HANZOD_DEADLINE_MS,
    random: Math.random,
  };

  const trustedProxies = new ProxyMatcher(opts.trustedProxies ?? (await legacyTrustedProxies(opts.legacyConfigPath)));
  // Plain HTTP (the Control UI, probes) is the legacy's; without a legacy, hanzod's (its /healthz, /readyz).
  const http = createHttpRelay(httpOrigin((opts.legacyUrl ?? opts.hanzodUrl)!), log, trustedProxies);
  const sessions = new Set<ClientSession>();
  const selectedProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    // As the legacy and hanzod: 64 KiB until hello (raised per session after it, see session.ts).
    maxPayload: MAX_PREAUTH_PAYLOAD_BYTES,
    // Invalid UTF-8 goes to the backend, which closes with its own 1007, as it would directly.
    skipUTF8Validation: true,
    // Agree to exactly what the backend agreed to, so the client sees the backend's choice.
    handleProtocols: (_offered, req) => selectedProtocol.get(req) ?? false,
  });
  const mark = `${PROXY_MARK_HEADER}: ${PROXY_MARK_VALUE}`;
  wss.on("headers", (headers) => headers.push(mark));
  let nextConnection = 0;
  let nonceWarned = false;
  const warnNonceNotAdopted = (): void => {
    if (nonceWarned) return;
    nonceWarned = true;
    // Device clients hanzod authenticates would fail DEVICE_AUTH_NONCE_MISMATCH: say why, once.
    log.error("hanzod did not take legacy's challenge nonce: its trustedProxies must include the proxy's address and the proxy's hanzodToken must be hanzod's token");
  };

  const pairs = new Set<HandshakePair>();
  const countOpen = (): void => metrics.openConnections.set(sessions.size + pairs.size);
  const upstreamOpts = { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, maxPayload: 0, trustedProxies };

  const connectionMeta = (req: IncomingMessage): ConnectionMeta => ({
    connectionId: `c${++nextConnection}`,
    clientAddress: plainAddress(req.socket.remoteAddress),
    path: req.url ?? "/",
    headers: req.headers,
    openedAt: Date.now(),
  });

  const startSession = (meta: ConnectionMeta, client: WebSocket, upstream: WebSocket, authBackend: Backend, tap: ConnectionTap | undefined): ClientSession => {
    const session = new ClientSession(meta, client, upstream, authBackend, tap, ctx, (s) => {
      sessions.delete(s);
      countOpen();
    });
    sessions.add(session);
    countOpen();
    return session;
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on("error", () => undefined);
    // The owners are fixed per connection at upgrade time: the challenge the client signs comes from them.
    const authBackend = ownerBackend(table.authOwner);
    const nodeBackend = ownerBackend(table.nodeOwner);
    if (authBackend !== nodeBackend && opts.hanzodUrl !== undefined && opts.legacyUrl !== undefined) {
      await upgradePair(req, socket, head, { auth: authBackend, node: nodeBackend }, opts.legacyUrl, opts.hanzodUrl);
      return;
    }
    const authUrl = (authBackend === "hanzod" ? opts.hanzodUrl : opts.legacyUrl)!;
    const leg = await openClientLeg(authUrl, authBackend, req, socket, upstreamOpts, upstreams);
    if (leg === undefined) return;
    if (leg.upstream.protocol) selectedProtocol.set(req, leg.upstream.protocol);
    wss.handleUpgrade(req, socket, head, (client) => {
      const meta = connectionMeta(req);
      const session = startSession(meta, client, leg.upstream, authBackend, opts.tap?.open(meta));
      leg.stopBuffering();
      session.start(leg.early);
    });
  };

  /** Auth and nodes on different backends: both legs wait for the client's connect (handshake-pair.ts). */
  const upgradePair = async (req: IncomingMessage, socket: Duplex, head: Buffer, owners: PairOwners, legacyUrl: string, hanzodUrl: string): Promise<void> => {
    const pair = await openLegPair(req, socket, { legacyUrl, hanzodUrl, hanzodToken: opts.hanzodToken, authOwner: owners.auth, reporter: upstreams }, upstreamOpts);
    if (pair === undefined) return;
    const protocol = (pair.legacy ?? pair.hanzod)?.upstream.protocol;
    if (protocol) selectedProtocol.set(req, protocol);
    wss.handleUpgrade(req, socket, head, (client) => {
      const meta = connectionMeta(req);
      const tap = opts.tap?.open(meta);
      const waiting = new HandshakePair(client, pair, owners, tap, {
        startSession: (backend, upstream, early, first) => startSession(meta, client, upstream, backend, tap).start(early, first),
        nonceNotAdopted: warnNonceNotAdopted,
        onEnd: (p) => {
          pairs.delete(p);
          countOpen();
        },
      });
      pairs.add(waiting);
      countOpen();
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

  const admin =
    opts.adminPort !== undefined
      ? await startAdminServer(host, opts.adminPort, metrics, () => ({
          // Ready when the backends that take connects answer: the auth owner's (every operator) and the
          // node owner's (every node host, and every upgrade while both sockets are opened up front).
          ready: upstreams.isUp(ownerBackend(table.authOwner)) && upstreams.isUp(ownerBackend(table.nodeOwner)),
          connections: sessions.size + pairs.size,
          upstreams: upstreams.snapshot(),
          hanzodCircuit: opts.hanzodUrl !== undefined ? breaker.current : null,
          shadowQueueDepth: ctx.shadowQueue.depth,
          checklist: opts.checklistPath ?? null,
          authOwner: table.authOwner,
        }))
      : undefined;
  log.info({ port, legacy: opts.legacyUrl, hanzod: opts.hanzodUrl, admin: admin?.port, checklist: opts.checklistPath }, "proxy listening");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(keepalive);
      upstreams.stop();
      watcher?.close();
      for (const s of [...sessions]) s.shutdown(1001, "proxy shutting down");
      for (const p of [...pairs]) p.shutdown(1001, "proxy shutting down");
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

  return {
    port,
    url: `ws://${host}:${port}`,
    adminPort: admin?.port,
    metricsUrl: admin ? `http://${host}:${admin.port}/metrics` : undefined,
    table: () => table,
    recordComparison: (_method, outcome) => metrics.shadowCompared.inc({ outcome }),
    close,
  };
}
