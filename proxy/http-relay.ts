/** Every non-WebSocket request goes to the legacy gateway: status, headers and streamed bodies unchanged. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createProxyServer } from "http-proxy-3";
import { isLoopbackAddress, plainAddress } from "./forwarded.js";
import type { Logger } from "./log.js";

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpRelay(legacyHttpUrl: string, log: Logger): { handle: HttpHandler; close(): void } {
  const relay = createProxyServer({ target: legacyHttpUrl, ws: false, xfwd: false, changeOrigin: false });
  relay.on("proxyReq", (proxyReq, req) => {
    // Same locality rule as the WebSocket leg: remote clients must never look local to the legacy.
    const addr = req.socket.remoteAddress;
    if (!isLoopbackAddress(addr)) proxyReq.setHeader("x-forwarded-for", plainAddress(addr));
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
