/**
 * The live node registry (core/nodes.ts) and the node surface writes (state/node-surface.ts) without a live
 * legacy: the invoke round trip as the legacy frames it, the late/foreign result, the timeout, the node's
 * connection closing or being replaced with invokes in flight, and the legacy worker's rules for
 * lastConnectedAtMs / lastDisconnectedAtMs / lastHostStats; node.list rows from paired rows. The same paths against the real node host and
 * the real legacy: node-pair-list.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import { NodeRegistry, type NodeSession } from "../core/nodes.js";
import { legacyNodeSurfaceRecorder } from "../state/node-surface.js";
import type { LegacyDevicePairing, LegacyPaired } from "../state/device-pairing.js";
import { knownNodes } from "../domains/nodes/catalog.js";

function session(connId: string, sent: string[], nodeId = "n1"): NodeSession {
  return { nodeId, connId, clientId: "node-host", clientMode: "node", declaredCaps: [], declaredCommands: ["system.which"], connectedAtMs: 1000, send: (t) => (sent.push(t), true) };
}

const request = (frame: string) => JSON.parse(frame) as { type: string; event: string; payload: { id: string; nodeId: string; command: string; paramsJSON: string | null; timeoutMs: number; idempotencyKey: string } };

describe("the node registry", () => {
  it("sends node.invoke.request as a bare event and settles on the node's own result only", async () => {
    const reg = new NodeRegistry();
    const sent: string[] = [];
    reg.register(session("c1", sent));
    const pending = reg.invoke({ nodeId: "n1", command: "system.which", params: { bins: ["sh"] }, idempotencyKey: "k" });
    const frame = request(sent[0]!);
    expect(frame).toEqual({ type: "event", event: "node.invoke.request", payload: { id: expect.any(String), nodeId: "n1", command: "system.which", paramsJSON: '{"bins":["sh"]}', timeoutMs: 30_000, idempotencyKey: "k" } });
    // Another connection's result for the same id is not this invoke's.
    expect(reg.handleResult({ id: frame.payload.id, nodeId: "n1", connId: "c2", ok: true })).toBe(false);
    expect(reg.handleResult({ id: frame.payload.id, nodeId: "n1", connId: "c1", ok: true, payloadJSON: '{"bins":{}}' })).toBe(true);
    await expect(pending).resolves.toEqual({ ok: true, payload: undefined, payloadJSON: '{"bins":{}}' });
    // Late: ignored.
    expect(reg.handleResult({ id: frame.payload.id, nodeId: "n1", connId: "c1", ok: true })).toBe(false);
  });

  it("answers NOT_CONNECTED for an unknown node, TIMEOUT after timeoutMs", async () => {
    const reg = new NodeRegistry();
    await expect(reg.invoke({ nodeId: "nope", command: "system.which", idempotencyKey: "k" })).resolves.toMatchObject({ ok: false, error: { code: "NOT_CONNECTED", message: "node not connected" }, dispatched: false });
    vi.useFakeTimers();
    try {
      reg.register(session("c1", []));
      const pending = reg.invoke({ nodeId: "n1", command: "system.which", timeoutMs: 50, idempotencyKey: "k" });
      vi.advanceTimersByTime(51);
      await expect(pending).resolves.toEqual({ ok: false, error: { code: "TIMEOUT", message: "node invoke timed out" }, dispatched: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it("clamps a timeoutMs beyond Node's timer range to the legacy's ceiling instead of timing out at once", async () => {
    const reg = new NodeRegistry();
    const sent: string[] = [];
    reg.register(session("c1", sent));
    const pending = reg.invoke({ nodeId: "n1", command: "system.which", timeoutMs: 9_000_000_000, idempotencyKey: "k" });
    const frame = request(sent[0]!);
    expect(frame.payload.timeoutMs).toBe(2_147_000_000);
    // Unclamped, Node would fire the timer after 1 ms: the invoke must still be waiting for the node.
    await new Promise((r) => setTimeout(r, 20));
    expect(reg.isPending(frame.payload.id, "n1", "c1")).toBe(true);
    expect(reg.handleResult({ id: frame.payload.id, nodeId: "n1", connId: "c1", ok: true })).toBe(true);
    await expect(pending).resolves.toMatchObject({ ok: true });
  });

  it("ends in-flight invokes with DISCONNECTED when the node's connection closes or is replaced", async () => {
    const reg = new NodeRegistry();
    reg.register(session("c1", []));
    const first = reg.invoke({ nodeId: "n1", command: "system.which", idempotencyKey: "k" });
    reg.register(session("c2", []));
    await expect(first).resolves.toEqual({ ok: false, error: { code: "DISCONNECTED", message: "node disconnected (system.which)" }, dispatched: true });
    expect(reg.get("n1")?.connId).toBe("c2");
    const second = reg.invoke({ nodeId: "n1", command: "system.run", idempotencyKey: "k" });
    reg.unregister("c2");
    await expect(second).resolves.toMatchObject({ ok: false, error: { code: "DISCONNECTED", message: "node disconnected (system.run)" } });
    expect(reg.list()).toEqual([]);
  });

  it("keeps host stats for the node's current connection only", () => {
    const reg = new NodeRegistry();
    reg.register(session("c1", []));
    expect(reg.updateHostStats("n1", "c0", { cpuCount: 1 })).toBeNull();
    expect(reg.updateHostStats("n1", "c1", { cpuCount: 1 })).toEqual({ cpuCount: 1, updatedAtMs: expect.any(Number) });
  });
});

describe("the node surface writes (the legacy worker's rules)", () => {
  function recorder(surface: Record<string, unknown>) {
    const state = { surface };
    const pairing = { updateNodeSurface: (_id: string, change: (s: Record<string, unknown>) => Record<string, unknown> | null) => { const next = change(state.surface); if (next) state.surface = next; return next !== null; } };
    return { state, rec: legacyNodeSurfaceRecorder(pairing as unknown as LegacyDevicePairing, undefined) };
  }

  it("connect: the newest connect time; an older disconnect dropped, a newer one kept", () => {
    const a = recorder({ commands: [], lastConnectedAtMs: 5, lastDisconnectedAtMs: 7 });
    a.rec.connected("n1", 10);
    expect(a.state.surface).toEqual({ commands: [], lastConnectedAtMs: 10 });
    const b = recorder({ lastConnectedAtMs: 20, lastDisconnectedAtMs: 30 });
    b.rec.connected("n1", 10);
    expect(b.state.surface).toEqual({ lastConnectedAtMs: 20, lastDisconnectedAtMs: 30 });
  });

  it("disconnect: only for the connection the row says connected last, never before it", () => {
    const a = recorder({ lastConnectedAtMs: 10 });
    a.rec.disconnected("n1", 9, 12);
    expect(a.state.surface).toEqual({ lastConnectedAtMs: 10 });
    a.rec.disconnected("n1", 10, 12);
    expect(a.state.surface).toEqual({ lastConnectedAtMs: 10, lastDisconnectedAtMs: 12 });
    a.rec.disconnected("n1", 10, 11);
    expect(a.state.surface).toEqual({ lastConnectedAtMs: 10, lastDisconnectedAtMs: 12 });
  });

  it("host stats replace the stored ones; a failed write is logged, not thrown", () => {
    const a = recorder({ lastHostStats: { cpuCount: 1, updatedAtMs: 1 } });
    a.rec.hostStats("n1", { cpuCount: 2, updatedAtMs: 2 });
    expect(a.state.surface).toEqual({ lastHostStats: { cpuCount: 2, updatedAtMs: 2 } });
    const failing = legacyNodeSurfaceRecorder({ updateNodeSurface: () => { throw new Error("busy"); } } as unknown as LegacyDevicePairing, undefined);
    expect(() => failing.connected("n1", 1)).not.toThrow();
  });
});

describe("node.list rows from the paired rows (the legacy's known-node catalog)", () => {
  const stats = { cpuCount: 2, memoryTotalBytes: 10, memoryFreeBytes: 5, updatedAtMs: 7 };
  const device: LegacyPaired = {
    deviceId: "n1",
    publicKey: "k",
    displayName: "row name",
    platform: "linux",
    deviceFamily: "Linux",
    clientId: "node-host",
    clientMode: "node",
    role: "node",
    roles: ["node"],
    remoteIp: "203.0.113.5",
    tokens: { node: { token: "x", role: "node", scopes: [], createdAtMs: 1 } },
    nodeSurface: { displayName: "surface name", version: "2026.9.6", caps: ["system"], commands: ["system.which", "worker.launch.v1"], approvedAtMs: 3, lastConnectedAtMs: 4, lastDisconnectedAtMs: 6, lastHostStats: stats },
    createdAtMs: 1,
    approvedAtMs: 2,
    lastSeenAtMs: 5,
    lastSeenReason: "connect",
  };

  it("an offline node: surface fields, the device row's platform, family and address, its stored disconnect and (2026.9.6) host stats", () => {
    const read = knownNodes([device], [], "2026.9.6");
    expect(read).toEqual({
      kind: "rows",
      rows: [
        {
          nodeId: "n1",
          displayName: "surface name",
          platform: "linux",
          version: "2026.9.6",
          clientId: "node-host",
          clientMode: "node",
          deviceFamily: "Linux",
          remoteIp: "203.0.113.5",
          caps: ["system"],
          commands: ["system.which"],
          sessionHost: false,
          hostStats: stats,
          approvalState: "approved",
          lastConnectedAtMs: 4,
          lastDisconnectedAtMs: 6,
          lastSeenAtMs: 5,
          lastSeenReason: "connect",
          approvedAtMs: 3,
          paired: true,
          connected: false,
        },
      ],
    });
    // 2026.9.1 has no host stats; an invalid stored snapshot is not shown by 2026.9.6 either.
    expect((knownNodes([device], [], "2026.9.1") as { rows: Record<string, unknown>[] }).rows[0]!.hostStats).toBeUndefined();
    const bad = { ...device, nodeSurface: { ...device.nodeSurface, lastHostStats: { ...stats, memoryFreeBytes: 11 } } };
    expect((knownNodes([bad], [], "2026.9.6") as { rows: Record<string, unknown>[] }).rows[0]!.hostStats).toBeUndefined();
  });

  it("a live node: its declared surface cut to the approved one; a pending surface is refused", () => {
    const live = { ...session("c1", []), declaredCommands: ["system.which", "system.run"], declaredCaps: ["system"], hostStats: { cpuCount: 1 } };
    const row = (knownNodes([device], [live], "2026.9.6") as { rows: Record<string, unknown>[] }).rows[0]!;
    expect(row).toMatchObject({ commands: ["system.which"], caps: ["system"], connected: true, connectedAtMs: 1000, lastConnectedAtMs: 1000, nodePluginTools: [], hostStats: { cpuCount: 1 } });
    expect(row.lastDisconnectedAtMs).toBeUndefined();
    expect(knownNodes([{ ...device, pendingNodeSurface: { requestId: "r" } }], [], "2026.9.6")).toMatchObject({ kind: "refused" });
  });
});
