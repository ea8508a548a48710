/**
 * The admin port: `/metrics` (Prometheus text), `/healthz` (liveness: 200 while the proxy runs, with
 * upstream status in the body) and `/readyz` (503 while the backend that owns connects is unreachable).
 * They are split so an orchestrator restarts a stuck proxy, not a healthy one whose upstream is down.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProxyMetrics } from "./metrics.js";

export interface AdminHealth {
  ready: boolean;
  [k: string]: unknown;
}

export async function startAdminServer(host: string, port: number, metrics: ProxyMetrics, health: () => AdminHealth): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(err));
        },
      );
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      const h = health();
      const status = path === "/readyz" && !h.ready ? 503 : 200;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, ...h }));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try /metrics, /healthz or /readyz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
