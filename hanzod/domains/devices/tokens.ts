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
import { invalidRequest, type CallerInfo, type MethodDeclaration } from "../../core/method.js";
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
    handler: ({ state, caller, params, core }) => {
      const l = pairingStore(state, "device.token.rotate");
      const deviceId = String(params.deviceId);
      const role = String(params.role);
      const scopes = Array.isArray(params.scopes) ? params.scopes.map(String) : undefined;
      const a = authz(caller, deviceId);
      if (crossDevice(a) || roleNeedsAdmin(a, role)) throw invalidRequest(ROTATION_DENIED);
      const rotated = refusing("device.token.rotate", () => l.rotateToken(deviceId, role, scopes, role.trim() === OPERATOR ? a.scopes : undefined));
      if (!rotated.ok) throw invalidRequest(ROTATION_DENIED);
      const entry = rotated.entry;
      core.deviceConnections.disconnect(a.target, entry.role);
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
    handler: ({ state, caller, params, core }) => {
      const l = pairingStore(state, "device.token.revoke");
      const deviceId = String(params.deviceId);
      const role = String(params.role);
      const a = authz(caller, deviceId);
      if (crossDevice(a) || roleNeedsAdmin(a, role)) throw invalidRequest(REVOCATION_DENIED);
      const revoked = refusing("device.token.revoke", () => l.revokeToken(deviceId, role, role.trim() === OPERATOR ? a.scopes : undefined));
      if (!revoked.ok) throw invalidRequest(REVOCATION_DENIED);
      const entry = revoked.entry;
      core.deviceConnections.disconnect(a.target, entry.role);
      return { deviceId: a.target, role: entry.role, revokedAtMs: entry.revokedAtMs ?? Date.now() };
    },
  },
];
