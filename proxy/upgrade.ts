/**
 * Opening a backend leg for a client's upgrade: the upstream handshake happens first, so a backend that
 * refuses the upgrade (status, headers, body) is answered to the client exactly as it answered.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket from "ws";
import type { ProxyMatcher } from "../protocol/index.js";
import { authLegHeaders, offeredProtocols } from "./forwarded.js";
import { maskOptions } from "./send-batch.js";
import type { Backend } from "./tap.js";
import type { UpstreamReporter } from "./upstream-health.js";

export interface OpenedLeg {
  upstream: WebSocket;
  /** Frames the backend sent before the client's side of the handshake completed (the challenge). */
  early: Array<{ data: Buffer; isBinary: boolean }>;
  stopBuffering(): void;
  /** Set when the backend closed before anyone adopted the socket, so the close is not lost. */
  closed: { code: number; reason: string } | undefined;
}

/** How opening one upstream leg for a client's upgrade ended. */
export type UpstreamOutcome =
  | { kind: "open"; leg: OpenedLeg }
  | { kind: "refused"; res: IncomingMessage }
  | { kind: "failed"; error: string }
  | { kind: "client-gone" };

export interface UpstreamSocketOptions {
  handshakeTimeoutMs: number;
  /** Largest frame accepted from the backend: the backend enforces its own limits on what it sends. */
  maxPayload: number;
  /** Peers whose forwarded headers are passed on (see forwarded.ts). */
  trustedProxies: ProxyMatcher;
}

/** Joins the backend base URL with the client's request path (query included). */
export function upstreamUrl(base: string, requestUrl: string | undefined): string {
  const u = new URL(base);
  const path = requestUrl ?? "/";
  const q = path.indexOf("?");
  u.pathname = q < 0 ? path : path.slice(0, q);
  u.search = q < 0 ? "" : path.slice(q);
  return u.toString();
}

/**
 * Opens the leg to the backend that owns the handshake, carrying the client's upgrade headers.
 * Resolves when the backend accepted the upgrade; on refusal it writes the backend's answer to the
 * client socket, destroys it and resolves undefined.
 */
export async function openClientLeg(baseUrl: string, backend: Backend, req: IncomingMessage, clientSocket: Duplex, opts: UpstreamSocketOptions, reporter: UpstreamReporter): Promise<OpenedLeg | undefined> {
  const outcome = await openUpstreamLeg(baseUrl, req, clientSocket, opts);
  reportOutcome(reporter, backend, outcome);
  if (outcome.kind === "open") return outcome.leg;
  if (outcome.kind !== "client-gone") refuseUpgrade(clientSocket, outcome, backend);
  return undefined;
}

/** A backend that answered (even with a refusal) is reachable; one that could not be connected is not. */
export function reportOutcome(reporter: UpstreamReporter, backend: Backend, outcome: UpstreamOutcome): void {
  if (outcome.kind === "failed") reporter.unreachable(backend, outcome.error);
  else if (outcome.kind !== "client-gone") reporter.reachable(backend);
}

/** Answers the client's upgrade as the backend did: its refusal verbatim, or 502 (saying which) when it was unreachable. */
export function refuseUpgrade(clientSocket: Duplex, outcome: { kind: "refused"; res: IncomingMessage } | { kind: "failed" }, backend: Backend): void {
  if (outcome.kind === "failed") {
    // The same words as the HTTP relay's 502, so every client-facing failure reads alike.
    const body = `bad gateway: ${backend} gateway unreachable\n`;
    if (clientSocket.writable) clientSocket.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    clientSocket.destroy();
    return;
  }
  const res = outcome.res;
  const head = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ""}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) head.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  clientSocket.write(head.join("\r\n") + "\r\n\r\n");
  res.on("data", (chunk: Buffer) => clientSocket.write(chunk));
  res.on("end", () => clientSocket.destroy());
  res.on("error", () => clientSocket.destroy());
}

/**
 * Opens one upstream leg with the client's upgrade headers (plus `extraHeaders`, which only the proxy
 * sets) and reports how it went, without answering the client: the caller decides whose refusal counts.
 */
export function openUpstreamLeg(baseUrl: string, req: IncomingMessage, clientSocket: Duplex, opts: UpstreamSocketOptions, extraHeaders: Record<string, string> = {}): Promise<UpstreamOutcome> {
  if (clientSocket.destroyed) return Promise.resolve({ kind: "client-gone" });
  return new Promise((resolve) => {
    const upstream = new WebSocket(upstreamUrl(baseUrl, req.url), offeredProtocols(req.headers), {
      headers: { ...(authLegHeaders(req.headers, req.socket.remoteAddress, opts.trustedProxies) as Record<string, string>), ...extraHeaders },
      perMessageDeflate: false,
      handshakeTimeout: opts.handshakeTimeoutMs,
      maxPayload: opts.maxPayload,
      followRedirects: false,
      // The backend validates what it receives and we relay what it sends byte for byte.
      skipUTF8Validation: true,
      ...maskOptions(baseUrl),
    });
    // Errors after open are handled by the session; this keeps a late one from crashing the process.
    upstream.on("error", () => undefined);
    const early: OpenedLeg["early"] = [];
    const buffer = (data: WebSocket.RawData, isBinary: boolean): void => {
      early.push({ data: data as Buffer, isBinary });
    };
    upstream.on("message", buffer);
    let settled = false;
    const onClientGone = (): void => {
      if (settled) return;
      settled = true;
      upstream.terminate();
      resolve({ kind: "client-gone" });
    };
    const settle = (outcome: UpstreamOutcome): void => {
      settled = true;
      clientSocket.off("close", onClientGone);
      clientSocket.off("error", onClientGone);
      resolve(outcome);
    };
    clientSocket.once("close", onClientGone);
    clientSocket.once("error", onClientGone);

    upstream.once("unexpected-response", (_request, res) => {
      if (settled) return;
      settle({ kind: "refused", res });
    });
    upstream.once("error", (err: Error) => {
      if (!settled) settle({ kind: "failed", error: err.message });
    });
    upstream.once("open", () => {
      if (settled) {
        upstream.terminate();
        return;
      }
      const leg: OpenedLeg = { upstream, early, stopBuffering: () => upstream.off("message", buffer), closed: undefined };
      upstream.once("close", (code, reason) => {
        leg.closed = { code, reason: reason.toString() };
      });
      settle({ kind: "open", leg });
    });
  });
}
