/**
 * The legacy's browser-origin rule for a WebSocket connect (`admitGatewayConnect` after the role check;
 * `origin-check.ts` + `ws-origin-policy.ts` in 2026.9.6, inline in 2026.9.1, the same outcome in both):
 * - the browser copilot must be in `ui` mode with its two caps, and come from a canonical Chrome extension
 *   origin, which then exempts it from the origin rule;
 * - any connect that carries an Origin header, and every Control UI / browser copilot / web chat connect
 *   (with or without one), must present an origin the gateway accepts: in `gateway.controlUi.allowedOrigins`
 *   (or `*`), the request's own host (with `dangerouslyAllowHostHeaderOriginFallback`, or when that host is
 *   loopback for a local client, a private IP, `.local` or `.ts.net`), or a loopback origin for a local client.
 * Otherwise INVALID_REQUEST "origin not allowed (...)", details {code CONTROL_UI_ORIGIN_NOT_ALLOWED, reason},
 * close 1008. The legacy reads that config on every connection, so this reads the legacy's openclaw.json
 * each time the rule applies (device-less backends without an Origin, the proxy's legs, never pay for it).
 */
import { BlockList, isIP } from "node:net";
import { CloseCodes, errorShape, truncateCloseReason, type ErrorShape } from "../../../protocol/index.js";
import { readLegacyConfigObject } from "../../config-file.js";
import type { ConnectParamsShape } from "./validation.js";

export interface OriginRefusal {
  error: ErrorShape;
  closeCode: number;
  closeReason: string;
}

/** What the rule needs to know about the upgrade request. */
export interface OriginPeer {
  origin: string | undefined;
  host: string | undefined;
  isLocalClient: boolean;
}

export interface ControlUiOriginConfig {
  allowedOrigins?: unknown;
  dangerouslyAllowHostHeaderOriginFallback?: unknown;
}

const ORIGIN_NOT_ALLOWED = "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)";
const ORIGIN_NOT_ALLOWED_CODE = "CONTROL_UI_ORIGIN_NOT_ALLOWED";

const lower = (v: unknown): string => (typeof v === "string" ? v.trim().toLowerCase() : "");
const clientId = (p: ConnectParamsShape): string => lower(p.client.id);
const isBrowserCopilot = (p: ConnectParamsShape): boolean => clientId(p) === "openclaw-browser-copilot";
/** isBrowserOperatorUiClient || isWebchatClient: the clients the rule always applies to. */
const isBrowserClient = (p: ConnectParamsShape): boolean => {
  const id = clientId(p);
  return id === "openclaw-control-ui" || id === "openclaw-browser-copilot" || id === "webchat-ui" || lower(p.client.mode) === "webchat";
};

interface ParsedOrigin {
  origin: string;
  protocol: string;
  host: string;
  hostname: string;
}

function parseOrigin(raw: string | undefined): ParsedOrigin | undefined {
  const trimmed = (raw ?? "").trim();
  if (!trimmed || trimmed === "null") return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]+\/?$/i.test(trimmed)) return undefined;
  try {
    const url = new URL(trimmed);
    if (url.username || url.password || !url.protocol || !url.host) return undefined;
    const origin = url.origin === "null" ? `${url.protocol}//${url.host}` : url.origin;
    return { origin: origin.toLowerCase(), protocol: url.protocol.toLowerCase(), host: url.host.toLowerCase(), hostname: url.hostname.toLowerCase() };
  } catch {
    return undefined;
  }
}

function chromeExtensionOrigin(raw: string | undefined): string | undefined {
  const parsed = parseOrigin(raw);
  return parsed?.protocol === "chrome-extension:" && /^[a-p]{32}$/u.test(parsed.hostname) ? parsed.origin : undefined;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function mappedV4(ip: string): string {
  const lowered = ip.toLowerCase();
  return lowered.startsWith("::ffff:") && isIP(lowered.slice(7)) === 4 ? lowered.slice(7) : lowered;
}

function isLoopbackIp(ip: string): boolean {
  const a = mappedV4(ip);
  const kind = isIP(a);
  if (kind === 4) return a.startsWith("127.");
  return kind === 6 && LOOPBACK_V6.check(a, "ipv6");
}

/** The legacy's isLoopbackHost: `localhost` (trailing dots dropped) or a loopback IP literal. */
function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (!h) return false;
  if (h.replace(/\.+$/, "") === "localhost") return true;
  return isLoopbackIp(unbracket(h));
}

/** The legacy's resolveHostName: a Host header without its port. */
function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (!host) return "";
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end !== -1) return host.slice(1, end);
  }
  if (isIP(host) === 6) return host;
  return host.split(":")[0] ?? "";
}

const LOOPBACK_V6 = new BlockList();
LOOPBACK_V6.addAddress("::1", "ipv6");
/** The private, loopback, link-local and special-use ranges the legacy's isPrivateOrLoopbackAddress takes. */
const PRIVATE = new BlockList();
for (const [net, bits] of [["127.0.0.0", 8], ["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["169.254.0.0", 16], ["100.64.0.0", 10]] as const) PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 128], ["::1", 128], ["fe80::", 10], ["fc00::", 7], ["fec0::", 10], ["ff00::", 8], ["2001:db8::", 32], ["2001:2::", 48], ["100::", 64], ["2001:20::", 28]] as const) PRIVATE.addSubnet(net, bits, "ipv6");

function isPrivateOrLoopbackIp(ip: string): boolean {
  const a = mappedV4(ip);
  const kind = isIP(a);
  return kind !== 0 && PRIVATE.check(a, kind === 4 ? "ipv4" : "ipv6");
}

function isTrustedSameOriginHost(hostHeader: string, isLocalClient: boolean): boolean {
  const name = hostName(hostHeader);
  if (!name) return false;
  if (isLoopbackHost(name)) return isLocalClient;
  if (isIP(name) !== 0) return isPrivateOrLoopbackIp(name);
  return name.endsWith(".local") || name.endsWith(".ts.net");
}

/** The legacy's checkBrowserOrigin: ok, or the reason it refuses. */
export function checkBrowserOrigin(peer: OriginPeer, cfg: ControlUiOriginConfig): { ok: true } | { ok: false; reason: string } {
  const parsed = parseOrigin(peer.origin);
  if (!parsed) return { ok: false, reason: "origin missing or invalid" };
  const allowed = new Set((Array.isArray(cfg.allowedOrigins) ? cfg.allowedOrigins : []).map(lower).filter(Boolean));
  if (allowed.has("*") || allowed.has(parsed.origin)) return { ok: true };
  const requestHost = lower(peer.host);
  if (cfg.dangerouslyAllowHostHeaderOriginFallback === true && requestHost && parsed.host === requestHost) return { ok: true };
  if (requestHost && parsed.host === requestHost && isTrustedSameOriginHost(requestHost, peer.isLocalClient)) return { ok: true };
  if (peer.isLocalClient && isLoopbackHost(parsed.hostname)) return { ok: true };
  return { ok: false, reason: "origin not allowed" };
}

/** `gateway.controlUi` of the legacy's config as it is now ({} when absent or unreadable: nothing allowed beyond the host rules). */
export function readControlUiOriginConfig(configPath: string): ControlUiOriginConfig {
  try {
    const gateway = readLegacyConfigObject(configPath).gateway;
    const ui = typeof gateway === "object" && gateway !== null ? (gateway as Record<string, unknown>).controlUi : undefined;
    return typeof ui === "object" && ui !== null ? (ui as ControlUiOriginConfig) : {};
  } catch {
    return {};
  }
}

function refusal(message: string, details: Record<string, unknown> | undefined): OriginRefusal {
  return { error: errorShape("INVALID_REQUEST", message, details), closeCode: CloseCodes.POLICY_VIOLATION, closeReason: truncateCloseReason(message) };
}

/**
 * The legacy's browser checks for one connect, in its order; `config` is read only when the origin rule
 * applies. Undefined: admitted as far as origins go.
 */
export function browserOriginRefusal(p: ConnectParamsShape, peer: OriginPeer, config: () => ControlUiOriginConfig): OriginRefusal | undefined {
  const copilot = isBrowserCopilot(p);
  const copilotOrigin = copilot ? chromeExtensionOrigin(peer.origin) : undefined;
  if (copilot && (p.client.mode !== "ui" || !(p.caps ?? []).includes("run-tool-bindings") || !(p.caps ?? []).includes("session-scoped-events"))) {
    return refusal("browser copilot requires ui mode with run-tool-bindings and session-scoped-events capabilities", undefined);
  }
  if (copilot && !copilotOrigin) return refusal("browser copilot requires a canonical Chrome extension origin", { code: ORIGIN_NOT_ALLOWED_CODE, reason: "invalid browser copilot origin" });
  if (copilotOrigin) return undefined;
  const hasOriginHeader = Boolean(peer.origin && peer.origin.trim() !== "");
  if (!hasOriginHeader && !isBrowserClient(p)) return undefined;
  const checked = checkBrowserOrigin(peer, config());
  return checked.ok ? undefined : refusal(ORIGIN_NOT_ALLOWED, { code: ORIGIN_NOT_ALLOWED_CODE, reason: checked.reason });
}
