/**
 * The pairing state the handshake consults, behind one interface: on a legacy state dir the legacy's own
 * tables (state/device-pairing.ts: a pairing made under one runtime is valid under the other), else
 * hanzod's own database (device-store.ts, for a hanzod without a legacy state). A refusal of the legacy
 * store (a schema hanzod does not know, a node surface it does not manage) is thrown as PairingRefusal;
 * the handshake answers it UNAVAILABLE rather than guessing.
 */
import { scopeSatisfies } from "../../protocol/index.js";
import type { HanzodStore } from "./device-store.js";
import { effectiveRoles, publicPending, type DeviceTokenIssuer, type LegacyDevicePairing, type PairingRequestInput } from "../state/device-pairing.js";

export interface PairedView {
  publicKey: string;
  /** Roles the device may connect as (the legacy: approved roles holding an active token). */
  roles: string[];
  /** Its approved scope baseline. */
  scopes: string[];
}

export interface PairingRequested {
  requestId: string;
  silent: boolean;
  /** The `device.pair.requested` payload, in the owner's format. */
  event: unknown;
  created: boolean;
  superseded: { requestId: string; deviceId: string }[];
}

export interface DevicePairingStore {
  readonly kind: "legacy" | "hanzod";
  getPairedDevice(deviceId: string): PairedView | undefined;
  requestPairing(input: PairingRequestInput & { isRepair: boolean }): PairingRequested;
  /** Silent (connect-time) approval; false when the request is gone or the approval was refused. */
  approveSilently(requestId: string, callerScopes: readonly string[], access: { displayName?: string; remoteIp?: string }): boolean;
  touchDevice(deviceId: string, atMs: number): void;
  /**
   * The role's token (reused when it covers the scopes and carries the same issuer), else a new one under
   * `issuer`. `issuer` is the legacy's shared-gateway-auth issuer for a browser session (see authenticate.ts).
   */
  ensureDeviceToken(deviceId: string, role: string, scopes: readonly string[], issuer?: DeviceTokenIssuer): { token: string; issuedAtMs: number } | null;
  /** `requiredGeneration`: the gateway's current shared-secret generation; the token's issuer is returned on success. */
  verifyDeviceToken(deviceId: string, role: string, token: string, scopes: readonly string[], requiredGeneration?: string): { ok: true; issuer?: DeviceTokenIssuer } | { ok: false; reason: "mismatch" | "scope-mismatch" };
  close(): void;
}

export function hanzodPairing(store: HanzodStore): DevicePairingStore {
  return {
    kind: "hanzod",
    getPairedDevice: (id) => store.getPairedDevice(id),
    requestPairing(input) {
      const { request, created } = store.requestPairing({ ...input, clientId: input.clientId ?? "", clientMode: input.clientMode ?? "" });
      return { requestId: request.requestId, silent: request.silent, event: request, created, superseded: [] };
    },
    approveSilently: (requestId) => store.approve(requestId, "silent") !== undefined,
    touchDevice: (id, at) => store.touchDevice(id, at),
    // hanzod's own database is read by no other runtime: its tokens carry no issuer (nothing to agree with).
    ensureDeviceToken: (id, role, scopes) => store.ensureDeviceToken(id, role, scopes, scopeSatisfies),
    verifyDeviceToken: (id, role, token, scopes) => store.verifyDeviceToken(id, role, token, scopes, scopeSatisfies),
    // The store itself is closed with the runtime (it also holds hanzod's owner profile).
    close: () => undefined,
  };
}

export function legacyPairing(l: LegacyDevicePairing): DevicePairingStore {
  return {
    kind: "legacy",
    getPairedDevice(id) {
      const d = l.paired(id);
      return d ? { publicKey: d.publicKey, roles: effectiveRoles(d), scopes: d.approvedScopes ?? d.scopes ?? [] } : undefined;
    },
    requestPairing(input) {
      const { request, created, superseded } = l.request(input);
      return { requestId: request.requestId, silent: request.silent === true, event: publicPending(request), created, superseded };
    },
    approveSilently(requestId, callerScopes, access) {
      const now = Date.now();
      const r = l.approve(requestId, { approvedVia: "silent", callerScopes, access: { ...access, lastSeenAtMs: now, lastSeenReason: "connect" } }, now);
      return r?.status === "approved";
    },
    // The legacy records last-seen through its token verification and approvals; nothing more here.
    touchDevice: () => undefined,
    ensureDeviceToken(id, role, scopes, issuer) {
      const t = l.ensureToken(id, role, scopes, issuer);
      return t ? { token: t.token, issuedAtMs: t.rotatedAtMs ?? t.createdAtMs } : null;
    },
    verifyDeviceToken(id, role, token, scopes, requiredGeneration) {
      const check = l.verifyToken(id, role, token, scopes, requiredGeneration);
      return check.ok ? check : { ok: false, reason: check.reason === "scope-mismatch" ? "scope-mismatch" : "mismatch" };
    },
    close: () => l.close(),
  };
}
