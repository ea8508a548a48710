/**
 * The caller's device id as the legacy's pairing handlers see it, and `node.pair.list`'s rules that do not
 * need a live legacy: only a device-token connect carries a device id into the handler (a shared secret with
 * a signed device does not, as in the legacy's resolveDeviceSessionAuthz); a non-admin with one sees only its
 * own node, an admin everything; the approval scopes from the declared commands (the legacy's node command
 * tables). The list itself is compared with the real legacy in node-pair-list.test.ts.
 */
import { describe, expect, it } from "vitest";
import { deviceTokenCaller } from "../core/connection.js";
import type { CallerInfo, HandlerContext } from "../core/method.js";
import devices from "../domains/devices/index.js";
import { nodePairApprovalScopes, type NodePairingRead } from "../state/node-pairing.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const list = { pending: [{ requestId: "r1", nodeId: A, ts: 2 }], paired: [{ nodeId: A, approvedAtMs: 1 }, { nodeId: B, approvedAtMs: 0 }] };

function call(caller: Partial<CallerInfo>, read: NodePairingRead = { kind: "list", list }): unknown {
  const decl = devices.methods.find((m) => m.name === "node.pair.list")!;
  const state = { identity: undefined, nodes: { read: () => read } };
  const ctx = { caller: { connId: "c", role: "operator", scopes: [], ...caller }, params: {}, core: { version: "2026.9.6" }, state } as unknown as HandlerContext<never>;
  return decl.handler(ctx);
}

describe("the caller's device id", () => {
  it("is set for a device-token connect only", () => {
    expect(deviceTokenCaller({ authMethod: "device-token", deviceId: A })).toEqual({ callerDeviceId: A });
    expect(deviceTokenCaller({ authMethod: "token", deviceId: A })).toEqual({});
    expect(deviceTokenCaller({ authMethod: "password", deviceId: A })).toEqual({});
    expect(deviceTokenCaller({ authMethod: "proxy-leg" })).toEqual({});
    expect(deviceTokenCaller({ authMethod: "device-token", deviceId: " " })).toEqual({});
  });
});

describe("node.pair.list's view per caller", () => {
  it("an admin, or a caller without a device-token identity, sees every node", () => {
    expect(call({ scopes: ["operator.admin"], callerDeviceId: B })).toEqual(list);
    expect(call({ scopes: ["operator.pairing"] })).toEqual(list);
  });

  it("a non-admin with a device-token identity sees only its own node", () => {
    expect(call({ scopes: ["operator.pairing"], callerDeviceId: A })).toEqual({ pending: list.pending, paired: [list.paired[0]] });
    expect(call({ scopes: ["operator.pairing"], callerDeviceId: B })).toEqual({ pending: [], paired: [list.paired[1]] });
  });

  it("a state it cannot reproduce is refused with UNAVAILABLE naming the reason", () => {
    expect(() => call({ scopes: ["operator.admin"] }, { kind: "refused", reason: "stored host stats" })).toThrow(expect.objectContaining({ shape: expect.objectContaining({ code: "UNAVAILABLE", message: "node.pair.list: stored host stats" }) }));
  });
});

describe("the scopes a node surface's approval needs", () => {
  it("follows the declared commands", () => {
    expect(nodePairApprovalScopes([])).toEqual(["operator.pairing"]);
    expect(nodePairApprovalScopes(undefined)).toEqual(["operator.pairing"]);
    expect(nodePairApprovalScopes(["canvas.present"])).toEqual(["operator.pairing", "operator.write"]);
    for (const admin of ["system.run", "system.run.prepare", "system.which", "system.execApprovals.get", "system.execApprovals.set", "browser.proxy", "browser.proxy.upload.v1", "fs.listDir", "terminal.upload"]) {
      expect(nodePairApprovalScopes(["canvas.present", admin])).toEqual(["operator.pairing", "operator.admin"]);
    }
  });
});
