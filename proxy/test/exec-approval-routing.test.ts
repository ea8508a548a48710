/**
 * Issue #12: the exec approval family follows the node owner (an approval must live in the process that holds
 * the node, where `system.run` is checked against it), and its two events reach a client from both backends
 * (each runtime makes approvals of its own: hanzod for operators' node runs, the legacy for its agent turns).
 * Routing, delivery and discovery say the same thing.
 */
import { describe, expect, it } from "vitest";
import { parseChecklist } from "../../parity/checklist/index.js";
import { EventRouter } from "../event-router.js";
import type { ProxyContext } from "../context.js";
import type { RoutingProfile } from "../identity.js";
import type { LegKey } from "../leg.js";
import { assembleHello } from "../hello/assemble.js";
import { NODE_BOUND_METHODS, routedEventOwner, servingBackend } from "../routing.js";
import type { Backend } from "../tap.js";

const operator: RoutingProfile = { nodeSession: false, bucket: 0 };
const node: RoutingProfile = { nodeSession: true, bucket: 0 };
const table = (nodeOwner: Backend, extra: string[] = []) => parseChecklist(["version: 1", `nodeOwner: ${nodeOwner}`, "default: legacy", ...extra].join("\n"), "c.yaml");
const FAMILY = ["exec.approval.request", "exec.approval.get", "exec.approval.list", "exec.approval.waitDecision", "exec.approval.resolve"];

function eventFrame(event: string, seq: number): Buffer {
  return Buffer.from(JSON.stringify({ type: "event", event, payload: { id: "a" }, seq }));
}

/** The events a connection is handed, per upstream leg, under `t`. */
function delivered(t: ReturnType<typeof table>, profile: RoutingProfile, events: Array<[LegKey, string]>, before: (r: EventRouter) => void = () => undefined): Array<[string, Backend]> {
  const out: Array<[string, Backend]> = [];
  const ctx = { table: () => t, sink: undefined, metrics: { countEvent: () => undefined } } as unknown as ProxyContext;
  const router = new EventRouter(ctx, "c1", "legacy", profile, (data, backend) => out.push([(JSON.parse(data.toString()) as { event: string }).event, backend]));
  before(router);
  const seq: Record<string, number> = {};
  for (const [leg, name] of events) router.onEvent(leg, eventFrame(name, (seq[leg] = (seq[leg] ?? 0) + 1)), undefined, JSON.parse(eventFrame(name, seq[leg]).toString()));
  return out;
}

describe("the exec approval family and the node owner", () => {
  it("exec.approval.* is answered by the node owner whatever the checklist routes, like node.invoke", () => {
    expect([...NODE_BOUND_METHODS].sort()).toEqual(["node.invoke", ...FAMILY].sort());
    for (const owner of ["hanzod", "legacy"] as const) {
      // Even an exact checklist entry for the method, or the family's default, does not move it off the node owner.
      const t = table(owner, ["methods:", `  exec.approval.list: ${owner === "hanzod" ? "legacy" : "hanzod"}`, `  exec.approvals.get: ${owner === "hanzod" ? "legacy" : "hanzod"}`]);
      for (const m of FAMILY) expect({ m, b: servingBackend(t, m, operator) }).toEqual({ m, b: owner });
      // The rest of the exec family (the policy reads and writes, grants) keeps its own routing.
      expect(servingBackend(t, "exec.approvals.get", operator)).toBe(owner === "hanzod" ? "legacy" : "hanzod");
    }
  });

  it("exec.approval.requested/resolved reach an operator from both backends; other exec events from the family owner only; a node socket from its owner only", () => {
    const events: Array<[LegKey, string]> = [
      ["legacy", "exec.approval.requested"],
      ["hanzod", "exec.approval.requested"],
      ["hanzod", "exec.approval.resolved"],
      ["legacy", "exec.approval.resolved"],
      ["legacy", "exec.approvals.changed"],
      ["hanzod", "exec.approvals.changed"],
    ];
    expect(delivered(table("hanzod"), operator, events)).toEqual([
      ["exec.approval.requested", "legacy"],
      ["exec.approval.requested", "hanzod"],
      ["exec.approval.resolved", "hanzod"],
      ["exec.approval.resolved", "legacy"],
      ["exec.approvals.changed", "legacy"],
    ]);
    // After a call of the exec family answered by hanzod, still both copies of the approval events.
    expect(delivered(table("legacy"), operator, events, (r) => r.noteRequest("exec.approvals.get", "hanzod")).filter(([e]) => e.startsWith("exec.approval.")).map(([, b]) => b)).toEqual(["legacy", "hanzod", "hanzod", "legacy"]);
    expect(delivered(table("hanzod"), node, events).map(([, b]) => b)).toEqual(["hanzod", "hanzod", "hanzod"]);
    expect(routedEventOwner(table("hanzod"), "exec.approval.requested", "legacy", node)).toBe("hanzod");
  });

  it("discovery lists an exec approval event that either backend sends, and the family's methods from the node owner", () => {
    const legacyHello = { type: "hello-ok", features: { methods: ["health", "node.invoke", ...FAMILY, "exec.approvals.get"], events: ["tick", "exec.approval.requested", "exec.approval.resolved"] } };
    const hanzodHello = { type: "hello-ok", features: { methods: ["health", "node.invoke", "exec.approvals.get", "exec.approval.list"], events: ["tick", "exec.approval.resolved", "node.hostStats"] } };
    for (const owner of ["hanzod", "legacy"] as const) {
      const t = table(owner, ["methods:", "  exec.approvals.get: hanzod"]);
      const features = assembleHello({
        auth: "legacy",
        hellos: { legacy: legacyHello, hanzod: hanzodHello },
        serves: (m) => servingBackend(t, m, operator),
        eventOwner: (e) => routedEventOwner(t, e, "legacy", operator),
      }).features as { methods: string[]; events: string[] };
      // Routed to hanzod and not served there: declined to the legacy, so listed as the legacy lists them.
      expect(features.methods).toEqual(expect.arrayContaining(FAMILY));
      expect(features.events).toEqual(expect.arrayContaining(["exec.approval.requested", "exec.approval.resolved"]));
    }
    // Only hanzod sends it (a legacy without it): listed all the same, since hanzod's copies are delivered.
    const t = table("hanzod");
    const onlyHanzod = assembleHello({
      auth: "legacy",
      hellos: { legacy: { type: "hello-ok", features: { methods: ["health"], events: ["tick"] } }, hanzod: hanzodHello },
      serves: (m) => servingBackend(t, m, operator),
      eventOwner: (e) => routedEventOwner(t, e, "legacy", operator),
    }).features as { events: string[] };
    expect(onlyHanzod.events).toContain("exec.approval.resolved");
  });
});

describe("exec.approval.list with the node owner on hanzod", () => {
  it("answers both runtimes' pending approvals, oldest first; hanzod's alone when the legacy's copy adds nothing", async () => {
    const { MERGED_LIST_METHODS, mergedList } = await import("../merged-list.js");
    expect([...MERGED_LIST_METHODS]).toEqual(["exec.approval.list"]);
    const hanzod = [{ id: "h1", createdAtMs: 20, approvalKind: "exec" }];
    const legacy = [{ id: "l1", createdAtMs: 10, approvalKind: "exec" }, { id: "l2", createdAtMs: 30, approvalKind: "exec" }, { id: "h1", createdAtMs: 20, approvalKind: "exec", dup: true }];
    expect(mergedList(hanzod, { ok: true, payload: legacy, latencyMs: 1 })).toEqual([legacy[0], hanzod[0], legacy[1]]);
    expect(mergedList(hanzod, { ok: false, error: { code: "INVALID_REQUEST", message: "x" }, latencyMs: 1 })).toBeUndefined();
    expect(mergedList(hanzod, { failed: "timeout", latencyMs: 1 })).toBeUndefined();
    expect(mergedList({ not: "a list" }, { ok: true, payload: legacy, latencyMs: 1 })).toBeUndefined();
  });
});
