/**
 * One authenticated request: frame shape, role, scope, handler, response. Order and texts are the
 * legacy's: `health` bypasses role/scope; wrong role -> "unauthorized role"; then scope (admin passes
 * everything, unknown methods need admin); then the handler lookup -> "unknown method"; then the
 * admission fence (restart / suspension: UNAVAILABLE except for the suspend control methods); then
 * params. Admitted requests are counted as root work (`ws:<method>`) while they run.
 */
import { ADMIN_SCOPE, Errors, errorResponse, isNodeRoleMethod, methodPolicy, scopeSatisfies, validateDefinition, validateParamsInWindow, type ErrorShape } from "../../protocol/index.js";
import { formatIssues as formatIssuesFor } from "./handshake/validation.js";
import { answerAs } from "./compat.js";
import type { Runtime } from "./runtime.js";
import { MethodError, type CallerInfo, type MethodHandler } from "./method.js";
import { isTargetedNonSafeRestart } from "../domains/gateway/lifecycle.js";
import { applyInject } from "../test-inject.js";

export interface RequestFrameLike {
  type: "req";
  id: string;
  method: string;
  params?: unknown;
}

const FRAME_KEYS = new Set(["type", "id", "method", "params", "traceparent", "expectedProfileId"]);

/** Cheap structural check for the common case; the contract validator only runs to explain a failure. */
export function isPlainRequestFrame(v: unknown): v is RequestFrameLike {
  if (typeof v !== "object" || v === null) return false;
  const f = v as Record<string, unknown>;
  if (f.type !== "req" || typeof f.id !== "string" || f.id.length === 0 || typeof f.method !== "string" || f.method.length === 0) return false;
  for (const k in f) if (!FRAME_KEYS.has(k)) return false;
  if (f.traceparent !== undefined && (typeof f.traceparent !== "string" || f.traceparent.length > 128)) return false;
  return true;
}

export function invalidFrameError(v: unknown): { id: string; error: ErrorShape } {
  const outcome = validateDefinition("RequestFrame", v);
  const id = typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" ? (v as { id: string }).id : "invalid";
  return { id, error: Errors.invalidRequestFrame(formatIssuesFor(outcome.issues)) };
}

/**
 * Role and scope. `dynamic` methods compute their scope from params in the legacy: with a handler, its
 * `resolveScope(params)` decides; a handler without one is refused to non-admins (fail closed, so a
 * future handler cannot slip through on a fixed scope). Without a handler, the least privilege any of
 * them needs (write) gates the lookup that then answers "unknown method", as before.
 */
export function authorize(method: string, caller: CallerInfo, params?: Record<string, unknown>, handler?: MethodHandler): ErrorShape | undefined {
  if (method === "health") return undefined;
  const nodeMethod = isNodeRoleMethod(method);
  if (nodeMethod ? caller.role !== "node" : caller.role !== "operator") return Errors.unauthorizedRole(caller.role);
  if (caller.role === "node") return undefined;
  if (caller.scopes.includes(ADMIN_SCOPE)) return undefined;
  const policy = methodPolicy(method);
  let required: string;
  if (policy === undefined) required = ADMIN_SCOPE;
  else if (policy.scope !== "dynamic") required = policy.scope;
  else if (!handler) required = "operator.write";
  else required = handler.resolveScope ? handler.resolveScope(params ?? {}) : ADMIN_SCOPE;
  if (required === "node") return Errors.unauthorizedRole(caller.role);
  return scopeSatisfies(caller.scopes, required) ? undefined : Errors.missingScope(required);
}

const SUSPEND_CONTROL_METHODS = new Set(["gateway.suspend.prepare", "gateway.suspend.status", "gateway.suspend.resume"]);

/** undefined: admitted as root work; "control": runs without being counted; else the refusal. */
function admission(rt: Runtime, method: string, params: unknown): ErrorShape | "control" | undefined {
  const restarting = rt.restart.isPending;
  const phase = rt.suspension.phase;
  if (!restarting && phase === "accepting") return undefined;
  if (SUSPEND_CONTROL_METHODS.has(method)) return "control";
  // The one exception a prepared lease allows: the exact predecessor-bound restart, with nothing else running.
  if (!restarting && phase === "prepared" && method === "gateway.restart.request" && rt.work.count === 0 && isTargetedNonSafeRestart(params)) return "control";
  return Errors.gatewayWorkUnavailable(method, restarting ? "restart" : "suspension", phase);
}

export type Respond = (text: string) => void;

export async function runRequest(rt: Runtime, methods: ReadonlyMap<string, MethodHandler>, req: RequestFrameLike, caller: CallerInfo): Promise<{ text: string; error?: ErrorShape }> {
  const handler = methods.get(req.method);
  const params = (req.params ?? {}) as Record<string, unknown>;
  const denied = authorize(req.method, caller, params, handler);
  if (denied) return { text: JSON.stringify(errorResponse(req.id, denied)), error: denied };
  if (!handler) {
    const error = Errors.unknownMethod(req.method);
    return { text: JSON.stringify(errorResponse(req.id, error)), error };
  }
  const admitted = admission(rt, req.method, params);
  if (admitted !== undefined && admitted !== "control") return { text: JSON.stringify(errorResponse(req.id, admitted)), error: admitted };
  const origin = admitted === undefined ? `ws:${req.method}` : undefined;
  if (origin) rt.work.begin(origin);
  try {
    if (!handler.validatesOwnParams) {
      const check = validateParamsInWindow(req.method, params, rt.version);
      if (check && !check.valid) {
        const error = Errors.invalidMethodParams(req.method, formatIssuesFor(check.issues));
        return { text: JSON.stringify(errorResponse(req.id, error)), error };
      }
    }
    let payload = await handler({ runtime: rt, params, caller });
    const inject = rt.testInject?.[req.method];
    payload = answerAs(`res:${req.method}`, payload, { release: rt.version, runtime: rt });
    if (inject) payload = applyInject(payload, inject);
    return { text: JSON.stringify({ type: "res", id: req.id, ok: true, payload }) };
  } catch (err) {
    const error = err instanceof MethodError ? err.shape : Errors.handlerFailed(String(err));
    return { text: JSON.stringify(errorResponse(req.id, error)), error };
  } finally {
    if (origin) rt.work.end(origin);
  }
}
