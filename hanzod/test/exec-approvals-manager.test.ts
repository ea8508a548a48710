/**
 * hanzod's exec approval manager, store and system.run binder on a state database with the legacy's own
 * `operator_approvals` DDL (its CHECK constraints judge every write): rows under hanzod's own epoch, another
 * epoch's rows never touched, expiry and grace on a fake clock, allow-once consumed once, allow-always
 * replayed, the binder's refusals with the legacy's codes, and the request plan against the legacy's own
 * command analysis (its dist, when installed).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { OperatorApprovalStore, resolutionRef, type ApprovalRow } from "../state/operator-approvals.js";
import { ExecApprovalManager, type ExecApprovalRecord } from "../domains/approvals/exec-approval-manager.js";
import { createSystemRunBinder } from "../domains/approvals/system-run-binder.js";
import { isDeviceId, planRequest } from "../domains/approvals/exec-request.js";
import { OPERATOR_APPROVALS_DDL } from "./operator-approvals-ddl.js";

const PLAN = { argv: ["touch", "/tmp/x"], cwd: null, commandText: "touch /tmp/x", agentId: null, sessionKey: null };
const REQUEST = { host: "node", nodeId: "node-1", systemRunPlan: PLAN, ask: "on-miss" };

let dir: string;
let dbPath: string;
let store: OperatorApprovalStore;
let manager: ExecApprovalManager;
let expired: { row: ApprovalRow; record: ExecApprovalRecord }[];

const rows = () => {
  const db = openSqlite(dbPath, { readonly: true });
  try {
    return db.prepare("SELECT * FROM operator_approvals ORDER BY created_at_ms, approval_id").all() as ApprovalRow[];
  } finally {
    db.close();
  }
};
const rowOf = (id: string) => rows().find((r) => r.approval_id === id);

function request(id: string | null, timeoutMs = 60_000, requester: Partial<ExecApprovalRecord> = { requestedByConnId: "conn-r", requestedByDeviceId: "dev-r" }) {
  const plan = planRequest({ ...REQUEST, ...(id ? { id } : {}), timeoutMs });
  if (plan.kind !== "ok") throw new Error(JSON.stringify(plan));
  const record = Object.assign(manager.create(plan.request, plan.timeoutMs, plan.explicitId), requester);
  const decision = manager.register(record, {
    id: record.id,
    presentation: plan.presentation,
    requester: { deviceId: record.requestedByDeviceId, clientId: "cli", deviceTokenAuth: false },
    source: { agentId: null, sessionKey: null, sessionId: null, runId: null, toolCallId: null, toolName: null },
    runtimeEpoch: manager.runtimeEpoch,
    createdAtMs: record.createdAtMs,
    expiresAtMs: record.expiresAtMs,
  });
  return { record, decision };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  dir = mkdtempSync(join(tmpdir(), "hz-approvals-"));
  dbPath = join(dir, "openclaw.sqlite");
  const db = openSqlite(dbPath);
  db.exec(OPERATOR_APPROVALS_DDL);
  db.pragma("user_version = 18");
  db.close();
  store = new OperatorApprovalStore(dbPath);
  expired = [];
  manager = new ExecApprovalManager(store, { onExpired: (row, record) => void expired.push({ row, record }) });
});

afterEach(() => {
  manager.retire();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  vi.useRealTimers();
});

describe("the exec approval manager on operator_approvals", () => {
  it("writes a pending row under its own epoch, resolves it once, consumes allow-once once, then forgets it after the 15 s grace", async () => {
    const { record, decision } = request("appr-1");
    expect(rowOf("appr-1")).toMatchObject({ status: "pending", runtime_epoch: manager.runtimeEpoch, resolution_ref: resolutionRef("appr-1"), requested_by_device_id: "dev-r", decision: null });
    expect(JSON.parse(rowOf("appr-1")!.presentation_json)).toEqual({ kind: "exec", commandText: "touch /tmp/x", commandPreview: null, warningText: null, host: "node", nodeId: "node-1", agentId: null, allowedDecisions: ["allow-once", "allow-always", "deny"] });
    expect(manager.resolve(record.id, "allow-once", "approver")).toBe(true);
    await expect(decision).resolves.toBe("allow-once");
    expect(rowOf("appr-1")).toMatchObject({ status: "allowed", decision: "allow-once", terminal_reason: "user", resolver_kind: "runtime", resolver_id: "approver" });
    // A second verdict loses: the row keeps the first.
    expect(manager.resolve(record.id, "deny", "other")).toBe(false);
    expect(manager.consumeAllowOnce(record.id)).toBe(true);
    expect(manager.consumeAllowOnce(record.id)).toBe(false);
    expect(rowOf("appr-1")).toMatchObject({ consumed_by: "appr-1", consumed_at_ms: Date.now() });
    vi.advanceTimersByTime(14_999);
    expect(manager.snapshot(record.id)).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(manager.snapshot(record.id)).toBeNull();
  });

  it("expires on its timer: row expired/timeout by the system, decision null to the waiter, the resolved-deny publication", async () => {
    const { record, decision } = request(null, 1_000);
    vi.advanceTimersByTime(999);
    expect(rowOf(record.id)!.status).toBe("pending");
    vi.advanceTimersByTime(1);
    await expect(decision).resolves.toBeNull();
    expect(rowOf(record.id)).toMatchObject({ status: "expired", decision: "deny", terminal_reason: "timeout", resolver_kind: "system", resolver_id: null, resolved_at_ms: record.expiresAtMs });
    expect(expired).toHaveLength(1);
    expect(expired[0]!.row.decision).toBe("deny");
    // One ask-fallback re-admission, no second.
    expect(manager.consumeAskFallback(record.id)).toBe(true);
    expect(manager.consumeAskFallback(record.id)).toBe(false);
  });

  it("never touches another epoch's pending row, and settles its waiter from a row the legacy's restart sweep cancelled", async () => {
    const db = openSqlite(dbPath);
    const now = Date.now();
    db.prepare(
      "INSERT INTO operator_approvals (approval_id, resolution_ref, kind, status, presentation_json, reviewer_device_ids_json, audience_session_keys_json, runtime_epoch, created_at_ms, expires_at_ms, updated_at_ms) VALUES ('legacy-1', ?, 'exec', 'pending', '{}', '[]', '[]', 'legacy-epoch', ?, ?, ?)",
    ).run(resolutionRef("legacy-1"), now, now + 1_000, now);
    const { record, decision } = request("mine-1");
    expect(store.foreignPending("LEG", manager.runtimeEpoch)).toEqual(["legacy-1"]);
    expect(manager.resolve("legacy-1", "deny", "x")).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(rowOf("legacy-1")).toMatchObject({ status: "pending", runtime_epoch: "legacy-epoch" });
    // The legacy's closeOrphanedOperatorApprovals on its restart:
    db.prepare("UPDATE operator_approvals SET status = 'cancelled', decision = 'deny', terminal_reason = 'gateway-restart', resolved_at_ms = ?, resolver_kind = 'system', updated_at_ms = ? WHERE approval_id = 'mine-1'").run(Date.now(), Date.now());
    db.close();
    expect(manager.resolve(record.id, "allow-once", "approver")).toBe(false);
    await expect(decision).resolves.toBeNull();
    expect(manager.snapshot(record.id)).toMatchObject({ status: "cancelled", terminalReason: "gateway-restart" });
  });

  it("denies at once without a route (denied/no-route, decision null)", async () => {
    const { record, decision } = request(null);
    expect(manager.denyNoRoute(record.id)).toBe(true);
    await expect(decision).resolves.toBeNull();
    expect(rowOf(record.id)).toMatchObject({ status: "denied", terminal_reason: "no-route", resolver_kind: "system", resolver_id: "no-approval-route" });
  });
});

describe("the system.run approval binder", () => {
  const requester = { connId: "conn-r", deviceId: "dev-r", clientId: "cli", scopes: ["operator.write", "operator.approvals"] };
  const bind = (params: Record<string, unknown>, over: Partial<{ nodeId: string; requester: typeof requester }> = {}) =>
    createSystemRunBinder(manager).bind({ nodeId: over.nodeId ?? "node-1", params, requester: over.requester ?? requester });
  const code = (r: ReturnType<typeof bind>) => (r.ok ? "ok" : (r.error.details as { code: string }).code);

  it("refuses as the legacy refuses, then forwards the stored plan once for allow-once", async () => {
    const { record } = request("run-1");
    const flags = { runId: "run-1", approved: true, approvalDecision: "allow-once", command: ["touch", "/tmp/other"], cwd: "/elsewhere" };
    expect(code(bind({ approved: true }))).toBe("MISSING_RUN_ID");
    expect(code(bind({ ...flags, runId: "nope" }))).toBe("UNKNOWN_APPROVAL_ID");
    expect(code(bind(flags, { nodeId: "node-2" }))).toBe("APPROVAL_NODE_MISMATCH");
    expect(code(bind(flags, { requester: { ...requester, deviceId: "dev-x" } }))).toBe("APPROVAL_DEVICE_MISMATCH");
    expect(code(bind({ ...flags, approvalSource: "other" }))).toBe("INVALID_APPROVAL_SOURCE");
    // Still pending: approval required.
    expect(bind(flags)).toEqual({ ok: false, error: { code: "INVALID_REQUEST", message: "approval required", details: { code: "APPROVAL_REQUIRED", runId: "run-1" } } });
    manager.resolve(record.id, "allow-once", "approver");
    const bound = bind(flags);
    expect(bound.ok && bound.params).toEqual({ command: ["touch", "/tmp/x"], rawCommand: "touch /tmp/x", runId: "run-1", systemRunPlan: { ...PLAN, commandPreview: null }, approved: true, approvalDecision: "allow-once" });
    expect(code(bind(flags))).toBe("APPROVAL_REQUIRED");
    // Retained through the handoff past the grace, then released: a fresh 15 s grace.
    vi.advanceTimersByTime(20_000);
    expect(manager.snapshot("run-1")).not.toBeNull();
    if (bound.ok) bound.release();
    vi.advanceTimersByTime(15_000);
    expect(code(bind(flags))).toBe("UNKNOWN_APPROVAL_ID");
  });

  it("replays allow-always, refuses a denied record, binds a device-less request to its connection", async () => {
    const always = request("run-a").record;
    manager.resolve(always.id, "allow-always", "approver");
    const flags = { runId: "run-a", approved: true, approvalDecision: "allow-always" };
    expect(code(bind(flags))).toBe("ok");
    expect(code(bind(flags))).toBe("ok");
    expect(code(bind({ runId: "run-a", approvalSource: "ask-fallback" }))).toBe("APPROVAL_SOURCE_MISMATCH");
    const denied = request("run-d").record;
    manager.resolve(denied.id, "deny", "approver");
    expect(code(bind({ runId: "run-d", approved: true }))).toBe("APPROVAL_REQUIRED");
    const noDevice = request("run-c", 60_000, { requestedByConnId: "conn-c", requestedByDeviceId: null }).record;
    manager.resolve(noDevice.id, "allow-always", "approver");
    expect(code(bind({ runId: "run-c", approved: true }))).toBe("APPROVAL_CLIENT_MISMATCH");
    expect(code(bind({ runId: "run-c", approved: true }, { requester: { ...requester, connId: "conn-c", deviceId: "other" } }))).toBe("ok");
  });

  it("admits one ask-fallback after a timeout (approvals scope only), then the replay window closes", async () => {
    const { record, decision } = request("run-t", 1_000);
    vi.advanceTimersByTime(1_000);
    await decision;
    const fallback = { runId: record.id, approvalSource: "ask-fallback" };
    expect(code(bind(fallback, { requester: { ...requester, scopes: ["operator.write"] } }))).toBe("APPROVAL_REQUIRED");
    const ok = bind(fallback);
    expect(ok.ok && ok.params.approvalSource).toBe("ask-fallback");
    // Consumed: the record now counts as expired by its own expiry, not the replay window.
    expect(code(bind(fallback))).toBe("APPROVAL_REQUIRED");
    vi.advanceTimersByTime(1);
    expect(code(bind(fallback))).toBe("APPROVAL_EXPIRED");
  });
});

describe("the request plan against the legacy's own command analysis", () => {
  const dist = join(homedir(), ".cache/hanzonode/openclaw-2026.9.6/node_modules/openclaw/dist");
  it.skipIf(!existsSync(join(dist, "policy-BwFvV9Jw.mjs")))("the legacy reads each accepted executable as one plain segment", async () => {
    const policy = (await import(pathToFileURL(join(dist, "policy-BwFvV9Jw.mjs")).href)) as { t: (p: unknown) => { ok: boolean; segments: { argv: string[]; resolution?: { effectiveArgv?: string[] } }[] } };
    const risks = (await import(pathToFileURL(join(dist, "risks-HzTsadnl.mjs")).href)) as { s: (segs: unknown) => unknown; a: (argv: string[]) => unknown[] };
    for (const argv of [["echo", "hi"], ["touch", "/tmp/x"], ["/bin/ls", "-la", "/tmp"], ["cat", "a b"], ["sleep", "1"], ["printf", "%s", "x"]]) {
      const plan = planRequest({ host: "node", nodeId: "n", systemRunPlan: { argv, cwd: null, commandText: argv.join(" "), agentId: null, sessionKey: null } });
      expect(plan.kind).toBe("ok");
      const analysis = policy.t({ source: "argv", argv });
      expect(analysis.ok).toBe(true);
      expect(analysis.segments).toHaveLength(1);
      expect(risks.s(analysis.segments)).toBeNull();
      expect(analysis.segments.flatMap((s) => risks.a(s.resolution?.effectiveArgv ?? s.argv))).toEqual([]);
    }
    for (const argv of [["sh", "-c", "ls"], ["node", "-e", "1"], ["xargs", "ls"], ["find", ".", "-exec", "rm", "{}", ";"], ["env", "A=1", "ls"]]) {
      expect(planRequest({ host: "node", nodeId: "n", systemRunPlan: { argv, cwd: null, commandText: argv.join(" "), agentId: null, sessionKey: null } }).kind).toBe("decline");
    }
  });
});

describe("the plan's mutable file operand (normalizeSystemRunApprovalFileOperand)", () => {
  const base = { argv: ["/usr/bin/echo", "hi"], cwd: null, commandText: "/usr/bin/echo hi", agentId: null, sessionKey: null };
  const plan = (mutableFileOperand: unknown) => planRequest({ host: "node", nodeId: "n", systemRunPlan: { ...base, mutableFileOperand } });
  it("a well-formed one (the node binds a file its user may change, the executable itself when run as root) is stored with the plan, as the legacy stores it", () => {
    const operand = { argvIndex: 0, path: "/usr/bin/echo", sha256: "ab".repeat(32) };
    const ok = plan({ ...operand, extra: 1 });
    expect(ok.kind === "ok" && ok.request.systemRunPlan).toEqual({ ...base, commandPreview: null, mutableFileOperand: operand });
  });
  it("a malformed one (null included) makes no plan: the legacy's `systemRunPlan is required for host=node`", () => {
    for (const bad of [null, {}, { argvIndex: -1, path: "/x", sha256: "s" }, { argvIndex: 0, path: " ", sha256: "s" }, { argvIndex: 0.5, path: "/x", sha256: "s" }, []]) {
      expect(plan(bad)).toEqual({ kind: "invalid", message: "systemRunPlan is required for host=node" });
    }
  });
});

describe("a node id shaped as a device id (the SHA-256 of its key, lowercase hex)", () => {
  const base = { argv: ["/usr/bin/echo", "hi"], cwd: null, commandText: "/usr/bin/echo hi", agentId: null, sessionKey: null };
  it("is accepted though it is a long opaque run (the text declines stay for anything else)", () => {
    const id = randomBytes(32).toString("hex");
    expect(planRequest({ host: "node", nodeId: id, systemRunPlan: base }).kind).toBe("ok");
    expect(planRequest({ host: "node", nodeId: id.toUpperCase(), systemRunPlan: base }).kind).toBe("decline");
    expect(planRequest({ host: "node", nodeId: `${id}0`, systemRunPlan: base }).kind).toBe("decline");
  });
  const dist = join(homedir(), ".cache/hanzonode/openclaw-2026.9.6/node_modules/openclaw/dist");
  it.skipIf(!existsSync(join(dist, "exec-approval-text-sanitize-B7wKpPNH.mjs")))("the legacy's display sanitizer (presentation nodeId) leaves such ids unchanged", async () => {
    const sanitize = (await import(pathToFileURL(join(dist, "exec-approval-text-sanitize-B7wKpPNH.mjs")).href)) as { n: (text: string) => string };
    for (let i = 0; i < 2000; i++) {
      const id = randomBytes(32).toString("hex");
      expect(isDeviceId(id)).toBe(true);
      expect(sanitize.n(id)).toBe(id);
    }
  });
});
