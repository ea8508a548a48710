/**
 * The gateway lifecycle methods as they apply to hanzod: `gateway.restart.preflight`,
 * `gateway.restart.request` and `gateway.suspend.prepare|status|resume`. Param checks, messages and
 * result shapes are the legacy's (dist server-methods/restart.ts, suspend.ts, restart-request.ts).
 */
import { Errors, validateParamsInWindow } from "../../../protocol/index.js";
import { normalizeRestartReason } from "../../core/lifecycle/restart.js";
import type { TerminalPolicy } from "../../core/lifecycle/suspension.js";
import { MethodError, type MethodHandler } from "../../core/method.js";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

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

export const restartPreflight: MethodHandler = ({ runtime }) => runtime.restart.preflight("ws:gateway.restart.preflight");

export const restartRequest: MethodHandler = ({ runtime, params }) => {
  if (!isRecord(params)) throw new MethodError(Errors.invalidParamsFor("gateway.restart.request"));
  const reason = normalizeRestartReason(params.reason);
  const skipDeferral = params.skipDeferral === true;
  const callerOrigin = "ws:gateway.restart.request";
  const target = parseRestartTarget(params.target);
  if (target === null) throw new MethodError(Errors.invalidTargetedRestart());
  if (target === undefined) return runtime.restart.request({ ...(reason ? { reason } : {}), skipDeferral, callerOrigin });
  if (params.safe !== undefined && typeof params.safe !== "boolean") throw new MethodError(Errors.invalidSafeTargetedRestartMode());
  if (params.safe === true) {
    if (params.restartIntent !== undefined) throw new MethodError(Errors.safeTargetedRestartWithIntent());
    return runtime.restart.request({ ...(reason ? { reason } : {}), skipDeferral, callerOrigin });
  }
  if (!restartIntentValid(params.restartIntent)) throw new MethodError(Errors.invalidTargetedRestartIntent());
  // hanzod's "active lock" identity: this process, this boot, this port.
  if (target.pid !== process.pid || target.ownerId !== runtime.bootId || target.port !== runtime.port) throw new MethodError(Errors.restartTargetNotOwner());
  // A targeted restart crosses a prepared lease; the restart retires it.
  runtime.suspension.retireForRestart();
  const result = runtime.restart.request({ ...(reason ? { reason } : {}), skipDeferral: true, callerOrigin });
  return { ok: true, status: result.status === "coalesced" ? "coalesced" : "scheduled", pid: process.pid };
};
restartRequest.validatesOwnParams = true;

function checkParams(method: string, params: unknown, compat: string): void {
  const check = validateParamsInWindow(method, params, compat);
  if (check && !check.valid) throw new MethodError(Errors.invalidParamsFor(method));
}

export const suspendPrepare: MethodHandler = ({ runtime, params }) => {
  checkParams("gateway.suspend.prepare", params, runtime.version);
  const result = runtime.suspension.prepare({
    requestId: String(params.requestId).trim(),
    terminalPolicy: (params.terminalPolicy as TerminalPolicy | undefined) ?? "preserve",
    drain: params.drain === true,
    callerOrigin: "ws:gateway.suspend.prepare",
  });
  if (result.status === "conflict") throw new MethodError(Errors.suspensionConflict("prepare", result.expiresAtMs, Date.now()));
  return result;
};
suspendPrepare.validatesOwnParams = true;

export const suspendStatus: MethodHandler = ({ runtime, params }) => {
  checkParams("gateway.suspend.status", params, runtime.version);
  const result = runtime.suspension.status(String(params.suspensionId).trim());
  if (result.status === "conflict") throw new MethodError(Errors.suspensionConflict("status", result.expiresAtMs, Date.now()));
  return result;
};
suspendStatus.validatesOwnParams = true;

export const suspendResume: MethodHandler = ({ runtime, params }) => {
  checkParams("gateway.suspend.resume", params, runtime.version);
  const result = runtime.suspension.resume(String(params.suspensionId).trim());
  if (!result.ok) throw new MethodError(Errors.suspensionIdMismatch());
  return result;
};
suspendResume.validatesOwnParams = true;
