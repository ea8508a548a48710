/**
 * The proxy's own handshake on a leg to the backend that does not own the client's auth. To hanzod:
 * the verified identity in upgrade headers (hanzod trusts them only from its configured proxy
 * addresses with the proxy token) and never wider scopes than hello-ok granted. To legacy (when hanzod
 * owns auth): the legacy's reserved loopback backend path with the shared token; see README.
 */
import type { ProxyContext } from "./context.js";
import type { ConnectInfo, Identity } from "./identity.js";
import { Leg, type LegEvents, type LegKey } from "./leg.js";

/** Connect params copied from the client's own connect when present. */
const CARRIED_PARAMS = ["caps", "commands", "permissions", "locale", "userAgent", "pathEnv"] as const;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface BrokeredClient {
  identity: Identity;
  connect: ConnectInfo;
  clientAddress: string;
}

/** Where a brokered leg to `key` connects; undefined when that backend is not configured. */
export function brokeredUrl(ctx: ProxyContext, key: LegKey): string | undefined {
  return key === "legacy" ? ctx.legacyUrl : key === "hanzod" ? ctx.hanzodUrl : ctx.hanzodIsolatedUrl;
}

/** Opens a leg to `key` at `url` as the trusted proxy, asserting what the auth owner verified. */
export function openBrokeredLeg(ctx: ProxyContext, key: LegKey, url: string, who: BrokeredClient, connectId: string, events: LegEvents): Leg {
  return Leg.broker(key, { url, connectId, timeoutMs: HANDSHAKE_TIMEOUT_MS, ...brokeredHandshake(ctx, key, who, connectId) }, events);
}

function brokeredHandshake(ctx: ProxyContext, key: LegKey, who: BrokeredClient, connectId: string): { headers: Record<string, string>; connectFrame: string } {
  const id = who.identity;
  const p = who.connect.params;
  const base: Record<string, unknown> = {
    minProtocol: p.minProtocol ?? 4,
    maxProtocol: p.maxProtocol ?? 4,
    role: id.role,
    scopes: id.scopes,
  };
  for (const k of CARRIED_PARAMS) if (p[k] !== undefined) base[k] = p[k];
  if (key === "legacy") {
    const client = (p.client ?? {}) as Record<string, unknown>;
    const params = { ...base, client: { id: "gateway-client", version: client.version ?? "hanzonode", platform: client.platform ?? process.platform, mode: "backend" }, auth: { token: ctx.legacyToken ?? "" } };
    return { headers: {}, connectFrame: JSON.stringify({ type: "req", id: connectId, method: "connect", params }) };
  }
  const params = { ...base, client: p.client, auth: { token: ctx.hanzodToken ?? "" } };
  return {
    headers: {
      "x-forwarded-for": who.clientAddress,
      "x-forwarded-user": id.user,
      "x-openclaw-scopes": id.scopes.join(","),
    },
    connectFrame: JSON.stringify({ type: "req", id: connectId, method: "connect", params }),
  };
}
