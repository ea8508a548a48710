/**
 * `device.pair.remove`, `device.token.rotate`, `device.token.revoke` on the legacy's pairing rows
 * (state/device-pairing.ts), for when hanzod owns the connections (authOwner hanzod). Same in 2026.9.1 and
 * 2026.9.6 (dist server-methods/devices, device-management-authz):
 * - a non-admin that connected with a device token manages its own device only, and only its operator
 *   role (`device token rotation denied` / `... revocation denied` / `device pairing removal denied`);
 * - an operator-role rotation or revocation is bounded by the caller's own scopes (never wider) and by the
 *   device's approved baseline; every store refusal is the same denied message;
 * - the rotated bearer is answered in-band only to the device itself (`tokenDelivery`);
 * - afterwards the device's open connections in this runtime (of the changed role; all of them on remove)
 *   are closed with the legacy's 4001 "device removed", after the answer.
 * None of the three broadcasts a client-visible event in the legacy (its security audit events are
 * log/telemetry, not sent to clients), so none is emitted here.
 *
 * Declined (the legacy answers): no legacy state dir; a node role or a device with a node surface, a push
 * registration (PairingRefusal): the legacy also resets node runtime state, wake state, device workers.
 */
import { invalidRequest, type CallerInfo, type HandlerContext, type MethodDeclaration } from "../../core/method.js";
import { pairingStore, refusing, type PairingState } from "./store-access.js";

const OPERATOR = "operator";

/** resolveDeviceManagementAuthz */
function authz(caller: CallerInfo, target: string): { callerDeviceId: string | undefined; isAdmin: boolean; scopes: readonly string[]; target: string } {
  return { callerDeviceId: caller.callerDeviceId?.trim() || undefined, isAdmin: caller.scopes.includes("operator.admin"), scopes: caller.scopes, target: target.trim() };
}

/** deniesCrossDeviceManagement */
const crossDevice = (a: ReturnType<typeof authz>): boolean => a.callerDeviceId !== undefined && a.callerDeviceId !== a.target && !a.isAdmin;

/** deniesDeviceTokenRoleManagement */
function roleNeedsAdmin(a: ReturnType<typeof authz>, role: string): boolean {
  const r = role.trim();
  return r !== "" && !a.isAdmin && r !== OPERATOR;
}

/**
 * What rotate and revoke check first, alike: the caller may change this device's token of this role; an
 * operator-role change is bounded by the caller's own scopes (never wider).
 */
function tokenChange(ctx: HandlerContext<PairingState | undefined>, method: string, denied: string) {
  const store = pairingStore(ctx.state, method);
  const deviceId = String(ctx.params.deviceId);
  const role = String(ctx.params.role);
  const a = authz(ctx.caller, deviceId);
  if (crossDevice(a) || roleNeedsAdmin(a, role)) throw invalidRequest(denied);
  return { store, deviceId, role, a, boundingScopes: role.trim() === OPERATOR ? a.scopes : undefined };
}

const ROTATION_DENIED = "device token rotation denied";
const REVOCATION_DENIED = "device token revocation denied";
const REMOVAL_DENIED = "device pairing removal denied";

export const tokenMethods: MethodDeclaration<PairingState | undefined>[] = [
  {
    name: "device.pair.remove",
    params: "contract",
    handler: ({ state, caller, params, core }) => {
      const l = pairingStore(state, "device.pair.remove");
      const deviceId = String(params.deviceId);
      const a = authz(caller, deviceId);
      if (crossDevice(a)) throw invalidRequest(REMOVAL_DENIED);
      if (a.callerDeviceId && !a.isAdmin) {
        // pairedDeviceHasNonOperatorRole: role, roles or a token of another role.
        const paired = refusing("device.pair.remove", () => l.paired(a.target));
        const roles = [paired?.role, ...(paired?.roles ?? []), ...Object.values(paired?.tokens ?? {}).map((t) => t.role)].map((r) => r?.trim()).filter(Boolean);
        if (roles.some((r) => r !== OPERATOR)) throw invalidRequest(REMOVAL_DENIED);
      }
      const removed = refusing("device.pair.remove", () => l.remove(deviceId));
      if (!removed) throw invalidRequest("unknown deviceId");
      core.deviceConnections.disconnect(removed.deviceId);
      return removed;
    },
  },
  {
    name: "device.token.rotate",
    params: "contract",
    handler: (ctx) => {
      const { store, deviceId, role, a, boundingScopes } = tokenChange(ctx, "device.token.rotate", ROTATION_DENIED);
      const scopes = Array.isArray(ctx.params.scopes) ? ctx.params.scopes.map(String) : undefined;
      const rotated = refusing("device.token.rotate", () => store.rotateToken(deviceId, role, scopes, boundingScopes));
      if (!rotated.ok) throw invalidRequest(ROTATION_DENIED);
      const entry = rotated.entry;
      ctx.core.deviceConnections.disconnect(a.target, entry.role);
      const inBand = a.callerDeviceId !== undefined && a.callerDeviceId === a.target;
      return {
        deviceId,
        role: entry.role,
        ...(inBand ? { token: entry.token } : {}),
        scopes: entry.scopes,
        rotatedAtMs: entry.rotatedAtMs ?? entry.createdAtMs,
        tokenDelivery: inBand ? "in-band" : "withheld-cross-device",
      };
    },
  },
  {
    name: "device.token.revoke",
    params: "contract",
    handler: (ctx) => {
      const { store, deviceId, role, a, boundingScopes } = tokenChange(ctx, "device.token.revoke", REVOCATION_DENIED);
      const revoked = refusing("device.token.revoke", () => store.revokeToken(deviceId, role, boundingScopes));
      if (!revoked.ok) throw invalidRequest(REVOCATION_DENIED);
      const entry = revoked.entry;
      ctx.core.deviceConnections.disconnect(a.target, entry.role);
      return { deviceId: a.target, role: entry.role, revokedAtMs: entry.revokedAtMs ?? Date.now() };
    },
  },
];
