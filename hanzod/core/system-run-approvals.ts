/**
 * The seam between the nodes domain (which forwards `node.invoke system.run` to a node host) and the approvals
 * domain (which holds the exec approval records). The legacy checks a `system.run` that carries approval flags
 * (`approved`, `approvalDecision`, `approvalSource`) against a live approval record in the same process that
 * holds the node connection (hanzod/state/research/system-run-approvals.md, section 1c), so hanzod does the same:
 * the approvals domain provides a binder at setup, the node handler asks it. The approvals domain is set up on
 * its first call (core/domains.ts), and every approval record hanzod holds was made by such a call: until then
 * the slot answers as a binder holding no record does.
 */
import { errorShape, type ErrorShape } from "../../protocol/index.js";

/** Who asks for the run: the approval record is bound to this requester (device first, else connection). */
export interface SystemRunRequester {
  connId: string;
  deviceId?: string;
  clientId?: string;
  /** The connect authenticated with the device's own token (the legacy's `deviceTokenAuth`). */
  deviceTokenAuth?: boolean;
  /** The connect's client mode and scopes: the legacy's backend bridge and its ask-fallback check read them. */
  clientMode?: string;
  scopes?: readonly string[];
}

export interface SystemRunBindInput {
  nodeId: string;
  /**
   * The `node.invoke` params' `params` object for `system.run`, approval flags included (`approved`,
   * `approvalDecision`, `approvalSource`, as sent): the binder applies the legacy's whitelist (pickSystemRunParams)
   * itself, so params already whitelisted by the node handler pass unchanged, and answers the params to forward.
   * The node handler has already answered INVALID_APPROVAL_SOURCE, APPROVAL_SOURCE_MISMATCH and MISSING_RUN_ID.
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

/** The legacy's refusal of approval flags whose `runId` names no live approval record it holds. */
export function unknownApprovalId(runId: string): ErrorShape {
  return errorShape("INVALID_REQUEST", "unknown or expired approval id", { code: "UNKNOWN_APPROVAL_ID", runId });
}

/** A process that holds no approval record: every approval id is unknown to it (the legacy's first lookup). */
const NO_RECORDS: SystemRunApprovalBinder = {
  bind: (input) => ({ ok: false, error: unknownApprovalId(typeof input.params.runId === "string" ? input.params.runId.trim() : "") }),
};

/** Where the approvals domain puts its binder (set once at setup) and the node handler finds it. */
export class SystemRunApprovalSlot {
  private binder: SystemRunApprovalBinder | undefined;
  provide(binder: SystemRunApprovalBinder | undefined): void {
    this.binder = binder;
  }
  get current(): SystemRunApprovalBinder {
    return this.binder ?? NO_RECORDS;
  }
}
