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
  /** A second `connect` on an authenticated socket (the legacy's connect handler after hello). */
  connectAfterHello: () => errorShape("INVALID_REQUEST", "connect is only valid as the first request"),
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
  // --- hanzod handshake/auth/pairing shapes (legacy dist: message-handler, auth-messages, connect-error-details) ---
  /** Any shared-secret / device-token rejection; `message` comes from `authFailureMessage`. */
  authRejected: (a: AuthRejection) =>
    errorShape(
      "INVALID_REQUEST",
      authFailureMessage(a),
      { code: authDetailCode(a.reason), authReason: a.reason, canRetryWithDeviceToken: a.canRetryWithDeviceToken, recommendedNextStep: a.recommendedNextStep },
      a.retryAfterMs !== undefined ? { retryable: true, retryAfterMs: a.retryAfterMs } : a.rateLimited ? { retryable: true } : undefined,
    ),
  deviceIdentityRequired: () => errorShape("NOT_PAIRED", "device identity required", { code: "DEVICE_IDENTITY_REQUIRED" }),
  controlUiDeviceIdentityRequired: () =>
    errorShape("INVALID_REQUEST", "control ui requires device identity (use HTTPS or localhost secure context)", { code: "CONTROL_UI_DEVICE_IDENTITY_REQUIRED" }),
  deviceAuthInvalid: (reason: DeviceAuthFailure) => errorShape("INVALID_REQUEST", DEVICE_AUTH_FAILURES[reason][1], { code: DEVICE_AUTH_FAILURES[reason][0], reason }),
  pairingRequired: (p: PairingRequired) => errorShape("NOT_PAIRED", pairingMessage(p.reason), pairingDetails(p)),
  invalidRequestFrame: (detail: string) => errorShape("INVALID_REQUEST", `invalid request frame: ${detail}`),
  invalidMethodParams: (method: string, detail: string) => errorShape("INVALID_REQUEST", `invalid ${method} params: ${detail}`),
  logReadFailed: (err: string) => errorShape("UNAVAILABLE", `log read failed: ${err}`),
  /** More operator requests waiting to start than the legacy's request-start queue holds. */
  requestStartCapacity: () => errorShape("UNAVAILABLE", "gateway request start capacity exceeded", undefined, { retryable: true }),
  /** Sent for a request whose handler threw; the legacy wraps unexpected handler failures as UNAVAILABLE. */
  handlerFailed: (message: string) => errorShape("UNAVAILABLE", message),
  /** What the proxy answers when the backend that owns a method is down and no fallback applies. */
  backendUnavailable: (reason: string, retryAfterMs = 1000) =>
    errorShape("UNAVAILABLE", `gateway unavailable: ${reason}`, { reason: "backend-unavailable" }, { retryable: true, retryAfterMs }),
  // --- gateway lifecycle (legacy dist: server-methods admission fence, server-methods/suspend.ts, server-methods/restart.ts) ---
  /** A request (or a `connect` of a fenced kind) while a restart or suspension holds admission closed. */
  gatewayWorkUnavailable: (method: string, operation: "restart" | "suspension", phase: string) =>
    errorShape(
      "UNAVAILABLE",
      `${method} unavailable during gateway ${operation}`,
      { method, reason: operation === "restart" ? "gateway-restarting" : "gateway-suspending", phase },
      { retryable: true, retryAfterMs: 1000 },
    ),
  /** Handlers that validate their own params answer without the validator's detail. */
  invalidParamsFor: (method: string) => errorShape("INVALID_REQUEST", `invalid ${method} params`),
  suspensionConflict: (asked: "prepare" | "status", expiresAtMs: number, now: number) =>
    errorShape(
      "UNAVAILABLE",
      asked === "prepare" ? "another gateway suspension is already prepared" : "a different gateway suspension is prepared",
      { reason: "gateway-suspension-conflict", expiresAtMs },
      { retryable: true, retryAfterMs: Math.max(0, expiresAtMs - now) },
    ),
  suspensionIdMismatch: () => errorShape("INVALID_REQUEST", "gateway suspension id does not match"),
  invalidTargetedRestart: () => errorShape("INVALID_REQUEST", "invalid targeted gateway restart"),
  invalidSafeTargetedRestartMode: () => errorShape("INVALID_REQUEST", "invalid safe targeted restart mode"),
  safeTargetedRestartWithIntent: () => errorShape("INVALID_REQUEST", "safe targeted restart does not accept intent"),
  invalidTargetedRestartIntent: () => errorShape("INVALID_REQUEST", "invalid targeted gateway restart intent"),
  restartTargetNotOwner: () => errorShape("INVALID_REQUEST", "target gateway no longer owns the active lock"),
  /** gateway.suspend.handoff (2026.9.6): each refusal is a bare UNAVAILABLE with the coordinator's words. */
  suspendHandoffRefused: (message: string) => errorShape("UNAVAILABLE", message),
} as const;

// --- helpers for the hanzod handshake shapes above (texts verbatim from the legacy gateway) ---

/** Close reasons the legacy sends with its close codes (the legacy truncates a close reason to 120 UTF-8 bytes). */
export const CloseReasons = {
  invalidRequestFrame: "invalid request frame",
  preauthTooLarge: "preauth payload too large",
  invalidRole: "invalid role",
  protocolMismatch: "protocol mismatch",
  repeatedUnauthorized: "repeated unauthorized calls",
  slowConsumer: "slow consumer",
  serviceRestart: "service restart",
  handshakeTimeout: "handshake timeout",
  deviceIdentityRequired: "device identity required",
  restartInProgress: "gateway restart in progress",
  suspensionInProgress: "gateway suspension in progress",
} as const;

export function truncateCloseReason(reason: string, maxBytes = 120): string {
  if (!reason) return "invalid handshake";
  const buf = Buffer.from(reason, "utf8");
  if (buf.length <= maxBytes) return reason;
  let end = maxBytes;
  // Never cut a multi-byte character in half: back up to a UTF-8 lead byte.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}

export type AuthFailureReason =
  | "token_missing"
  | "token_mismatch"
  | "token_missing_config"
  | "password_missing"
  | "password_mismatch"
  | "password_missing_config"
  | "rate_limited"
  | "device_token_mismatch"
  | "scope_mismatch"
  | "proxy_attribution_required"
  | "unauthorized"
  | `trusted_proxy_${string}`;

export type RecommendedNextStep = "retry_with_device_token" | "update_auth_configuration" | "update_auth_credentials" | "wait_then_retry" | "review_auth_configuration";

export interface AuthRejection {
  reason: AuthFailureReason;
  authMode: "token" | "password" | "none" | "trusted-proxy";
  /** What the client offered: password > token > bootstrap-token > device-token > none. */
  authProvided: "password" | "token" | "bootstrap-token" | "device-token" | "none";
  client: { id: string; mode: string };
  isLocalClient: boolean;
  canRetryWithDeviceToken: boolean;
  recommendedNextStep: RecommendedNextStep;
  rateLimited?: boolean;
  retryAfterMs?: number;
}

const UI_CLIENT_IDS = new Set(["openclaw-control-ui", "openclaw-browser-copilot"]);

/** The legacy's client-specific auth failure text (auth-messages.ts); never includes a secret. */
export function authFailureMessage(a: AuthRejection): string {
  const isCli = a.client.id === "cli" || a.client.mode === "cli";
  const isUi = UI_CLIENT_IDS.has(a.client.id) || a.client.mode === "ui";
  const isWebchat = a.client.id === "webchat" || a.client.id === "webchat-ui" || a.client.mode === "webchat";
  if (a.client.mode === "node" && a.reason.startsWith("trusted_proxy_missing_header_"))
    return "gateway rejected this node: trusted-proxy identity-header authentication is required and no usable machine credential was accepted; run `openclaw doctor` on the Gateway";
  const uiHint = "open the dashboard URL and paste the token in Control UI settings";
  const tokenHint = isCli ? (a.isLocalClient ? "use this gateway's gateway.auth.token or pair the device" : "set gateway.remote.token to match gateway.auth.token") : isUi || isWebchat ? uiHint : "provide gateway auth token";
  const passwordHint = isCli
    ? a.isLocalClient
      ? "use this gateway's gateway.auth.password"
      : "set gateway.remote.password to match gateway.auth.password"
    : isUi || isWebchat
      ? "enter the password in Control UI settings"
      : "provide gateway auth password";
  switch (a.reason) {
    case "token_missing":
      return `unauthorized: gateway token missing (${isUi || isWebchat ? "paste in Control UI settings or openclaw doctor --generate-gateway-token; restart" : tokenHint})`;
    case "token_mismatch":
      return `unauthorized: gateway token mismatch (${tokenHint})`;
    case "token_missing_config":
      return "unauthorized: gateway token not configured on gateway (set gateway.auth.token)";
    case "password_missing":
      return `unauthorized: gateway password missing (${passwordHint})`;
    case "password_mismatch":
      return `unauthorized: gateway password mismatch (${passwordHint})`;
    case "password_missing_config":
      return "unauthorized: gateway password not configured on gateway (set gateway.auth.password)";
    case "rate_limited":
      return "unauthorized: too many failed authentication attempts (retry later)";
    case "proxy_attribution_required":
      return "unauthorized: proxy client attribution is required (configure gateway.trustedProxies narrowly and make the proxy overwrite or safely rebuild forwarded client headers)";
    case "device_token_mismatch":
      return "unauthorized: device token mismatch (rotate/reissue device token)";
    case "scope_mismatch":
      return "unauthorized: device token scope mismatch (re-pair or approve scope upgrade)";
  }
  if (a.authMode === "token" && a.authProvided === "none") return `unauthorized: gateway token missing (${tokenHint})`;
  if (a.authMode === "token" && a.authProvided === "device-token") return "unauthorized: device token rejected (pair/repair this device, or provide gateway token)";
  if (a.authMode === "password" && a.authProvided === "none") return `unauthorized: gateway password missing (${passwordHint})`;
  return "unauthorized";
}

function authDetailCode(reason: AuthFailureReason): string {
  if (reason.startsWith("trusted_proxy_missing_header_")) return "AUTH_IDENTITY_HEADER_REQUIRED";
  const codes: Record<string, string> = {
    token_missing: "AUTH_TOKEN_MISSING",
    token_mismatch: "AUTH_TOKEN_MISMATCH",
    token_missing_config: "AUTH_TOKEN_NOT_CONFIGURED",
    password_missing: "AUTH_PASSWORD_MISSING",
    password_mismatch: "AUTH_PASSWORD_MISMATCH",
    password_missing_config: "AUTH_PASSWORD_NOT_CONFIGURED",
    rate_limited: "AUTH_RATE_LIMITED",
    device_token_mismatch: "AUTH_DEVICE_TOKEN_MISMATCH",
    scope_mismatch: "AUTH_SCOPE_MISMATCH",
  };
  return codes[reason] ?? "AUTH_UNAUTHORIZED";
}

export type DeviceAuthFailure = "device-id-mismatch" | "device-signature-stale" | "device-nonce-missing" | "device-nonce-mismatch" | "device-signature" | "device-public-key";

/** reason -> [details.code, message]; the message is also the close reason. */
export const DEVICE_AUTH_FAILURES: Record<DeviceAuthFailure, readonly [string, string]> = {
  "device-id-mismatch": ["DEVICE_AUTH_DEVICE_ID_MISMATCH", "device identity mismatch"],
  "device-signature-stale": ["DEVICE_AUTH_SIGNATURE_EXPIRED", "device signature expired"],
  "device-nonce-missing": ["DEVICE_AUTH_NONCE_REQUIRED", "device nonce required"],
  "device-nonce-mismatch": ["DEVICE_AUTH_NONCE_MISMATCH", "device nonce mismatch"],
  "device-signature": ["DEVICE_AUTH_SIGNATURE_INVALID", "device signature invalid"],
  "device-public-key": ["DEVICE_AUTH_PUBLIC_KEY_INVALID", "device public key invalid"],
};

export type PairingReason = "not-paired" | "role-upgrade" | "scope-upgrade" | "metadata-upgrade";

export interface PairingRequired {
  reason: PairingReason;
  requestId?: string;
  deviceId?: string;
  requestedRole?: string;
  requestedScopes?: string[];
  approvedRoles?: string[];
  approvedScopes?: string[];
}

const PAIRING_TEXT: Record<PairingReason, readonly [requirement: string, remediationHint: string]> = {
  "not-paired": ["device is not approved yet", "Approve this device from the pending pairing requests."],
  "role-upgrade": ["device is asking for a higher role than currently approved", "Review the requested role upgrade, then approve the pending request."],
  "scope-upgrade": ["device is asking for more scopes than currently approved", "Review the requested scopes, then approve the pending upgrade."],
  "metadata-upgrade": ["device identity changed and must be re-approved", "Review the refreshed device details, then approve the pending request."],
};

function pairingMessage(reason: PairingReason): string {
  return `pairing required: ${PAIRING_TEXT[reason][0]}`;
}

/** The close reason of a pairing rejection carries the request id so a human can approve it. */
export function pairingCloseReason(p: Pick<PairingRequired, "reason" | "requestId">): string {
  return truncateCloseReason(p.requestId ? `${pairingMessage(p.reason)} (requestId: ${p.requestId})` : pairingMessage(p.reason));
}

function pairingDetails(p: PairingRequired): Record<string, unknown> {
  const d: Record<string, unknown> = { code: "PAIRING_REQUIRED", reason: p.reason };
  if (p.requestId) d.requestId = p.requestId;
  d.remediationHint = PAIRING_TEXT[p.reason][1];
  if (p.deviceId) d.deviceId = p.deviceId;
  if (p.requestedRole) d.requestedRole = p.requestedRole;
  if (p.requestedScopes?.length) d.requestedScopes = p.requestedScopes;
  if (p.approvedRoles?.length) d.approvedRoles = p.approvedRoles;
  if (p.approvedScopes?.length) d.approvedScopes = p.approvedScopes;
  return d;
}
