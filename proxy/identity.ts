/**
 * Who the client is, read from its own connect request and the auth owner's hello-ok. The proxy never
 * authenticates anyone itself: it only remembers what the auth owner granted, to assert it to the other
 * backend and to bucket the client for canary routing.
 */
import { decodeFrame } from "../protocol/index.js";
import { bucketOf } from "./routing.js";

export interface Identity {
  role: string;
  scopes: string[];
  deviceId: string | undefined;
  clientId: string | undefined;
  /** What the proxy asserts to the other backend: `device:<id>` or `client:<client.id>`. */
  user: string;
}

/** The client's connect request, as the auth owner saw it. */
export interface ConnectInfo {
  id: string;
  params: Record<string, unknown>;
}

/** What routing needs to know about the client; shared by request and event routing. */
export interface RoutingProfile {
  /** A node socket is pinned whole to the node owner. */
  nodeSession: boolean;
  /** The client's canary bucket (0-99), from its asserted user. */
  bucket: number;
}

/** The client's connect request, or undefined when `data` is some other frame. */
export function readConnect(data: Buffer): ConnectInfo | undefined {
  const decoded = decodeFrame(data);
  if (!decoded.ok || decoded.frame.type !== "req" || decoded.frame.method !== "connect") return undefined;
  return { id: decoded.frame.id, params: (decoded.frame.params ?? {}) as Record<string, unknown> };
}

/** The identity a successful hello-ok grants; undefined for a refusal or anything but hello-ok. */
export function identityFromHello(data: Buffer, connect: ConnectInfo): Identity | undefined {
  const d = decodeFrame(data);
  if (!d.ok || d.frame.type !== "res" || !d.frame.ok) return undefined;
  const payload = d.frame.payload as { type?: string; auth?: { role?: string; scopes?: string[] } } | undefined;
  if (payload?.type !== "hello-ok") return undefined;
  const p = connect.params;
  const device = p.device as { id?: unknown } | undefined;
  const client = p.client as { id?: unknown } | undefined;
  const deviceId = typeof device?.id === "string" ? device.id : undefined;
  const clientId = typeof client?.id === "string" ? client.id : undefined;
  return {
    role: payload.auth?.role ?? (typeof p.role === "string" ? p.role : "operator"),
    scopes: Array.isArray(payload.auth?.scopes) ? payload.auth.scopes.filter((s): s is string => typeof s === "string") : [],
    deviceId,
    clientId,
    user: deviceId !== undefined ? `device:${deviceId}` : `client:${clientId ?? "unknown"}`,
  };
}

/** Routing facts that follow from the verified identity. */
export function updateProfile(identity: Identity, profile: RoutingProfile): void {
  profile.nodeSession = identity.role === "node";
  profile.bucket = bucketOf(identity.user);
}
