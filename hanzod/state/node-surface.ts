/**
 * The legacy's writes about a live node into its approved surface (`device_pairing_paired.node_surface_json`),
 * made by hanzod when it holds the node's connection (`nodeOwner: hanzod`), so that `node.pair.list`,
 * `node.list` and a rollback see the same history either runtime wrote. The rules are the legacy worker's
 * (2026.9.6 sqlite-store worker, executeDevicePairingNodeMutation; 2026.9.1's are the same mutations):
 * - node.recordConnection: `lastConnectedAtMs` = max(stored ?? now, now); a stored `lastDisconnectedAtMs`
 *   older than this connect is dropped;
 * - node.recordDisconnection: only when the stored `lastConnectedAtMs` is this connection's and the
 *   disconnect is not earlier: `lastDisconnectedAtMs` = max(stored ?? t, t);
 * - node.recordHostStats: `lastHostStats` replaced.
 * Only a device with an approved surface is written. The legacy also checks the node's pairing generation
 * (a re-pair in between drops the write); hanzod writes under the same transaction lock, on the row as it is.
 */
import type { Logger } from "pino";
import type { NodeSurfaceRecorder } from "../core/nodes.js";
import { LegacyDevicePairing } from "./device-pairing.js";

export function legacyNodeSurfaceRecorder(pairing: LegacyDevicePairing, log: Logger | undefined): NodeSurfaceRecorder {
  const attempt = (what: string, nodeId: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      // The legacy logs a failed node surface write and keeps the node connected.
      log?.warn({ err: String(err), node: nodeId.slice(0, 12) }, `failed to persist node ${what}`);
    }
  };
  return {
    connected: (nodeId, at) =>
      attempt("connection", nodeId, () =>
        pairing.updateNodeSurface(nodeId, (s) => {
          const last = typeof s.lastConnectedAtMs === "number" ? s.lastConnectedAtMs : at;
          const next: Record<string, unknown> = { ...s, lastConnectedAtMs: Math.max(last, at) };
          if (typeof s.lastDisconnectedAtMs === "number" && at > s.lastDisconnectedAtMs) delete next.lastDisconnectedAtMs;
          return next;
        }),
      ),
    disconnected: (nodeId, connectedAt, at) =>
      attempt("disconnection", nodeId, () =>
        pairing.updateNodeSurface(nodeId, (s) => {
          if (s.lastConnectedAtMs !== connectedAt || at < connectedAt) return null;
          const last = typeof s.lastDisconnectedAtMs === "number" ? s.lastDisconnectedAtMs : at;
          return { ...s, lastDisconnectedAtMs: Math.max(last, at) };
        }),
      ),
    hostStats: (nodeId, hostStats) => attempt("host stats", nodeId, () => pairing.updateNodeSurface(nodeId, (s) => ({ ...s, lastHostStats: hostStats }))),
  };
}
