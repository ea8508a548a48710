/**
 * The one error catalog. Every legacy error shape the toolkit emits is built here, so no other file
 * spells a code or message by hand. Messages are the legacy gateway's (openclaw 2026.9.1), verified
 * against the running gateway by the recorded fixtures.
 */
import type { ErrorShape, ResponseFrame } from "./frames.js";

export const ErrorCodes = {
  INVALID_REQUEST: "INVALID_REQUEST",
  FORBIDDEN: "FORBIDDEN",
  UNAVAILABLE: "UNAVAILABLE",
  NOT_PAIRED: "NOT_PAIRED",
  APPROVAL_NOT_FOUND: "APPROVAL_NOT_FOUND",
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** WebSocket close codes the legacy gateway uses. */
export const CloseCodes = {
  NORMAL: 1000,
  PROTOCOL_MISMATCH: 1002,
  POLICY_VIOLATION: 1008,
  INTERNAL: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  CLIENT_INVALIDATED: 4001,
} as const;

export function errorShape(code: ErrorCode, message: string, details?: Record<string, unknown>, extra?: { retryable?: boolean; retryAfterMs?: number }): ErrorShape {
  const shape: ErrorShape = { code, message };
  if (details !== undefined) shape.details = details;
  if (extra?.retryable !== undefined) shape.retryable = extra.retryable;
  if (extra?.retryAfterMs !== undefined) shape.retryAfterMs = extra.retryAfterMs;
  return shape;
}

export function errorResponse(id: string, error: ErrorShape): ResponseFrame {
  return { type: "res", id, ok: false, error };
}

export const Errors = {
  unknownMethod: (method: string) => errorShape("INVALID_REQUEST", `unknown method: ${method}`),
  missingScope: (scope: string) =>
    errorShape("FORBIDDEN", `missing scope: ${scope}`, { code: "MISSING_SCOPE", missingScope: scope, requiredScopes: [scope] }),
  unauthorizedRole: (role: string) => errorShape("INVALID_REQUEST", `unauthorized role: ${role}`),
  firstRequestNotConnect: () => errorShape("INVALID_REQUEST", "invalid handshake: first request must be connect"),
  invalidConnectParams: (reason: string) => errorShape("INVALID_REQUEST", `invalid connect params: ${reason}`),
  invalidRole: () => errorShape("INVALID_REQUEST", "invalid role"),
  protocolMismatch: (clientMinProtocol: number, clientMaxProtocol: number) =>
    errorShape("INVALID_REQUEST", "protocol mismatch", {
      code: "PROTOCOL_MISMATCH",
      clientMinProtocol,
      clientMaxProtocol,
      expectedProtocol: 4,
      minimumProbeProtocol: 3,
    }),
  authTokenMismatch: () =>
    errorShape("INVALID_REQUEST", "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)", {
      code: "AUTH_TOKEN_MISMATCH",
      authReason: "token_mismatch",
      canRetryWithDeviceToken: false,
      recommendedNextStep: "update_auth_credentials",
    }),
  /** What the proxy answers when the backend that owns a method is down and no fallback applies. */
  backendUnavailable: (reason: string, retryAfterMs = 1000) =>
    errorShape("UNAVAILABLE", `gateway unavailable: ${reason}`, { reason: "backend-unavailable" }, { retryable: true, retryAfterMs }),
} as const;
