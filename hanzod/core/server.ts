/**
 * HTTP listener (probes: /healthz, /readyz; the legacy's Control UI when a root is given, http/control-ui.ts)
 * with the WebSocket endpoint on `/`. No permessage-deflate
 * (the legacy declines it for latency). The app-level `tick` is one process-wide timer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { WebSocketServer } from "ws";
import { CloseCodes, CloseReasons } from "../../protocol/index.js";
import { DEFAULTS } from "../options.js";
import type { Runtime } from "./runtime.js";
import { Connection, peerOf, type ConnectionHost } from "./connection.js";
import { DomainRegistry } from "./domains.js";
import { Pipeline } from "./pipeline.js";
import { OffThreadJudge } from "./intake/off-thread.js";
import { controlUi, type ControlUi } from "./http/control-ui.js";
import { authorizeShared } from "./auth/shared-secret.js";

export interface RunningServer {
  port: number;
  /** `shutdown` event (with restartExpectedMs when the process comes back), close 1012, stop listening. */
  shutdown(reason: string, restartExpectedMs?: number): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The Control UI on this runtime's port. Its bootstrap config is opened by the WebSocket's own shared-secret
 * check, failures counted by the same per-client limiter (as the legacy's HTTP auth is); a request without a
 * bearer is refused without counting, as there.
 */
function uiFor(rt: Runtime, root: string): ControlUi {
  const auth = rt.opts.auth;
  return controlUi({
    root,
    version: rt.version,
    authRequired: auth.mode !== "none",
    authorize: async (req, bearer) => {
      if (auth.mode === "none") return { ok: true };
      if (bearer === undefined) return { ok: false };
      const peer = peerOf(rt, req);
      const result = await authorizeShared({ auth, token: bearer, password: bearer, req, remoteAddr: peer.remoteAddr, clientIp: peer.clientIp, localDirect: peer.isLocalClient, proxies: rt.proxies, limiter: rt.limiter, deferFailure: false });
      // trusted-proxy mode: the identity comes from the proxy's headers; only its local password opens the config here.
      return result.ok && result.method !== "trusted-proxy" ? { ok: true } : { ok: false, ...(!result.ok && result.rateLimited ? { rateLimited: true, retryAfterMs: result.retryAfterMs } : {}) };
    },
  });
}

export async function listen(rt: Runtime): Promise<RunningServer> {
  const connections = new Set<Connection>();
  const domains = new DomainRegistry(rt);
  await domains.preload();
  const intake = new OffThreadJudge(rt.log);
  const host: ConnectionHost = { runtime: rt, pipeline: new Pipeline(rt, domains, rt.opts.hooks), intake, onClosed: (c) => connections.delete(c) };

  const ui = rt.opts.controlUiRoot === undefined ? undefined : uiFor(rt, rt.opts.controlUiRoot);
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/healthz") return json(res, 200, { ok: true, status: "live" });
    if (req.method === "GET" && path === "/readyz") {
      // As the legacy: not ready while a suspension holds admission (draining or prepared).
      const draining = rt.suspension.phase === "draining" || rt.suspension.phase === "prepared";
      return json(res, draining ? 503 : 200, { ready: !draining, failing: draining ? ["gateway-draining"] : [], uptimeMs: Date.now() - rt.startedAt, eventLoop: rt.health.current().eventLoop });
    }
    if (ui === undefined) return json(res, 404, { error: "not found" });
    ui.handle(req, res).then(
      (answered) => {
        if (!answered) json(res, 404, { error: "not found" });
      },
      (err: unknown) => {
        rt.log?.warn({ err: err instanceof Error ? err.message : String(err), path }, "control ui request failed");
        if (!res.headersSent) json(res, 500, { error: "internal error" });
        else res.destroy();
      },
    );
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: DEFAULTS.maxPreauthPayload });
  http.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections.add(new Connection(ws, req, host));
    });
  });

  const tick = setInterval(() => rt.broadcaster.broadcast("tick", { ts: Date.now() }), rt.tickIntervalMs);
  tick.unref();
  const healthTimer = setInterval(() => rt.refreshHealth(), rt.opts.healthRefreshIntervalMs ?? DEFAULTS.healthRefreshIntervalMs);
  healthTimer.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(rt.opts.port, rt.opts.host ?? DEFAULTS.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : rt.opts.port;
  rt.port = port;

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string, restartExpectedMs?: number): Promise<void> => {
    closing ??= (async () => {
      clearInterval(tick);
      clearInterval(healthTimer);
      rt.suspension.stop();
      rt.broadcaster.broadcast("shutdown", restartExpectedMs === undefined ? { reason } : { reason, restartExpectedMs });
      for (const c of connections) c.close(CloseCodes.SERVICE_RESTART, CloseReasons.serviceRestart);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rt.health.stop();
      await intake.close();
      await domains.close();
      rt.agents.close();
      rt.pairing.close();
      rt.store.close();
      rt.log?.info({ reason }, "hanzod stopped");
      rt.log?.flush();
    })();
    return closing;
  };
  return { port, shutdown };
}
