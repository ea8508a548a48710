/** Every non-WebSocket request goes to the legacy gateway: status, headers and streamed bodies unchanged. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createProxyServer } from "http-proxy-3";
import type { ProxyMatcher } from "../protocol/index.js";
import { applyForwarding } from "./forwarded.js";
import type { Logger } from "./log.js";

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpRelay(legacyHttpUrl: string, log: Logger, trusted: ProxyMatcher): { handle: HttpHandler; close(): void } {
  const relay = createProxyServer({ target: legacyHttpUrl, ws: false, xfwd: false, changeOrigin: false });
  relay.on("proxyReq", (proxyReq, req) => {
    // Same rule as the WebSocket leg: forwarded headers only from a trusted proxy, never looking local.
    applyForwarding(proxyReq, req.socket.remoteAddress, trusted);
  });
  relay.on("error", (err, _req, res) => {
    log.warn({ err: err.message }, "http relay to legacy failed");
    if ("writeHead" in res && !res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("bad gateway: legacy gateway unreachable\n");
    } else if ("destroy" in res) {
      res.destroy();
    }
  });
  return {
    handle: (req, res) => relay.web(req, res),
    close: () => relay.close(),
  };
}

/** ws://host:port -> http://host:port (wss -> https). */
export function httpOrigin(wsUrl: string): string {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  u.pathname = "/";
  u.search = "";
  return u.toString().replace(/\/$/, "");
}
