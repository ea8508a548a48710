/** Address helpers: loopback, trusted-proxy CIDR matching and where the client really is. */
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import type { ProxyMatcher } from "../../../protocol/index.js";

export function normalizeIp(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  const trimmed = addr.trim();
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is how dual-stack sockets report IPv4 peers.
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

export function isLoopbackAddress(addr: string | undefined): boolean {
  const ip = normalizeIp(addr);
  if (!ip) return false;
  return ip === "::1" || ip.startsWith("127.");
}

export function isLocalishHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return true;
  const host = hostHeader.startsWith("[") ? hostHeader.slice(1, hostHeader.indexOf("]")) : hostHeader.replace(/:\d+$/, "");
  return host === "localhost" || host.endsWith(".localhost") || isLoopbackAddress(host);
}

/** The matcher and the header list live in protocol/ (the proxy applies the same rule). */
export { ProxyMatcher } from "../../../protocol/index.js";

/**
 * Any forwarded header disqualifies loopback locality (legacy trusted-proxy-auth.md), by the legacy's test
 * (dist net `hasForwardedRequestHeaders`): `forwarded`, `x-real-ip` and any `x-forwarded-*`.
 */
export function hasForwardedHeaders(req: IncomingMessage): boolean {
  for (const name of Object.keys(req.headers)) if (name === "forwarded" || name === "x-real-ip" || name.startsWith("x-forwarded-")) return true;
  return false;
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The client's address in X-Forwarded-For as the legacy reads it (dist net `resolveForwardedClientIp`): the
 * right-most hop that is neither loopback nor a trusted proxy; none when every hop is one of those.
 */
export function clientIpFromForwardedFor(value: string | undefined, proxies: ProxyMatcher): string | undefined {
  if (!value || proxies.size === 0) return undefined;
  const hops = value.split(",").map((s) => normalizeIp(s)).filter((s): s is string => s !== undefined && isIP(s) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!isLoopbackAddress(hop) && !proxies.matches(hop)) return hop;
  }
  return undefined;
}

/** Headers only Tailscale's own proxy sets: the legacy treats them as proxy claims too. */
const TAILSCALE_HEADERS = ["tailscale-funnel-request", "tailscale-headers-info", "tailscale-user-login", "tailscale-user-name", "tailscale-user-profile-pic"];

/** A header that claims where a client is, by the legacy's test: `forwarded`, `x-real-ip`, any `x-forwarded-*`, Tailscale's. */
export function hasProxyClaims(req: IncomingMessage): boolean {
  if (hasForwardedHeaders(req)) return true;
  for (const name of TAILSCALE_HEADERS) if (req.headers[name] !== undefined) return true;
  return false;
}

/**
 * A request whose client cannot be attributed (the legacy's `proxy_attribution_required`, dist
 * ingress-attribution): proxy claims from a peer that is not a trusted proxy, or a trusted proxy that names
 * no client (or a loopback one). The legacy refuses such a WebSocket upgrade with 403 rather than guess.
 */
export function isUnattributableProxy(req: IncomingMessage, proxies: ProxyMatcher): boolean {
  const remote = normalizeIp(req.socket.remoteAddress);
  const claims = hasProxyClaims(req);
  if (isLoopbackAddress(remote) && !claims) return false;
  if (proxies.matches(remote)) {
    const client = clientIpFromForwardedFor(headerValue(req, "x-forwarded-for"), proxies);
    return client === undefined || isLoopbackAddress(client);
  }
  return claims;
}

/** The legacy's answer to such an upgrade (dist server-http-upgrades `rejectUpgradeAuth`), byte for byte. */
export function proxyAttributionRequiredResponse(): string {
  const body = JSON.stringify({
    error: {
      message: "Proxy client attribution is required. Configure gateway.trustedProxies narrowly and make the proxy overwrite or safely rebuild forwarded client headers.",
      type: "proxy_attribution_required",
    },
  });
  return ["HTTP/1.1 403 Forbidden", "Content-Type: application/json; charset=utf-8", `Content-Length: ${Buffer.byteLength(body, "utf8")}`, "Connection: close", "", body].join("\r\n");
}
