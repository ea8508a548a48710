/**
 * The connect decision after the frame validated: version window, role, credentials, device proof,
 * device-less scope rules, pairing. Returns either the session to attach or the exact rejection the
 * legacy would send (error shape + close code/reason). Order of checks follows the legacy's
 * admitGatewayConnect -> authenticateGatewayConnect -> authorizeGatewayConnectDevice.
 */
import type { IncomingMessage } from "node:http";
import {
  CloseCodes,
  CloseReasons,
  Errors,
  capScopes,
  pairingCloseReason,
  scopeSatisfies,
  truncateCloseReason,
  type AuthRejection,
  type ErrorShape,
  type PairingReason,
  type RecommendedNextStep,
} from "../../../protocol/index.js";
import type { Runtime } from "../runtime.js";
import { authorizeShared, secretsEqual, type AuthMethod, type SharedAuthResult } from "../auth/shared-secret.js";
import { verifyDeviceProof } from "../auth/device-proof.js";
import { isBrowserSessionClient, sharedGatewaySessionGeneration } from "../auth/shared-generation.js";
import { SHARED_GATEWAY_AUTH_ISSUER, type DeviceTokenIssuer } from "../../state/device-pairing.js";
import { headerValue } from "../auth/net.js";
import type { ConnectParamsShape } from "./validation.js";
import { browserOriginRefusal, readControlUiOriginConfig } from "./origin.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { allowsSilentPairing, preservesLocalCliScopes, resolveLocality, skipsBackendSelfPairing, type LocalityInput } from "./locality.js";

export interface PeerInfo {
  req: IncomingMessage;
  remoteAddr: string | undefined;
  /** Client address; X-Forwarded-For only when the socket peer is a trusted proxy. */
  clientIp: string;
  isLocalClient: boolean;
  remoteIsLoopback: boolean;
  hasProxyHeaders: boolean;
  hasOrigin: boolean;
  remoteIsTrustedProxy: boolean;
  nonce: string;
}

export interface AcceptedSession {
  role: "operator" | "node";
  scopes: string[];
  authMethod: AuthMethod;
  deviceId?: string;
  deviceToken?: { token: string; issuedAtMs: number };
  /** Identity asserted by a trusted proxy (trusted-proxy mode or the hanzonode proxy leg). */
  user?: string;
  /**
   * The legacy's sessionSharedGatewaySessionGeneration for a device connect: the shared secret's generation
   * when it admitted the connection, else that of the shared-gateway-auth issuer of the device token used.
   */
  sharedGeneration?: string;
}

export interface Rejection {
  error: ErrorShape;
  closeCode: number;
  closeReason: string;
  /** The legacy sends the error frame and closes on the next microtask for pre-auth validation only. */
}

export type ConnectOutcome = { ok: true; session: AcceptedSession } | { ok: false; rejection: Rejection };

function reject(error: ErrorShape, closeCode: number = CloseCodes.POLICY_VIOLATION, closeReason: string = error.message): ConnectOutcome {
  return { ok: false, rejection: { error, closeCode, closeReason: truncateCloseReason(closeReason) } };
}

function authProvided(auth: ConnectParamsShape["auth"]): AuthRejection["authProvided"] {
  return auth?.password ? "password" : auth?.token ? "token" : auth?.bootstrapToken ? "bootstrap-token" : auth?.deviceToken ? "device-token" : "none";
}

function nextStepFor(reason: string): RecommendedNextStep {
  switch (reason) {
    case "token_missing":
    case "token_missing_config":
    case "password_missing":
    case "password_missing_config":
      return "update_auth_configuration";
    case "token_mismatch":
    case "password_mismatch":
    case "device_token_mismatch":
      return "update_auth_credentials";
    case "rate_limited":
      return "wait_then_retry";
    default:
      return "review_auth_configuration";
  }
}

function unauthorized(rt: Runtime, p: ConnectParamsShape, peer: PeerInfo, failed: Extract<SharedAuthResult, { ok: false }>): ConnectOutcome {
  const provided = authProvided(p.auth);
  const canRetry = failed.reason === "token_mismatch" && Boolean(p.device) && provided === "token" && !p.auth?.deviceToken;
  const shape = Errors.authRejected({
    reason: failed.reason,
    authMode: rt.opts.auth.mode,
    authProvided: provided,
    client: { id: p.client.id, mode: p.client.mode },
    isLocalClient: peer.isLocalClient,
    canRetryWithDeviceToken: canRetry,
    recommendedNextStep: canRetry ? "retry_with_device_token" : nextStepFor(failed.reason),
    ...(failed.rateLimited ? { rateLimited: true } : {}),
    ...(failed.retryAfterMs !== undefined && failed.rateLimited ? { retryAfterMs: failed.retryAfterMs } : {}),
  });
  return reject(shape);
}

function versionAccepted(p: ConnectParamsShape): boolean {
  const { minProtocol: min, maxProtocol: max } = p;
  const current = max >= 4 && min <= 4;
  const probe = p.client.mode === "probe" && max >= 3 && min <= 4;
  const node = p.role === "node" && p.client.mode === "node" && max >= 3 && min <= 3;
  return current || probe || node;
}

/** The legacy's isControlUi for auth decisions: isOperatorUiClient (Control UI, TUI) minus the browser copilot. */
function isLegacyControlUi(client: { id?: string }): boolean {
  const id = client.id?.trim().toLowerCase();
  return id === "openclaw-control-ui" || id === "openclaw-tui";
}

function parseScopeCap(req: IncomingMessage): string[] | undefined {
  const raw = headerValue(req, "x-openclaw-scopes");
  if (raw === undefined) return undefined;
  return [...new Set(raw.split(",").map((s) => s.trim()).filter(Boolean))];
}

/**
 * The hanzonode proxy's leg: a connection from a trusted proxy that asserts `x-forwarded-user` and
 * presents hanzod's own shared secret. Identity was verified upstream by the legacy; hanzod only
 * narrows scopes to the header cap.
 */
function proxyLegCredentialOk(rt: Runtime, p: ConnectParamsShape): boolean {
  const a = rt.opts.auth;
  if (a.mode === "token") return Boolean(a.token && p.auth?.token && secretsEqual(p.auth.token, a.token));
  if (a.mode === "password") {
    const given = p.auth?.password ?? p.auth?.token;
    return Boolean(a.password && given && secretsEqual(given, a.password));
  }
  return a.mode === "none";
}

export async function authenticateConnect(rt: Runtime, p: ConnectParamsShape, peer: PeerInfo): Promise<ConnectOutcome> {
  if (!versionAccepted(p)) return reject(Errors.protocolMismatch(p.minProtocol, p.maxProtocol), CloseCodes.PROTOCOL_MISMATCH, CloseReasons.protocolMismatch);
  const roleRaw = p.role ?? "operator";
  if (roleRaw !== "operator" && roleRaw !== "node") return reject(Errors.invalidRole(), CloseCodes.POLICY_VIOLATION, CloseReasons.invalidRole);
  const role: "operator" | "node" = roleRaw;
  let scopes = Array.isArray(p.scopes) ? [...p.scopes] : [];
  const device = p.device;

  const assertedUser = headerValue(peer.req, "x-forwarded-user")?.trim();
  if (rt.opts.auth.mode !== "trusted-proxy" && assertedUser && !device && peer.remoteIsTrustedProxy) {
    if (proxyLegCredentialOk(rt, p)) {
      rt.limiter.reset(peer.clientIp, "shared-secret");
      const cap = parseScopeCap(peer.req);
      return { ok: true, session: { role, scopes: cap === undefined ? scopes : capScopes(scopes, cap), authMethod: "proxy-leg", user: assertedUser } };
    }
  }

  // The legacy's browser-origin rule, before any credential is looked at (handshake/origin.ts). After the
  // proxy's leg only: that leg carries the client's own client block without its Origin, and the auth owner
  // that admitted the client has already applied this rule to the client's own connect.
  const originPeer = { origin: headerValue(peer.req, "origin"), host: headerValue(peer.req, "host"), isLocalClient: peer.isLocalClient };
  const originRefused = browserOriginRefusal(p, originPeer, () => readControlUiOriginConfig(rt.opts.configPath ?? legacyStateLayout(rt.opts.stateDir).configPath));
  if (originRefused) return { ok: false, rejection: originRefused };

  const hasSharedAuth = Boolean(p.auth?.token || p.auth?.password);
  const tokenCandidate = device ? (p.auth?.deviceToken?.trim() || p.auth?.token?.trim() || undefined) : undefined;
  let auth = await authorizeShared({
    auth: rt.opts.auth,
    token: p.auth?.token?.trim() || undefined,
    password: p.auth?.password?.trim() || undefined,
    req: peer.req,
    remoteAddr: peer.remoteAddr,
    clientIp: peer.clientIp,
    localDirect: peer.isLocalClient,
    proxies: rt.proxies,
    limiter: rt.limiter,
    deferFailure: Boolean(tokenCandidate),
  });
  if (auth.ok && auth.method === "trusted-proxy" && (peer.clientIp === peer.remoteAddr || peer.clientIp === "" || peer.clientIp.startsWith("127.") || peer.clientIp === "::1")) {
    auth = { ok: false, reason: "proxy_attribution_required" };
  }
  const pendingSharedFailure = Boolean(tokenCandidate) && !auth.ok && (auth.reason === "token_mismatch" || auth.reason === "password_mismatch");
  const sharedAuthOk = auth.ok && (auth.method === "token" || auth.method === "password" || auth.method === "trusted-proxy");
  const isUi = p.client.id === "openclaw-control-ui" || p.client.mode === "ui" || p.client.mode === "webchat";

  const localityInput = (method: string, sharedOk: boolean): LocalityInput => ({
    isLocalClient: peer.isLocalClient,
    remoteIsLoopback: peer.remoteIsLoopback,
    hasProxyHeaders: peer.hasProxyHeaders,
    hasOrigin: peer.hasOrigin,
    sharedAuthOk: sharedOk,
    authMethod: method,
    clientId: p.client.id,
    clientMode: p.client.mode,
  });
  let method: string = auth.ok ? auth.method : rt.opts.auth.mode === "password" ? "password" : "token";
  let li = localityInput(method, sharedAuthOk);
  let locality = resolveLocality(li);
  const skipBackend = skipsBackendSelfPairing(li, locality);
  const keepCliScopes = preservesLocalCliScopes(li, locality);

  if (!device) {
    // evaluateMissingDeviceIdentity, then the legacy's device-less scope clearing.
    const trustedUiOk = isUi && role === "operator" && rt.opts.auth.mode === "trusted-proxy" && auth.ok && method === "trusted-proxy";
    let decision: "allow" | "reject-ui" | "reject-unauthorized" | "reject-device-required";
    if (trustedUiOk || (skipBackend && role === "operator")) decision = "allow";
    else if (isUi) decision = "reject-ui";
    else if (role === "operator" && sharedAuthOk) decision = "allow";
    else if (!auth.ok && hasSharedAuth) decision = "reject-unauthorized";
    else decision = "reject-device-required";
    const clear = decision !== "allow" || method === "token" || method === "password" || method === "trusted-proxy";
    if (!skipBackend && !keepCliScopes && clear) scopes = [];
    if (decision === "reject-ui") return reject(Errors.controlUiDeviceIdentityRequired());
    if (decision === "reject-unauthorized" && !auth.ok) return unauthorized(rt, p, peer, auth);
    if (decision === "reject-device-required") return reject(Errors.deviceIdentityRequired(), CloseCodes.POLICY_VIOLATION, CloseReasons.deviceIdentityRequired);
    if (!auth.ok) return unauthorized(rt, p, peer, auth);
    if (trustedUiOk) {
      const cap = parseScopeCap(peer.req);
      if (cap !== undefined) scopes = scopes.filter((s) => cap.includes(s));
    }
    return { ok: true, session: { role, scopes, authMethod: method as AuthMethod, ...(auth.user ? { user: auth.user } : {}) } };
  }

  const proof = verifyDeviceProof(device, { clientId: p.client.id, clientMode: p.client.mode, role, scopes, token: p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken ?? null, platform: p.client.platform, deviceFamily: p.client.deviceFamily }, peer.nonce);
  if (!proof.ok) {
    if (pendingSharedFailure) await rt.limiter.recordFailureAndDelay(peer.clientIp, "shared-secret");
    const shape = Errors.deviceAuthInvalid(proof.reason);
    return reject(shape);
  }

  // The generation the gateway requires now (the legacy's getRequiredSharedGatewaySessionGeneration).
  const requiredGeneration = sharedGatewaySessionGeneration(rt.opts.auth, rt.opts.trustedProxies);
  let deviceTokenGeneration: string | undefined;
  // Device-token fallback: a device that failed (or skipped) the shared secret may present its token.
  if (!auth.ok && tokenCandidate && auth.reason !== "proxy_attribution_required") {
    const rate = rt.limiter.check(peer.clientIp, "device-token");
    if (!rate.allowed) auth = { ok: false, reason: "rate_limited", rateLimited: true, retryAfterMs: rate.retryAfterMs };
    else {
      const check = rt.pairing.verifyDeviceToken(device.id, role, tokenCandidate, scopes, requiredGeneration);
      if (check.ok) {
        auth = { ok: true, method: "device-token" };
        if (check.issuer?.kind === SHARED_GATEWAY_AUTH_ISSUER) deviceTokenGeneration = check.issuer.generation;
        rt.limiter.reset(peer.clientIp, "device-token");
      } else {
        const reason = check.reason === "scope-mismatch" ? "scope_mismatch" : p.auth?.deviceToken ? "device_token_mismatch" : auth.reason;
        auth = { ok: false, reason };
        rt.limiter.recordFailure(peer.clientIp, "device-token");
      }
    }
    if (pendingSharedFailure && !auth.ok) await rt.limiter.recordFailureAndDelay(peer.clientIp, "shared-secret");
  }
  if (!auth.ok) return unauthorized(rt, p, peer, auth);
  method = auth.method;
  li = localityInput(method, sharedAuthOk);
  locality = resolveLocality(li);
  // The legacy's trustedProxyAuthOk (isTrustedProxyControlUiOperatorAuth): a Control UI operator admitted by
  // the trusted proxy has its scopes capped to the proxy's x-openclaw-scopes, and is issued no device token
  // (the proxy's identity is its credential; issueGatewayConnectDeviceTokens skips it).
  const trustedProxyUi = isLegacyControlUi(p.client) && role === "operator" && rt.opts.auth.mode === "trusted-proxy" && method === "trusted-proxy";
  if (trustedProxyUi) {
    const cap = parseScopeCap(peer.req);
    if (cap !== undefined) scopes = scopes.filter((s) => cap.includes(s));
  }

  const deviceId = device.id;
  const publicKey = proof.publicKey;
  const paired = rt.pairing.getPairedDevice(deviceId);
  const isPaired = paired?.publicKey === publicKey;
  const skipPairing = skipsBackendSelfPairing(li, locality) || (isUi && role === "operator" && rt.opts.auth.mode === "none");

  const requirePairing = (reason: PairingReason): ConnectOutcome | undefined => {
    const request = rt.pairing.requestPairing({
      deviceId,
      publicKey,
      role,
      scopes,
      clientId: p.client.id,
      clientMode: p.client.mode,
      ...(p.client.platform ? { platform: p.client.platform } : {}),
      ...(p.client.deviceFamily ? { deviceFamily: p.client.deviceFamily } : {}),
      ...(p.client.displayName ? { displayName: p.client.displayName } : {}),
      ...(peer.isLocalClient ? {} : { remoteIp: peer.clientIp }),
      silent: allowsSilentPairing(locality, peer.hasOrigin, isUi, reason, method, rt.opts.autoApproveLocal ?? true),
      isRepair: Boolean(paired),
    });
    const supersededAt = Date.now();
    for (const old of request.superseded) rt.broadcaster.broadcast("device.pair.resolved", { requestId: old.requestId, deviceId: old.deviceId, decision: "rejected", ts: supersededAt }, { dropIfSlow: true });
    if (request.silent) {
      // The legacy's local approval: the caller's scopes plus what the device already had.
      const callerScopes = [...new Set([...scopes, ...(paired ? paired.scopes : [])])];
      const access = { ...(p.client.displayName ? { displayName: p.client.displayName } : {}), ...(peer.isLocalClient ? {} : { remoteIp: peer.clientIp }) };
      if (rt.pairing.approveSilently(request.requestId, callerScopes, access)) {
        rt.log?.info({ deviceId, role, requestId: request.requestId }, "device pairing auto-approved");
        rt.broadcaster.broadcast("device.pair.resolved", { requestId: request.requestId, deviceId, decision: "approved", ts: Date.now() }, { dropIfSlow: true });
        return undefined;
      }
    }
    if (request.created) rt.broadcaster.broadcast("device.pair.requested", request.event, { dropIfSlow: true });
    const exposeApproved = paired?.publicKey === publicKey;
    const details = {
      reason,
      requestId: request.requestId,
      deviceId,
      requestedRole: role,
      requestedScopes: scopes,
      ...(exposeApproved && paired ? { approvedRoles: paired.roles, approvedScopes: paired.scopes } : {}),
    };
    return reject(Errors.pairingRequired(details), CloseCodes.POLICY_VIOLATION, pairingCloseReason(details));
  };

  if (!skipPairing) {
    if (!isPaired) {
      const failed = requirePairing("not-paired");
      if (failed) return failed;
    } else if (paired) {
      const failed = !paired.roles.includes(role)
        ? requirePairing("role-upgrade")
        : scopes.length > 0 && !(paired.scopes.length > 0 && scopes.every((s) => scopeSatisfies(paired.scopes, s)))
          ? requirePairing("scope-upgrade")
          : undefined;
      if (failed) return failed;
    }
  }
  // issueGatewayConnectDeviceTokens: a browser session admitted by the shared secret, or any session admitted
  // by a token of that issuer, gets (or keeps) its token under the session's generation; the legacy does the
  // same, so the two runtimes reuse one token instead of each rotating the other's.
  const usesSharedAuth = method === "token" || method === "password" || method === "trusted-proxy";
  const sessionGeneration = (usesSharedAuth ? requiredGeneration : undefined) ?? deviceTokenGeneration;
  const sessionUsesSharedAuth = usesSharedAuth || deviceTokenGeneration !== undefined;
  const issuer: DeviceTokenIssuer | undefined =
    sessionGeneration && (deviceTokenGeneration !== undefined || (sessionUsesSharedAuth && isBrowserSessionClient(p.client))) ? { kind: SHARED_GATEWAY_AUTH_ISSUER, generation: sessionGeneration } : undefined;
  const nowPaired = rt.pairing.getPairedDevice(deviceId);
  let deviceToken: AcceptedSession["deviceToken"];
  if (nowPaired?.publicKey === publicKey && nowPaired.roles.includes(role)) {
    rt.pairing.touchDevice(deviceId, Date.now());
    const issued = trustedProxyUi ? undefined : rt.pairing.ensureDeviceToken(deviceId, role, scopes, issuer);
    if (issued) deviceToken = { token: issued.token, issuedAtMs: issued.issuedAtMs };
  }
  return { ok: true, session: { role, scopes, authMethod: method as AuthMethod, deviceId, ...(deviceToken ? { deviceToken } : {}), ...(sessionGeneration !== undefined ? { sharedGeneration: sessionGeneration } : {}) } };
}
