/** Classifies a client address without keeping it: fixtures record the class, never the address. */
import { isIP } from "node:net";
import type { AddressClass } from "../protocol/fixture-format.js";

export function addressClass(address: string | undefined): AddressClass {
  if (!address) return "unknown";
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  const v = isIP(a);
  if (v === 4) {
    const [p0 = 0, p1 = 0] = a.split(".").map(Number);
    if (p0 === 127) return "loopback";
    if (p0 === 10 || (p0 === 172 && p1 >= 16 && p1 <= 31) || (p0 === 192 && p1 === 168) || (p0 === 100 && p1 >= 64 && p1 <= 127)) return "private";
    if (p0 === 169 && p1 === 254) return "link-local";
    return "public";
  }
  if (v === 6) {
    const l = a.toLowerCase();
    if (l === "::1") return "loopback";
    if (l.startsWith("fe8") || l.startsWith("fe9") || l.startsWith("fea") || l.startsWith("feb")) return "link-local";
    if (l.startsWith("fc") || l.startsWith("fd")) return "private";
    return "public";
  }
  return "unknown";
}
