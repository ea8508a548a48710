/**
 * Which peers may speak for a client's address: `gateway.trustedProxies` (IPs and CIDRs, v4 and v6)
 * and the headers such a peer sets. hanzod believes forwarded headers only from a matching peer; the
 * proxy passes a client's forwarded headers on only from one, and otherwise replaces them.
 */
import { BlockList, isIP } from "node:net";

/** Headers that claim where a client is (or who it is): only a trusted proxy may set them. */
export const FORWARDED_HEADERS: readonly string[] = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-user", "x-real-ip"];

/** `::ffff:1.2.3.4` -> `1.2.3.4`; trimmed; undefined for empty. */
function plainIp(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  const trimmed = addr.trim();
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
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
      const ip = plainIp(addr);
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
    const ip = plainIp(addr);
    if (!ip || this.size === 0) return false;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? "ipv6" : "ipv4");
  }
}

