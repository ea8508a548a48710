/**
 * The exec approval request family in hanzod (issue #12 stage 1): `exec.approval.request`, `.get`, `.list`,
 * `.waitDecision`, `.resolve`, answered as the legacy answers them (9.6 dist exec-approval-DrXULlUK.mjs,
 * approval-shared-BRvspomi.mjs, approval-record-lookup-MOevCiQS.mjs; 9.1 the same rules) for the records hanzod
 * holds. An id hanzod does not hold (unknown, or another process's epoch), a caller whose view the legacy
 * filters by session visibility, and a request hanzod cannot reproduce are declined: the proxy hands them to the
 * legacy, which holds its own approvals. Events go to hanzod's approval clients that may see the record.
 */
import { errorShape } from "../../../protocol/index.js";
import { declined, invalidRequest, MethodError, type CallerInfo, type MethodDeclaration } from "../../core/method.js";
import type { CoreServices } from "../../core/runtime.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { readConfigFile } from "../../state/config-snapshot.js";
import { OperatorApprovalStore, type ApprovalDecision } from "../../state/operator-approvals.js";
import { approvalRecipients, isVisibleTo, needsSessionVisibility } from "./audience.js";
import { ExecApprovalManager, InvalidApprovalIdError, type ExecApprovalRecord } from "./exec-approval-manager.js";
import { allowedDecisions, planRequest } from "./exec-request.js";
import { createSystemRunBinder } from "./system-run-binder.js";

export interface ExecApprovalsLive {
  store: OperatorApprovalStore;
  manager: ExecApprovalManager;
  configPath: string;
  core: CoreServices;
}

const NOT_FOUND_DETAILS = { reason: "APPROVAL_NOT_FOUND", remediation: "Re-request the action; pending approvals are cleared after expiry or restart." };
const unknownOrExpired = () => invalidRequest("unknown or expired approval id", NOT_FOUND_DETAILS);

/** Built at the domain's setup: the manager, and the binder provided to the node handler. */
export function setupExecApprovals(core: CoreServices): ExecApprovalsLive | undefined {
  if (!core.legacy) return undefined;
  const store = new OperatorApprovalStore(core.legacy.stateDb);
  const manager = new ExecApprovalManager(store, {
    // onExpired → publishAppliedApprovalResolution: decision deny, resolvedBy of the live record, ts = resolution time.
    onExpired: (row, record) => sendResolved(core, record, { id: record.id, decision: row.decision ?? "deny", resolvedBy: record.resolvedBy ?? null, ts: row.resolved_at_ms ?? Date.now(), request: record.request }),
    onError: (err, id) => core.log?.error({ err: String(err), approvalId: id }, "exec approval expire failed"),
  });
  core.systemRunApprovals.provide(createSystemRunBinder(manager));
  return { store, manager, configPath: core.legacy.configPath, core };
}

export function teardownExecApprovals(live: ExecApprovalsLive | undefined): void {
  if (!live) return;
  live.core.systemRunApprovals.provide(undefined);
  live.manager.retire();
  live.store.close();
}

function sendResolved(core: CoreServices, record: ExecApprovalRecord, event: Record<string, unknown>): void {
  core.eventClients.sendTo("exec.approval.resolved", event, approvalRecipients(core.eventClients.list(), record), { dropIfSlow: true });
}

/**
 * Routes hanzod cannot serve: chat-channel forwarders and native approval routes (config `approvals`,
 * `channels`), iOS and Web Push targets. With any of them the legacy's delivery (and its deliveryRoute) differs.
 */
function deliveryDecline(live: ExecApprovalsLive): string | undefined {
  const cfg = readConfigFile(live.configPath);
  if (cfg.kind === "invalid") return "the legacy's config does not parse";
  if (cfg.kind === "parsed" && cfg.parsed && typeof cfg.parsed === "object") {
    const c = cfg.parsed as Record<string, unknown>;
    if (c.approvals !== undefined) return "with approval forwarding configured (config approvals): its forwarders are the legacy's";
    if (c.channels && typeof c.channels === "object" && Object.keys(c.channels).length > 0) return "with chat channels configured: their native approval routes are the legacy's";
  }
  if (live.store.pushTargets() > 0) return "with iOS or Web Push targets registered: push delivery is the legacy's";
  const why = live.store.unavailable();
  return why ? `on ${why}` : undefined;
}

const need = (live: ExecApprovalsLive | undefined, method: string): ExecApprovalsLive => {
  if (!live) throw declined(`${method}: hanzod needs the legacy's state dir (--state-dir) for its approvals`);
  return live;
};

/** A lookup hanzod may answer: not a session-visibility caller, and no pending row of another process shares the prefix. */
function guardLookup(live: ExecApprovalsLive, method: string, caller: CallerInfo, input: string): void {
  if (needsSessionVisibility(caller)) throw declined(`${method} for a profile-bound non-admin caller: the legacy filters approvals by session visibility`);
  const trimmed = input.trim();
  if (trimmed && live.store.foreignPending(trimmed, live.manager.runtimeEpoch).length > 0) throw declined(`${method}: the id (or prefix) matches an approval another process holds`);
}

function repeated(record: ExecApprovalRecord, decision: ApprovalDecision): { ok: true } {
  if ((record.decision ?? record.consumedDecision) === decision) return { ok: true };
  throw invalidRequest("approval already resolved", { reason: "APPROVAL_ALREADY_RESOLVED" });
}

/** resolveExecApprovalCommandDisplay on a stored request (hanzod's texts need no sanitizing: see exec-request.ts). */
function display(request: Record<string, unknown>): { commandText: string; commandPreview: string | null } {
  const plan = request.systemRunPlan as { commandText?: string; commandPreview?: string | null } | null;
  const commandText = (request.command as string) || (request.host === "node" && plan ? (plan.commandText ?? "") : "");
  const previewRaw = ((request.commandPreview as string | undefined) ?? (request.host === "node" ? (plan?.commandPreview ?? null) : null))?.trim() ?? "";
  return { commandText, commandPreview: previewRaw && previewRaw !== commandText ? previewRaw : null };
}

export const execApprovalMethods: readonly MethodDeclaration<{ live: ExecApprovalsLive | undefined }>[] = [
  {
    name: "exec.approval.request",
    params: typeboxParams("exec.approval.request"),
    handler: async ({ state, params, caller, reply }) => {
      const live = need(state.live, "exec.approval.request");
      const plan = planRequest(params);
      if (plan.kind === "decline") throw declined(plan.reason);
      if (plan.kind === "invalid") throw invalidRequest(plan.message, plan.details);
      const why = deliveryDecline(live);
      if (why) throw declined(`exec.approval.request ${why}`);
      const { manager, store, core } = live;
      if (plan.explicitId && manager.snapshot(plan.explicitId)) throw invalidRequest("approval id already pending");
      let record: ExecApprovalRecord;
      try {
        record = manager.create(plan.request, plan.timeoutMs, plan.explicitId);
      } catch (err) {
        if (err instanceof InvalidApprovalIdError) throw invalidRequest(err.message, { code: err.code, reason: err.reason });
        throw err;
      }
      // An explicit id another process already stored is that process's to answer.
      if (plan.explicitId && !manager.holds(record.id) && store.row(record.id) !== undefined) throw declined("exec.approval.request: the id belongs to an approval another process stored");
      // bindApprovalRequesterMetadata
      record.requestedByConnId = caller.connId;
      record.requestedByDeviceId = caller.deviceId ?? null;
      record.requestedByClientId = caller.clientId ?? null;
      record.requestedByDeviceTokenAuth = caller.callerDeviceId !== undefined;
      let decision: Promise<ApprovalDecision | null>;
      try {
        decision = manager.register(record, {
          id: record.id,
          presentation: plan.presentation,
          requester: { deviceId: record.requestedByDeviceId, clientId: record.requestedByClientId, deviceTokenAuth: record.requestedByDeviceTokenAuth },
          source: { agentId: plan.agentId, sessionKey: null, sessionId: plan.sessionId, runId: null, toolCallId: plan.toolCallId, toolName: null },
          runtimeEpoch: manager.runtimeEpoch,
          createdAtMs: record.createdAtMs,
          expiresAtMs: record.expiresAtMs,
        });
      } catch (err) {
        core.log?.error({ err: String(err) }, "approval request storage failure");
        throw new MethodError(errorShape("UNAVAILABLE", "approval request unavailable"));
      }
      // handlePendingApprovalRequest: the requested event to the approval clients that can see it (not the requester's own connection).
      const recipients = plan.suppressDelivery ? new Set<string>() : approvalRecipients(core.eventClients.list(), record, caller.connId);
      if (!plan.suppressDelivery) core.eventClients.sendTo("exec.approval.requested", { approvalKind: "exec", id: record.id, request: record.request, createdAtMs: record.createdAtMs, expiresAtMs: record.expiresAtMs }, recipients, { dropIfSlow: true });
      const hasClients = recipients.size > 0;
      if (plan.requireDeliveryRoute && !hasClients) manager.denyNoRoute(record.id);
      else if (plan.twoPhase) reply.accepted({ status: "accepted", id: record.id, deliveryRoute: hasClients ? "approval-client" : "none", createdAtMs: record.createdAtMs, expiresAtMs: record.expiresAtMs });
      return { id: record.id, decision: await decision, createdAtMs: record.createdAtMs, expiresAtMs: record.expiresAtMs };
    },
  },
  {
    name: "exec.approval.get",
    params: typeboxParams("exec.approval.get"),
    handler: ({ state, params, caller }) => {
      const live = need(state.live, "exec.approval.get");
      const input = params.id as string;
      guardLookup(live, "exec.approval.get", caller, input);
      const found = live.manager.lookup(input, { filter: (r) => isVisibleTo(r, caller) });
      if (found.kind === "ambiguous") throw invalidRequest("ambiguous approval id prefix; use the full id");
      // A record hanzod still holds (resolved, in its grace) is its own to refuse; anything else the legacy's.
      if (found.kind === "none" && live.manager.local(input.trim()) === null) throw declined("exec.approval.get: not an approval hanzod holds");
      if (found.kind === "none") throw unknownOrExpired();
      const snap = live.manager.snapshot(found.id);
      if (!snap || snap.resolvedAtMs !== undefined || !isVisibleTo(snap, caller)) throw unknownOrExpired();
      const { commandText, commandPreview } = display(snap.request);
      return { id: found.id, commandText, commandPreview, allowedDecisions: allowedDecisions(snap.request.ask), host: snap.request.host ?? null, nodeId: snap.request.nodeId ?? null, agentId: snap.request.agentId ?? null, expiresAtMs: snap.expiresAtMs };
    },
  },
  {
    name: "exec.approval.list",
    // The legacy checks no params here.
    params: "handler",
    handler: ({ state, caller }) => {
      const live = need(state.live, "exec.approval.list");
      if (needsSessionVisibility(caller)) throw declined("exec.approval.list for a profile-bound non-admin caller: the legacy filters approvals by session visibility");
      // The legacy lists its own memory: while it holds pending approvals, only a merge of both lists would be its answer.
      if (live.store.foreignPending("", live.manager.runtimeEpoch).length > 0) throw declined("exec.approval.list while another process holds pending exec approvals");
      return live.manager.listPending().filter((r) => isVisibleTo(r, caller)).map((r) => ({ id: r.id, request: r.request, createdAtMs: r.createdAtMs, expiresAtMs: r.expiresAtMs, approvalKind: "exec" }));
    },
  },
  {
    name: "exec.approval.waitDecision",
    // handleApprovalWaitDecision reads `id` itself (no schema check).
    params: "handler",
    handler: async ({ state, params, caller }) => {
      const live = need(state.live, "exec.approval.waitDecision");
      const id = typeof params.id === "string" ? params.id.trim() : "";
      if (!id) throw invalidRequest("id is required");
      if (needsSessionVisibility(caller)) throw declined("exec.approval.waitDecision for a profile-bound non-admin caller: the legacy filters approvals by session visibility");
      const snap = live.manager.snapshot(id);
      if (!snap) throw declined("exec.approval.waitDecision: not an approval hanzod holds");
      if (!isVisibleTo(snap, caller)) throw invalidRequest("approval expired or not found");
      const waiting = live.manager.awaitDecision(id);
      if (!waiting) throw invalidRequest("approval expired or not found");
      const decision = await waiting;
      const terminal = live.manager.snapshot(id) ?? snap;
      if (!isVisibleTo(terminal, caller)) throw unknownOrExpired();
      return { id, decision, createdAtMs: terminal.createdAtMs, expiresAtMs: terminal.expiresAtMs, terminalReason: terminal.terminalReason ?? undefined };
    },
  },
  {
    name: "exec.approval.resolve",
    params: typeboxParams("exec.approval.resolve"),
    handler: ({ state, params, caller }) => {
      const live = need(state.live, "exec.approval.resolve");
      const decision = params.decision;
      if (decision !== "allow-once" && decision !== "allow-always" && decision !== "deny") throw invalidRequest("invalid decision");
      // A chat reviewer's custody is the legacy's channel runtime.
      if (params.reviewer !== undefined) throw declined("exec.approval.resolve with a channel reviewer: channel custody is the legacy's");
      const input = params.id as string;
      guardLookup(live, "exec.approval.resolve", caller, input);
      const { manager } = live;
      const visible = (r: ExecApprovalRecord) => isVisibleTo(r, caller);
      const found = manager.lookup(input, { filter: visible });
      if (found.kind === "ambiguous") throw invalidRequest("ambiguous approval id prefix; use the full id");
      if (found.kind === "none") {
        const done = manager.lookup(input, { includeResolved: true, filter: visible });
        if (done.kind === "ambiguous") throw invalidRequest("ambiguous approval id prefix; use the full id");
        if (done.kind === "none") throw declined("exec.approval.resolve: not an approval hanzod holds");
        const snap = manager.snapshot(done.id);
        if (!snap || snap.resolvedAtMs === undefined || !visible(snap)) throw unknownOrExpired();
        return repeated(snap, decision);
      }
      const snap = manager.snapshot(found.id);
      if (!snap || snap.resolvedAtMs !== undefined || !visible(snap)) throw unknownOrExpired();
      if (!allowedDecisions(snap.request.ask).includes(decision)) throw invalidRequest("allow-always is unavailable for this command", { reason: "APPROVAL_ALLOW_ALWAYS_UNAVAILABLE" });
      const resolvedBy = caller.clientDisplayName ?? caller.clientId ?? null;
      let ok: boolean;
      try {
        ok = manager.resolve(found.id, decision, resolvedBy);
      } catch (err) {
        live.core.log?.error({ err: String(err) }, "approval resolve storage failure");
        throw new MethodError(errorShape("UNAVAILABLE", "approval resolve unavailable"));
      }
      if (!ok) {
        const raced = manager.snapshot(found.id);
        if (raced && raced.resolvedAtMs !== undefined) return repeated(raced, decision);
        throw unknownOrExpired();
      }
      sendResolved(live.core, snap, { id: found.id, decision, resolvedBy, ts: Date.now(), request: snap.request });
      return { ok: true };
    },
  },
];
