/**
 * One authenticated request: frame shape, role, scope, handler, response. Order and texts are the
 * legacy's: `health` bypasses role/scope; wrong role -> "unauthorized role"; then scope (admin passes
 * everything, unknown methods need admin); then the handler lookup -> "unknown method"; then params.
 */
import { ADMIN_SCOPE, Errors, errorResponse, isNodeRoleMethod, methodPolicy, scopeSatisfies, validateDefinition, validateParams, type ErrorShape } from "../protocol/index.js";
import { formatIssues as formatIssuesFor } from "./handshake/validation.js";
import type { Runtime } from "./runtime.js";
import { MethodError, type CallerInfo, type MethodHandler } from "./methods/types.js";
import { applyInject } from "./test-inject.js";

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

export function authorize(method: string, caller: CallerInfo): ErrorShape | undefined {
  if (method === "health") return undefined;
  const nodeMethod = isNodeRoleMethod(method);
  if (nodeMethod ? caller.role !== "node" : caller.role !== "operator") return Errors.unauthorizedRole(caller.role);
  if (caller.role === "node") return undefined;
  if (caller.scopes.includes(ADMIN_SCOPE)) return undefined;
  const policy = methodPolicy(method);
  // Dynamic methods compute their scope from params in the legacy; hanzod implements none of them, so the
  // least privilege any of them needs (write) gates the lookup that then answers "unknown method".
  const required = policy === undefined ? ADMIN_SCOPE : policy.scope === "dynamic" ? "operator.write" : policy.scope;
  if (required === "node") return Errors.unauthorizedRole(caller.role);
  return scopeSatisfies(caller.scopes, required) ? undefined : Errors.missingScope(required);
}

export type Respond = (text: string) => void;

export async function runRequest(rt: Runtime, methods: ReadonlyMap<string, MethodHandler>, req: RequestFrameLike, caller: CallerInfo): Promise<{ text: string; error?: ErrorShape }> {
  const denied = authorize(req.method, caller);
  if (denied) return { text: JSON.stringify(errorResponse(req.id, denied)), error: denied };
  const handler = methods.get(req.method);
  if (!handler) {
    const error = Errors.unknownMethod(req.method);
    return { text: JSON.stringify(errorResponse(req.id, error)), error };
  }
  const params = (req.params ?? {}) as Record<string, unknown>;
  const check = validateParams(req.method, params);
  if (check && !check.valid) {
    const error = Errors.invalidMethodParams(req.method, formatIssuesFor(check.issues));
    return { text: JSON.stringify(errorResponse(req.id, error)), error };
  }
  try {
    let payload = await handler({ runtime: rt, params, caller });
    const inject = rt.testInject?.[req.method];
    if (inject) payload = applyInject(payload, inject);
    return { text: JSON.stringify({ type: "res", id: req.id, ok: true, payload }) };
  } catch (err) {
    const error = err instanceof MethodError ? err.shape : Errors.handlerFailed(String(err));
    return { text: JSON.stringify(errorResponse(req.id, error)), error };
  }
}
