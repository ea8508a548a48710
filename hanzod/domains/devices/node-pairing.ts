/**
 * `node.pair.reject` and `node.rename` on the legacy's paired rows (state/device-pairing.ts): the two node
 * pairing writers whose legacy handler touches nothing but the row, in 2026.9.1 and 2026.9.6 alike (dist
 * server-methods/nodes, nodes.pairing, device-pairing-node): no node registry, wake state, cleanup claim or
 * pairing generation is read or changed, and no live connection is touched, so either runtime may answer
 * them whoever holds the node's connection.
 * - reject: the legacy's ownership rule first (a non-admin that connected with a device token rejects only
 *   its own node's request, and an unknown id is `node pairing rejection denied` for it), then the pending
 *   surface dropped, `node.pair.resolved` {requestId, nodeId, decision: "rejected", ts} to operators
 *   (operator.pairing), answered {requestId, nodeId}.
 * - rename: `node rename denied` across devices for such a caller, `displayName required` when blank after
 *   trimming, `unknown nodeId` without an approved surface; answered {nodeId, displayName}; no event.
 *
 * `node.pair.approve` and `node.pair.remove` are not here: they also act on the node owner's memory (its
 * live session's surface, reconnect cleanup claims, wake state, device workers) and stay on the legacy
 * (hanzod/state/README.md, "Node pairing writers").
 */
import { invalidRequest, type CallerInfo, type MethodDeclaration } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { pairingStore, refusing, type PairingState } from "./store-access.js";

/** resolveDeviceSessionAuthz: the device-token caller's id, and whether it is an admin. */
function session(caller: CallerInfo): { callerDeviceId: string | undefined; isAdmin: boolean } {
  return { callerDeviceId: caller.callerDeviceId?.trim() || undefined, isAdmin: caller.scopes.includes("operator.admin") };
}

/** deniesCrossDeviceManagement(resolveDeviceManagementAuthz(client, target)) */
function crossDevice(caller: CallerInfo, target: string): boolean {
  const s = session(caller);
  return s.callerDeviceId !== undefined && s.callerDeviceId !== target.trim() && !s.isAdmin;
}

export const nodePairingMethods: MethodDeclaration<PairingState | undefined>[] = [
  {
    name: "node.pair.reject",
    params: typeboxParams("node.pair.reject"),
    emits: ["node.pair.resolved"],
    handler: ({ state, caller, params, emit }) => {
      const store = pairingStore(state, "node.pair.reject");
      const requestId = String(params.requestId);
      // enforcePendingNodePairingOwnership
      const pending = refusing("node.pair.reject", () => store.pendingNode(requestId));
      const s = session(caller);
      if (pending ? crossDevice(caller, pending.nodeId) : s.callerDeviceId !== undefined && !s.isAdmin) throw invalidRequest("node pairing rejection denied");
      const rejected = refusing("node.pair.reject", () => store.rejectNode(requestId));
      if (!rejected) throw invalidRequest("unknown requestId");
      emit("node.pair.resolved", { requestId, nodeId: rejected.nodeId, decision: "rejected", ts: Date.now() }, { dropIfSlow: true });
      return rejected;
    },
  },
  {
    name: "node.rename",
    params: typeboxParams("node.rename"),
    handler: ({ state, caller, params }) => {
      const store = pairingStore(state, "node.rename");
      const nodeId = String(params.nodeId);
      if (crossDevice(caller, nodeId)) throw invalidRequest("node rename denied");
      const displayName = String(params.displayName).trim();
      if (!displayName) throw invalidRequest("displayName required");
      const renamed = refusing("node.rename", () => store.renameNode(nodeId, displayName));
      if (!renamed) throw invalidRequest("unknown nodeId");
      return renamed;
    },
  },
];
