/**
 * The gateway lifecycle methods as they apply to hanzod: `gateway.restart.preflight`,
 * `gateway.restart.request` and `gateway.suspend.prepare|status|resume|handoff`. Param checks, messages and
 * result shapes are the legacy's (dist server-methods/restart.ts, suspend.ts, restart-request.ts).
 */
import { isRecord, Errors } from "../../../protocol/index.js";
import { normalizeRestartReason } from "../../core/lifecycle/restart.js";
import type { TerminalPolicy } from "../../core/lifecycle/suspension.js";
import { MethodError } from "../../core/method.js";
import type { CoreServices } from "../../core/runtime.js";
import { PROCESS_INSTANCE_ID } from "../../core/process-instance.js";

export interface RestartTarget {
  pid: number;
  ownerId: string;
  port: number;
}

/** undefined: untargeted; null: present but malformed. */
export function parseRestartTarget(value: unknown): RestartTarget | undefined | null {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return null;
  const { pid, ownerId, port } = value;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return null;
  if (typeof ownerId !== "string" || !ownerId.trim()) return null;
  if (typeof port !== "number" || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return { pid, ownerId: ownerId.trim(), port };
}

function restartIntentValid(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isRecord(value)) return false;
  const { force, waitMs } = value;
  if (force !== undefined && typeof force !== "boolean") return false;
  const waitOk = typeof waitMs === "number" && Number.isSafeInteger(waitMs) && waitMs >= 0 && waitMs <= 2_147_000_000;
  if (waitMs !== undefined && !waitOk) return false;
  return !(force === true && waitMs !== undefined);
}

/** The one restart a prepared suspension lets through: targeted, not `safe`, with a well-formed intent. */
export function isTargetedNonSafeRestart(params: unknown): boolean {
  if (!isRecord(params) || (params.safe !== undefined && params.safe !== false)) return false;
  const target = parseRestartTarget(params.target);
  return target !== undefined && target !== null && restartIntentValid(params.restartIntent);
}

export function restartPreflight(core: CoreServices): unknown {
  return core.restart.preflight("ws:gateway.restart.preflight");
}

export function restartRequest(core: CoreServices, params: Record<string, unknown>): unknown {
  if (!isRecord(params)) throw new MethodError(Errors.invalidParamsFor("gateway.restart.request"));
  const reason = normalizeRestartReason(params.reason);
  const skipDeferral = params.skipDeferral === true;
  const callerOrigin = "ws:gateway.restart.request";
  const target = parseRestartTarget(params.target);
  if (target === null) throw new MethodError(Errors.invalidTargetedRestart());
  if (target === undefined) return core.restart.request({ ...(reason ? { reason } : {}), skipDeferral, callerOrigin });
  if (params.safe !== undefined && typeof params.safe !== "boolean") throw new MethodError(Errors.invalidSafeTargetedRestartMode());
  if (params.safe === true) {
    if (params.restartIntent !== undefined) throw new MethodError(Errors.safeTargetedRestartWithIntent());
    return core.restart.request({ ...(reason ? { reason } : {}), skipDeferral, callerOrigin });
  }
  if (!restartIntentValid(params.restartIntent)) throw new MethodError(Errors.invalidTargetedRestartIntent());
  // hanzod's "active lock" identity: this process, this boot, this port.
  if (target.pid !== process.pid || target.ownerId !== core.bootId || target.port !== core.port) throw new MethodError(Errors.restartTargetNotOwner());
  // A targeted restart crosses a prepared lease; the restart retires it.
  core.suspension.retireForRestart();
  const result = core.restart.request({ ...(reason ? { reason } : {}), skipDeferral: true, callerOrigin });
  return { ok: true, status: result.status === "coalesced" ? "coalesced" : "scheduled", pid: process.pid };
}

export function suspendPrepare(core: CoreServices, params: Record<string, unknown>): unknown {
  const result = core.suspension.prepare({
    requestId: String(params.requestId).trim(),
    terminalPolicy: (params.terminalPolicy as TerminalPolicy | undefined) ?? "preserve",
    drain: params.drain === true,
    callerOrigin: "ws:gateway.suspend.prepare",
  });
  if (result.status === "conflict") throw new MethodError(Errors.suspensionConflict("prepare", result.expiresAtMs, Date.now()));
  return result;
}

export function suspendStatus(core: CoreServices, params: Record<string, unknown>): unknown {
  const result = core.suspension.status(String(params.suspensionId).trim());
  if (result.status === "conflict") throw new MethodError(Errors.suspensionConflict("status", result.expiresAtMs, Date.now()));
  return result;
}

export function suspendResume(core: CoreServices, params: Record<string, unknown>): unknown {
  const result = core.suspension.resume(String(params.suspensionId).trim());
  if (!result.ok) throw new MethodError(Errors.suspensionIdMismatch());
  return result;
}

/**
 * `gateway.suspend.handoff` (2026.9.6, server-methods/suspend.ts): a host that will stop this process asks
 * that the stop be a planned restart. Its target is this process as `system.info` reports it (pid and
 * process instance id); the host must own process exit (the CLI); the lease must be the held one. Params
 * are checked by the contract ("invalid gateway.suspend.handoff params") before this runs.
 */
export function suspendHandoff(core: CoreServices, params: Record<string, unknown>): unknown {
  const target = params.target as { pid: number; processInstanceId: string };
  if (target.pid !== process.pid || target.processInstanceId !== PROCESS_INSTANCE_ID) throw new MethodError(Errors.suspendHandoffRefused("gateway process changed after preflight"));
  if (core.opts.ownsProcessExit !== true) throw new MethodError(Errors.suspendHandoffRefused("gateway host does not own process exit"));
  const result = core.suspension.armHandoff(String(params.suspensionId).trim(), !core.restart.isPending);
  if (!result.ok) throw new MethodError(Errors.suspendHandoffRefused(result.error));
  return result.value;
}
