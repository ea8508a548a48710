/**
 * The approval binding on `node.invoke system.run` (the legacy's `sanitizeSystemRunParamsForForwarding`, 9.6
 * dist nodes-XMeKuhCX.mjs:284-505, identical rules and codes in 9.1 nodes-Bqss3Rbl.js): approval flags
 * (`approved`, `approvalDecision`, `approvalSource`) pass only when backed by a live record hanzod holds, bound
 * to the node, the requesting device (else connection) and the stored plan; allow-once is consumed once,
 * allow-always replays while the record lives, a timed-out record admits one ask-fallback. The forwarded
 * command, raw command, cwd, agent and session come from the stored plan; the record is retained until
 * release() (the dispatch's end). Every refusal is INVALID_REQUEST with `details.code`, as the legacy's.
 */
import { errorShape } from "../../../protocol/index.js";
import { unknownApprovalId, type SystemRunApprovalBinder, type SystemRunBindInput, type SystemRunBindResult } from "../../core/system-run-approvals.js";
import { RESOLVED_GRACE_MS, type ExecApprovalManager } from "./exec-approval-manager.js";
import type { Plan } from "./exec-request.js";

const PICKED = ["command", "rawCommand", "systemRunPlan", "cwd", "env", "timeoutMs", "needsScreenRecording", "agentId", "sessionKey", "runId", "suppressNotifyOnExit"] as const;
const BRIDGEABLE_NO_DEVICE_CLIENT_IDS = new Set(["openclaw-control-ui", "webchat-ui", "webchat", "gateway-client"]);

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

function refuse(code: string, message: string, details: Record<string, unknown> = {}): SystemRunBindResult {
  return { ok: false, error: errorShape("INVALID_REQUEST", message, { code, ...details }) };
}

/** The stored plan's fields (the request stored a normalized plan). */
type StoredPlan = Plan;

/** resolveForwardedRawCommand: the plan's preview when it is the shell payload of its argv, else its text. hanzod only holds plans of plain executables (no shell wrapper), whose preview never is. */
function forwardedRawCommand(plan: StoredPlan): string {
  return plan.commandText;
}

export function createSystemRunBinder(manager: ExecApprovalManager): SystemRunApprovalBinder {
  return {
    bind(input: SystemRunBindInput): SystemRunBindResult {
      const p = input.params;
      const approved = p.approved === true;
      const decisionText = str(p.approvalDecision);
      const requestedDecision = decisionText === "allow-once" || decisionText === "allow-always" ? decisionText : null;
      if (p.approvalSource != null && p.approvalSource !== "ask-fallback") return refuse("INVALID_APPROVAL_SOURCE", "approval source invalid");
      const approvalSource = p.approvalSource === "ask-fallback" ? "ask-fallback" : null;
      if (approvalSource !== null && (p.approved !== undefined || p.approvalDecision !== undefined)) return refuse("APPROVAL_SOURCE_MISMATCH", "approval source cannot be combined with explicit approval");
      const next: Record<string, unknown> = {};
      for (const k of PICKED) if (k in p) next[k] = p[k];
      // Without approval flags the node handler forwards as before; the binder answers the whitelisted params.
      if (!approved && requestedDecision === null && approvalSource === null) return { ok: true, params: next, release: () => {} };
      const runId = str(p.runId);
      if (!runId) return refuse("MISSING_RUN_ID", "approval override requires params.runId");
      const snapshot = manager.snapshot(runId);
      if (!snapshot) return { ok: false, error: unknownApprovalId(runId) };
      const timedOut = snapshot.resolvedAtMs !== undefined && snapshot.decision === undefined && snapshot.consumedDecision === undefined && snapshot.askFallbackConsumed !== true;
      const now = Date.now();
      const replayUntil = snapshot.resolvedAtMs === undefined ? snapshot.expiresAtMs : snapshot.resolvedAtMs + RESOLVED_GRACE_MS;
      if (timedOut ? now > replayUntil : now > snapshot.expiresAtMs) return refuse("APPROVAL_EXPIRED", "approval expired", { runId });
      const targetNodeId = str(input.nodeId);
      if (!targetNodeId) return refuse("MISSING_NODE_ID", "node.invoke requires nodeId", { runId });
      const approvalNodeId = str(snapshot.request.nodeId);
      if (!approvalNodeId) return refuse("APPROVAL_NODE_BINDING_MISSING", "approval id missing node binding", { runId });
      if (approvalNodeId !== targetNodeId) return refuse("APPROVAL_NODE_MISMATCH", "approval id not valid for this node", { runId });
      const who = input.requester;
      const hasApprovals = (who.scopes ?? []).includes("operator.admin") || (who.scopes ?? []).includes("operator.approvals");
      if (snapshot.requestedByDeviceId) {
        if (snapshot.requestedByDeviceId !== (who.deviceId ?? null)) return refuse("APPROVAL_DEVICE_MISMATCH", "approval id not valid for this device", { runId });
      } else if (snapshot.requestedByConnId && snapshot.requestedByConnId !== who.connId) {
        // canBridgeNoDeviceApprovalFromBackend: a trusted backend gateway-client may carry a no-device UI's approval.
        const trustedBackend = hasApprovals && who.clientId === "gateway-client" && who.clientMode === "backend" && who.deviceTokenAuth !== true;
        const bridge = trustedBackend && !snapshot.requestedByDeviceTokenAuth && snapshot.requestedByClientId !== null && BRIDGEABLE_NO_DEVICE_CLIENT_IDS.has(snapshot.requestedByClientId);
        if (!bridge) return refuse("APPROVAL_CLIENT_MISMATCH", "approval id not valid for this client", { runId });
      }
      const plan = snapshot.request.systemRunPlan as StoredPlan | null;
      if (!plan) return refuse("APPROVAL_REQUEST_MISMATCH", "approval id does not match request", { runId });
      next.command = [...plan.argv];
      next.systemRunPlan = plan;
      next.rawCommand = forwardedRawCommand(plan);
      if (plan.cwd) next.cwd = plan.cwd;
      else delete next.cwd;
      if (plan.agentId) next.agentId = plan.agentId;
      else delete next.agentId;
      if (plan.sessionKey) next.sessionKey = plan.sessionKey;
      else delete next.sessionKey;
      // evaluateSystemRunApprovalMatch: the plan's argv/cwd/agent/session against the stored binding (they differ
      // when the request's cwd/agent came from its params, not its plan); the caller's env against the binding's
      // (none: hanzod holds only env-free requests).
      const b = snapshot.request.systemRunBinding as { argv: string[]; cwd: string | null; agentId: string | null; sessionKey: string | null } | null;
      if (!b || b.argv.length === 0 || b.argv.length !== plan.argv.length || b.argv.some((a, i) => a !== plan.argv[i]) || b.cwd !== plan.cwd || b.agentId !== plan.agentId || b.sessionKey !== plan.sessionKey) return refuse("APPROVAL_REQUEST_MISMATCH", "approval id does not match request", { runId });
      const envKeys = p.env && typeof p.env === "object" && !Array.isArray(p.env) ? Object.entries(p.env as Record<string, unknown>).filter(([k, v]) => typeof v === "string" && k.trim()).map(([k]) => k.trim()) : [];
      if (envKeys.length > 0) return refuse("APPROVAL_ENV_BINDING_MISSING", "approval id missing env binding for requested env overrides", { runId, envKeys: envKeys.sort((a, b) => a.localeCompare(b)) });
      const release = (): (() => void) => manager.retainForHandoff(runId) ?? (() => {});
      if (snapshot.decision === "allow-once") {
        if (approvalSource !== null) return refuse("APPROVAL_SOURCE_MISMATCH", "approval source does not match approval record", { runId });
        if (!manager.consumeAllowOnce(runId)) return refuse("APPROVAL_REQUIRED", "approval required", { runId });
        next.approved = true;
        next.approvalDecision = "allow-once";
        return { ok: true, params: next, release: release() };
      }
      if (snapshot.decision === "allow-always") {
        if (approvalSource !== null) return refuse("APPROVAL_SOURCE_MISMATCH", "approval source does not match approval record", { runId });
        next.approved = true;
        next.approvalDecision = "allow-always";
        return { ok: true, params: next, release: release() };
      }
      if (timedOut && approvalSource === "ask-fallback" && !approved && requestedDecision === null && hasApprovals) {
        if (!manager.consumeAskFallback(runId)) return refuse("APPROVAL_REQUIRED", "approval required", { runId });
        next.approvalSource = "ask-fallback";
        return { ok: true, params: next, release: release() };
      }
      return refuse("APPROVAL_REQUIRED", "approval required", { runId });
    },
  };
}
