/** Address helpers: loopback, trusted-proxy CIDR matching and where the client really is. */
import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";

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

/** A matcher over `gateway.trustedProxies`: plain IPs and CIDRs, v4 and v6. */
export class ProxyMatcher {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    let n = 0;
    for (const raw of entries) {
      const entry = raw.trim();
      if (!entry) continue;
      const [addr, bits] = entry.split("/");
      const ip = normalizeIp(addr);
      const family = ip ? isIP(ip) : 0;
      if (!ip || family === 0) throw new Error(`trustedProxies: not an IP or CIDR: ${entry}`);
      const type = family === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) this.list.addAddress(ip, type);
      else this.list.addSubnet(ip, Number(bits), type);
      n++;
    }
    this.size = n;
  }

  matches(addr: string | undefined): boolean {
    const ip = normalizeIp(addr);
    if (!ip || this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? "ipv6" : "ipv4");
  }
}

const FORWARDED_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-user", "x-real-ip"];

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
