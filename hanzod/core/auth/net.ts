/** Address helpers: loopback, trusted-proxy CIDR matching and where the client really is. */
import { isIP } from "node:net";
import type { IncomingMessage } from "node:http";
import { FORWARDED_HEADERS, type ProxyMatcher } from "../../../protocol/index.js";

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

/** Any forwarded header disqualifies loopback locality (legacy trusted-proxy-auth.md). */
export function hasForwardedHeaders(req: IncomingMessage): boolean {
  for (const h of FORWARDED_HEADERS) if (req.headers[h] !== undefined) return true;
  return false;
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The right-most X-Forwarded-For entry that is not itself a trusted proxy: the proxy overwrote everything after it. */
export function clientIpFromForwardedFor(value: string | undefined, proxies: ProxyMatcher): string | undefined {
  if (!value) return undefined;
  const hops = value.split(",").map((s) => normalizeIp(s)).filter((s): s is string => Boolean(s));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop && !proxies.matches(hop)) return hop;
  }
  return hops[0];
}
