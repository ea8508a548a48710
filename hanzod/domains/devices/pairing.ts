/**
 * `device.pair.list`, `device.pair.approve`, `device.pair.reject` on the legacy's own pairing tables
 * (state/device-pairing.ts), for when hanzod owns the connections (authOwner hanzod): the list's
 * `connected` is hanzod's own open connections per device (the legacy's hasConnectedClientsForDevice),
 * so these answer exactly only where hanzod holds the connections; the proxy routes them with the auth
 * owner. Same in 2026.9.1 and 2026.9.6 (dist server-methods/devices): params by the contract, scope from
 * the method table, a non-admin with a device-token identity limited to its own device, a non-admin never
 * approving a non-operator role, the legacy's error wording, and `device.pair.resolved` on a decision.
 *
 * Declined (the legacy answers): no legacy state dir, a schema or record hanzod does not handle exactly
 * (PairingRefusal: node surfaces, bootstrap tokens, re-keyed push registrations). A stored 2026.9.6 host stats
 * snapshot is read as the legacy reads it (left out when it fails the legacy's check: state/device-pairing.ts).
 * Not done here and so not claimed: the legacy's security audit events, its scope-upgrade waiters
 * (`device.scopes.waitUpgrade` on the legacy never hears of a hanzod approval) and the node wake state.
 */
import { invalidRequest, type CallerInfo, type MethodDeclaration } from "../../core/method.js";
import type { CoreServices } from "../../core/runtime.js";
import { pairingStore, refusing, type PairingState } from "./store-access.js";
import { publicPending, type LegacyPaired, type LegacyPending } from "../../state/device-pairing.js";

export type { PairingState } from "./store-access.js";

const APPROVAL_DENIED = "device pairing approval denied";
const REJECTION_DENIED = "device pairing rejection denied";

/** resolveDeviceSessionAuthz */
function authz(caller: CallerInfo): { callerDeviceId: string | undefined; isAdmin: boolean; scopes: readonly string[] } {
  return { callerDeviceId: caller.callerDeviceId?.trim() || undefined, isAdmin: caller.scopes.includes("operator.admin"), scopes: caller.scopes };
}

function requestsNonOperatorRole(p: LegacyPending): boolean {
  const roles = new Set<string>();
  if (p.role?.trim()) roles.add(p.role.trim());
  for (const r of p.roles ?? []) if (r.trim()) roles.add(r.trim());
  return [...roles].some((r) => r !== "operator");
}

/** summarizeDeviceTokens: no bearer leaves, sorted by role; undefined when there is none. */
function summarize(tokens: LegacyPaired["tokens"]): unknown[] | undefined {
  if (!tokens) return undefined;
  const list = Object.values(tokens)
    .map((t) => ({ role: t.role, scopes: t.scopes, createdAtMs: t.createdAtMs, rotatedAtMs: t.rotatedAtMs, revokedAtMs: t.revokedAtMs, lastUsedAtMs: t.lastUsedAtMs }))
    .sort((a, b) => a.role.localeCompare(b.role));
  return list.length > 0 ? list : undefined;
}

/** redactPairedDevice */
export function redact(d: LegacyPaired, connected?: boolean): Record<string, unknown> {
  const { tokens, approvedScopes: _approved, ...rest } = d;
  return { ...rest, ...(connected !== undefined ? { connected } : {}), tokens: summarize(tokens) };
}


function list(state: PairingState | undefined, caller: CallerInfo, core: CoreServices): unknown {
  const l = pairingStore(state, "device.pair.list");
  const all = refusing("device.pair.list", () => l.list());
  const a = authz(caller);
  const own = a.callerDeviceId !== undefined && !a.isAdmin ? a.callerDeviceId : undefined;
  const pending = all.pending.filter((p) => own === undefined || p.deviceId.trim() === own).map(publicPending);
  const paired = all.paired.filter((d) => own === undefined || d.deviceId.trim() === own).map((d) => redact(d, core.deviceConnections.connected(d.deviceId.trim())));
  return { pending, paired };
}

export const pairingMethods: MethodDeclaration<PairingState | undefined>[] = [
  {
    name: "device.pair.list",
    params: "contract",
    handler: ({ state, caller, core }) => list(state, caller, core),
  },
  {
    name: "device.pair.approve",
    params: "contract",
    emits: ["device.pair.resolved"],
    handler: ({ state, caller, params, emit }) => {
      const l = pairingStore(state, "device.pair.approve");
      const requestId = String(params.requestId).trim();
      const a = authz(caller);
      if (!a.isAdmin) {
        const pending = refusing("device.pair.approve", () => l.pending(requestId));
        if (!pending) throw invalidRequest(APPROVAL_DENIED);
        if (a.callerDeviceId && pending.deviceId.trim() !== a.callerDeviceId) throw invalidRequest(APPROVAL_DENIED);
        if (requestsNonOperatorRole(pending)) throw invalidRequest(APPROVAL_DENIED);
      }
      const approved = refusing("device.pair.approve", () => l.approve(requestId, { approvedVia: "owner", callerScopes: a.scopes }));
      if (!approved) throw invalidRequest("unknown requestId");
      if (approved.status === "forbidden") {
        const what = approved.reason === "scope-outside-requested-roles" ? `invalid scope for requested roles: ${approved.scope ?? "unknown"}` : `missing scope: ${approved.scope ?? (approved.reason === "caller-scopes-required" ? "callerScopes-required" : "unknown")}`;
        throw invalidRequest(what);
      }
      emit("device.pair.resolved", { requestId, deviceId: approved.device.deviceId, decision: "approved", ts: Date.now() }, { dropIfSlow: true });
      return { requestId, device: redact(approved.device) };
    },
  },
  {
    name: "device.pair.reject",
    params: "contract",
    emits: ["device.pair.resolved"],
    handler: ({ state, caller, params, emit }) => {
      const l = pairingStore(state, "device.pair.reject");
      const requestId = String(params.requestId).trim();
      const a = authz(caller);
      if (a.callerDeviceId && !a.isAdmin) {
        const pending = refusing("device.pair.reject", () => l.pending(requestId));
        if (!pending || pending.deviceId.trim() !== a.callerDeviceId) throw invalidRequest(REJECTION_DENIED);
      }
      const rejected = refusing("device.pair.reject", () => l.reject(requestId));
      if (!rejected) throw invalidRequest("unknown requestId");
      emit("device.pair.resolved", { requestId, deviceId: rejected.deviceId, decision: "rejected", ts: Date.now() }, { dropIfSlow: true });
      return rejected;
    },
  },
];
