/** The gateway-level credential check for each auth mode (legacy dist: auth.ts authorizeGatewayConnect). */
import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthFailureReason } from "../../../protocol/index.js";
import type { HanzodAuthOptions } from "../../options.js";
import { AuthRateLimiter } from "./rate-limiter.js";
import { headerValue, isLoopbackAddress, type ProxyMatcher } from "./net.js";

export type AuthMethod = "token" | "password" | "none" | "trusted-proxy" | "device-token" | "proxy-leg";

export type SharedAuthResult =
  | { ok: true; method: AuthMethod; user?: string }
  | { ok: false; reason: AuthFailureReason; rateLimited?: boolean; retryAfterMs?: number };

/** Constant-time comparison that does not leak the length either. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface SharedAuthInput {
  auth: HanzodAuthOptions;
  token?: string;
  password?: string;
  req: IncomingMessage;
  remoteAddr: string | undefined;
  /** The client's own address (X-Forwarded-For resolved only behind a trusted proxy). */
  clientIp: string;
  localDirect: boolean;
  proxies: ProxyMatcher;
  limiter: AuthRateLimiter;
  /** Device-token fallback pending: record the failure later instead of delaying now. */
  deferFailure: boolean;
}

function trustedProxyIdentity(input: SharedAuthInput): { user: string } | { reason: AuthFailureReason } {
  const cfg = input.auth.trustedProxy;
  if (!cfg) return { reason: "trusted_proxy_config_missing" };
  if (!input.remoteAddr || !input.proxies.matches(input.remoteAddr)) return { reason: "trusted_proxy_untrusted_source" };
  if (isLoopbackAddress(input.remoteAddr) && cfg.allowLoopback !== true) return { reason: "trusted_proxy_loopback_source" };
  for (const h of cfg.requiredHeaders ?? []) {
    const v = headerValue(input.req, h);
    if (!v || !v.trim()) return { reason: `trusted_proxy_missing_header_${h}` };
  }
  const user = headerValue(input.req, cfg.userHeader)?.trim();
  if (!user) return { reason: "trusted_proxy_user_missing" };
  if (cfg.allowUsers?.length && !cfg.allowUsers.includes(user)) return { reason: "trusted_proxy_user_not_allowed" };
  return { user };
}

async function checkSecret(input: SharedAuthInput, kind: "token" | "password", given: string | undefined, expected: string | undefined): Promise<SharedAuthResult> {
  if (!expected) return { ok: false, reason: kind === "token" ? "token_missing_config" : "password_missing_config" };
  if (!given) return { ok: false, reason: kind === "token" ? "token_missing" : "password_missing" };
  if (!secretsEqual(given, expected)) {
    if (!input.deferFailure) await input.limiter.recordFailureAndDelay(input.clientIp, "shared-secret");
    return { ok: false, reason: kind === "token" ? "token_mismatch" : "password_mismatch" };
  }
  input.limiter.reset(input.clientIp, "shared-secret");
  return { ok: true, method: kind };
}

export async function authorizeShared(input: SharedAuthInput): Promise<SharedAuthResult> {
  const { auth } = input;
  if (auth.mode === "trusted-proxy") {
    if (input.proxies.size === 0) return { ok: false, reason: "trusted_proxy_no_proxies_configured" };
    const identity = trustedProxyIdentity(input);
    if ("user" in identity) return { ok: true, method: "trusted-proxy", user: identity.user };
    // A password may exist for direct local callers (operators on the gateway host).
    if (input.localDirect && auth.password && input.password) return checkSecret(input, "password", input.password, auth.password);
    return { ok: false, reason: identity.reason };
  }
  if (auth.mode === "none") return { ok: true, method: "none" };
  const rate = input.limiter.check(input.clientIp, "shared-secret");
  if (!rate.allowed) return { ok: false, reason: "rate_limited", rateLimited: true, retryAfterMs: rate.retryAfterMs };
  if (auth.mode === "token") return checkSecret(input, "token", input.token, auth.token);
  return checkSecret(input, "password", input.password, auth.password);
}
