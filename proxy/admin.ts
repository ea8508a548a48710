/** The admin port: `/metrics` (Prometheus text) and `/healthz` (liveness plus upstream health). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProxyMetrics } from "./metrics.js";

export interface AdminHealth {
  ok: boolean;
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
    if (path === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(h));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found: try /metrics or /healthz\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
