/**
 * hanzod's own open connections by device id and role: what `device.pair.list` reports as `connected`
 * (the legacy's hasConnectedClientsForDevice) and what `device.pair.remove` / `device.token.rotate` /
 * `device.token.revoke` close (the legacy's disconnectClientsForDevice). Only connections whose connect
 * presented a device identity are here; the legacy matches on that identity (`connect.device.id`), for
 * any auth method.
 */
import { CloseCodes } from "../../protocol/index.js";

/** What a connection offers the registry: its close, nothing else of its internals. */
export interface DeviceBoundSocket {
  close(code: number, reason: string): void;
}

/** The part domains see: whether a device is connected, and closing its connections. */
export interface DeviceConnectionsView {
  connected(deviceId: string): boolean;
  /**
   * disconnectClientsForDevice: every open connection of the device (only those of `role` when given) is
   * closed with the legacy's 4001 "device removed" (both releases), after the current answer has gone
   * out (the legacy queues the close behind its response). Returns how many were closed.
   */
  disconnect(deviceId: string, role?: string): number;
}

export const DEVICE_REMOVED_CLOSE = { code: CloseCodes.CLIENT_INVALIDATED, reason: "device removed" } as const;

export class DeviceConnections implements DeviceConnectionsView {
  private readonly byDevice = new Map<string, Map<DeviceBoundSocket, string>>();

  add(deviceId: string, role: string, socket: DeviceBoundSocket): void {
    let conns = this.byDevice.get(deviceId);
    if (!conns) this.byDevice.set(deviceId, (conns = new Map()));
    conns.set(socket, role);
  }

  delete(deviceId: string, socket: DeviceBoundSocket): void {
    const conns = this.byDevice.get(deviceId);
    if (!conns) return;
    conns.delete(socket);
    if (conns.size === 0) this.byDevice.delete(deviceId);
  }

  connected(deviceId: string): boolean {
    return (this.byDevice.get(deviceId)?.size ?? 0) > 0;
  }

  disconnect(deviceId: string, role?: string): number {
    const targets = [...(this.byDevice.get(deviceId) ?? [])].filter(([, r]) => role === undefined || r === role).map(([s]) => s);
    // setImmediate: after the pipeline has sent the answer (it sends within the handler's microtasks).
    if (targets.length > 0) setImmediate(() => targets.forEach((s) => s.close(DEVICE_REMOVED_CLOSE.code, DEVICE_REMOVED_CLOSE.reason)));
    return targets.length;
  }
}
