/**
 * `node.invoke system.run` without a live legacy (issue #12 stage 1): the legacy's param handling before a run
 * reaches the node (sanitizeSystemRunParamsForForwarding, normalizeSystemRunInvokeParams) and its matching of the
 * node's exec events to the runs it sent (authorizeSystemRunEvent). The same calls against the real node host and
 * the real legacy: node-pair-list.test.ts.
 */
import { describe, expect, it } from "vitest";
import { NodeRegistry, type NodeSession } from "../core/nodes.js";
import { formatExecCommand, normalizeSystemRun, notifiesOnExit, prepareSystemRun } from "../domains/nodes/system-run.js";
import { DECLINED_NODE_COMMANDS } from "../domains/nodes/owner-gaps.js";
import { SystemRunApprovalSlot, type SystemRunApprovalBinder } from "../core/system-run-approvals.js";

function session(connId: string, sent: string[], nodeId = "n1"): NodeSession {
  return { nodeId, connId, clientId: "node-host", clientMode: "node", declaredCaps: [], declaredCommands: ["system.run"], connectedAtMs: 1000, send: (t) => (sent.push(t), true) };
}
const sentParams = (frame: string) => JSON.parse((JSON.parse(frame) as { payload: { paramsJSON: string } }).payload.paramsJSON) as Record<string, unknown>;
const sentId = (frame: string) => (JSON.parse(frame) as { payload: { id: string } }).payload.id;

describe("system.run params as the legacy forwards them", () => {
  it("hanzod serves system.run and system.run.prepare (nothing declined by command)", () => {
    expect([...DECLINED_NODE_COMMANDS.keys()]).toEqual([]);
  });

  it("approval flags before the approvals domain is set up: no record held, so the legacy's unknown-id refusal, until a binder is provided", () => {
    const slot = new SystemRunApprovalSlot();
    const input = { nodeId: "n1", params: { command: ["echo"], approved: true, approvalDecision: "allow-once", runId: " r1 " }, requester: { connId: "c1" } };
    expect(slot.current.bind(input)).toEqual({ ok: false, error: { code: "INVALID_REQUEST", message: "unknown or expired approval id", details: { code: "UNKNOWN_APPROVAL_ID", runId: "r1" } } });
    const provided: SystemRunApprovalBinder = { bind: (i) => ({ ok: true, params: i.params, release: () => {} }) };
    slot.provide(provided);
    expect(slot.current).toBe(provided);
  });

  it("keeps the legacy's whitelist, drops approval flags that ask for nothing, and refuses as the legacy refuses", () => {
    expect(prepareSystemRun({ command: ["echo", "a b"], rawCommand: 'echo "a b"', cwd: "/tmp", approved: false, approvalDecision: "deny", turnSourceChannel: "x", security: "full", suppressNotifyOnExit: true })).toEqual({
      kind: "forward",
      params: { command: ["echo", "a b"], rawCommand: 'echo "a b"', cwd: "/tmp", suppressNotifyOnExit: true },
    });
    expect(prepareSystemRun("not an object")).toEqual({ kind: "forward", params: "not an object" });
    expect(prepareSystemRun({ command: ["x"], approvalSource: "operator" })).toMatchObject({ kind: "refused", error: { code: "INVALID_REQUEST", message: "approval source invalid", details: { code: "INVALID_APPROVAL_SOURCE" } } });
    expect(prepareSystemRun({ command: ["x"], approvalSource: "ask-fallback", approvalDecision: "allow-once" })).toMatchObject({ kind: "refused", error: { details: { code: "APPROVAL_SOURCE_MISMATCH" } } });
    expect(prepareSystemRun({ command: ["x"], approvalDecision: "allow-once" })).toMatchObject({ kind: "refused", error: { message: "approval override requires params.runId", details: { code: "MISSING_RUN_ID" } } });
    expect(prepareSystemRun({ rawCommand: "x" })).toMatchObject({ kind: "refused", error: { message: "rawCommand requires params.command", details: { code: "MISSING_COMMAND" } } });
    // A rawCommand other than the argv's text: the legacy's shell parser may accept it (a wrapper's inline command).
    expect(prepareSystemRun({ command: ["sh", "-c", "echo hi"], rawCommand: "echo hi" })).toMatchObject({ kind: "declined" });
    // Approval asked for: the binder gets the whitelisted params and the flags as sent.
    expect(prepareSystemRun({ command: ["x"], runId: "r", approved: true, approvalDecision: "allow-once", agentId: "main", extra: 1 })).toEqual({ kind: "bind", params: { command: ["x"], runId: "r", approved: true, approvalDecision: "allow-once", agentId: "main" } });
    expect(formatExecCommand(["a", "", 'say "hi"'])).toBe('a "" "say \\"hi\\""');
  });

  it("mints a runId when absent and normalises timeoutMs (positive clamped, zero or negative null, non-number dropped)", () => {
    const minted = normalizeSystemRun({ command: ["x"], timeoutMs: "5" });
    expect(minted.params).toEqual({ command: ["x"], runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(minted.event).toEqual({ runId: (minted.params as { runId: string }).runId });
    expect(normalizeSystemRun({ runId: " r ", timeoutMs: 0, sessionKey: "s" })).toEqual({ params: { runId: "r", timeoutMs: null, sessionKey: "s" }, event: { runId: "r", sessionKey: "s", timeoutMs: null } });
    expect(normalizeSystemRun({ runId: "r", timeoutMs: 1500.7 }).params).toEqual({ runId: "r", timeoutMs: 1500 });
    expect(normalizeSystemRun({ runId: "r", timeoutMs: 9e12 }).params).toEqual({ runId: "r", timeoutMs: 2_147_000_000 });
    expect(normalizeSystemRun(undefined)).toEqual({ params: undefined });
  });

  it("a run whose end the legacy would tell an agent session is the legacy's (notifyOnExit on, not suppressed)", () => {
    expect(notifiesOnExit({ command: ["x"] }, {})).toBe(true);
    expect(notifiesOnExit({ command: ["x"] }, undefined)).toBe(true);
    expect(notifiesOnExit({ command: ["x"], suppressNotifyOnExit: true }, {})).toBe(false);
    expect(notifiesOnExit({ command: ["x"] }, { tools: { exec: { notifyOnExit: false } } })).toBe(false);
  });
});

describe("the node's exec events matched to the runs sent to it", () => {
  it("matches by node, connection, runId and session; a terminal event uses it up; another connection's or an unknown run is unmatched", async () => {
    const reg = new NodeRegistry();
    const sent: string[] = [];
    reg.register(session("c1", sent));
    const run = reg.invoke({ nodeId: "n1", command: "system.run", params: { runId: "r1" }, idempotencyKey: "k", systemRunEvent: { runId: "r1", sessionKey: "agent:main:main", timeoutMs: 1000 } });
    const ev = (over: Partial<{ connId: string; runId: string; sessionKey: string; terminal: boolean }> = {}) => reg.authorizeSystemRunEvent({ nodeId: "n1", connId: "c1", runId: "r1", sessionKey: "agent:main:main", terminal: false, ...over });
    expect(ev({ connId: "c2" })).toBe(false);
    expect(ev({ runId: "r2" })).toBe(false);
    expect(ev({ sessionKey: "other" })).toBe(false);
    expect(ev()).toBe(true);
    expect(ev({ terminal: true })).toBe(true);
    expect(ev({ terminal: true })).toBe(false);
    expect(sentParams(sent[0]!)).toEqual({ runId: "r1" });
    reg.handleResult({ id: sentId(sent[0]!), nodeId: "n1", connId: "c1", ok: true });
    await run;
  });

  it("a run without a session key matches any; a failed run or a dropped connection forgets it", async () => {
    const reg = new NodeRegistry();
    const sent: string[] = [];
    reg.register(session("c1", sent));
    const failed = reg.invoke({ nodeId: "n1", command: "system.run", idempotencyKey: "k", systemRunEvent: { runId: "r1" } });
    reg.handleResult({ id: sentId(sent[0]!), nodeId: "n1", connId: "c1", ok: false, error: { code: "X", message: "x" } });
    await failed;
    expect(reg.authorizeSystemRunEvent({ nodeId: "n1", connId: "c1", runId: "r1", sessionKey: "node", terminal: true })).toBe(false);
    const dropped = reg.invoke({ nodeId: "n1", command: "system.run", idempotencyKey: "k", systemRunEvent: { runId: "r2" } });
    expect(reg.authorizeSystemRunEvent({ nodeId: "n1", connId: "c1", runId: "r2", sessionKey: "node", terminal: false })).toBe(true);
    reg.unregister("c1");
    await dropped;
    expect(reg.authorizeSystemRunEvent({ nodeId: "n1", connId: "c1", runId: "r2", sessionKey: "node", terminal: true })).toBe(false);
  });
});
