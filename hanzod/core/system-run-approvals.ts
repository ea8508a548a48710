/**
 * The seam between the nodes domain (which forwards `node.invoke system.run` to a node host) and the approvals
 * domain (which holds the exec approval records). The legacy checks a `system.run` that carries approval flags
 * (`approved`, `approvalDecision`, `approvalSource`) against a live approval record in the same process that
 * holds the node connection (hanzod/state/research/system-run-approvals.md, section 1c), so hanzod does the same:
 * the approvals domain provides a binder at setup, the node handler asks it. With no binder provided, a
 * `system.run` carrying approval flags is declined to the legacy.
 */
import type { ErrorShape } from "../../protocol/index.js";

/** Who asks for the run: the approval record is bound to this requester (device first, else connection). */
export interface SystemRunRequester {
  connId: string;
  deviceId?: string;
  clientId?: string;
  /** The connect authenticated with the device's own token (the legacy's `deviceTokenAuth`). */
  deviceTokenAuth?: boolean;
  /** The connect's client mode (the legacy's trusted-backend bridge checks `gateway-client` + `backend`). */
  clientMode?: string;
  /** The connect's scopes (the ask-fallback run needs operator.admin or operator.approvals: clientHasApprovals). */
  scopes?: readonly string[];
}

export interface SystemRunBindInput {
  nodeId: string;
  /**
   * The `node.invoke` params' `params` object for `system.run`, after the legacy's whitelist (pickSystemRunParams),
   * plus the approval flags as sent (`approved`, `approvalDecision`, `approvalSource`): the binder decides on them
   * (allow-once/allow-always vs the ask-fallback path) and returns the params to forward with the flags it grants.
   * The node handler has already answered INVALID_APPROVAL_SOURCE, APPROVAL_SOURCE_MISMATCH (source with explicit
   * approval) and MISSING_RUN_ID.
   */
  params: Record<string, unknown>;
  requester: SystemRunRequester;
}

export type SystemRunBindResult =
  /** Forward these params (the approval's stored plan rewrites command/cwd/agent/session); call release() when the invoke ends. */
  | { ok: true; params: Record<string, unknown>; release(): void }
  /** The legacy's refusal (INVALID_REQUEST with details.code), answered to the requester as is. */
  | { ok: false; error: ErrorShape };

export interface SystemRunApprovalBinder {
  bind(input: SystemRunBindInput): SystemRunBindResult;
}

/** Where the approvals domain puts its binder (set once at setup) and the node handler finds it. */
export class SystemRunApprovalSlot {
  private binder: SystemRunApprovalBinder | undefined;
  provide(binder: SystemRunApprovalBinder | undefined): void {
    this.binder = binder;
  }
  get current(): SystemRunApprovalBinder | undefined {
    return this.binder;
  }
}
