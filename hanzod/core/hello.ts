/** The `hello-ok` payload: every field HelloOk requires, with hanzod's own truth. */
import { createHash } from "node:crypto";
import { ADMIN_SCOPE, scopeSatisfies } from "../../protocol/index.js";
import { DEFAULTS } from "../options.js";
import type { Runtime } from "./runtime.js";
import type { AcceptedSession } from "./handshake/authenticate.js";
import { hanzodBuildId } from "../version.js";
import { advertisedFor } from "../registry.js";
import { sharedGatewaySessionGeneration } from "./auth/shared-generation.js";

/** Additive contracts hanzod keeps (protocol/server-capabilities.ts): targeted restarts name this process. */
export const HANZOD_CAPABILITIES = ["gateway-restart-target-safe-v1"] as const;

export function buildHello(rt: Runtime, connId: string, s: AcceptedSession): Record<string, unknown> {
  const snapshot: Record<string, unknown> = {
    suspension: { phase: rt.suspension.phase },
    presence: rt.presence.list(),
    health: rt.health.current(),
    stateVersion: { ...rt.broadcaster.stateVersion },
    uptimeMs: Date.now() - rt.startedAt,
    sessionDefaults: { defaultAgentId: "main", modelConfigured: false, ownership: "sole", selectionRequired: false, mainKey: "main", mainSessionKey: "agent:main:main", scope: "per-sender" },
    updateSchedule: { channel: "stable", autoEnabled: false },
  };
  // Paths and the auth mode are operator-sensitive: admin only, as in the legacy.
  if (s.role === "operator" && scopeSatisfies(s.scopes, ADMIN_SCOPE)) {
    if (rt.opts.configPath) snapshot.configPath = rt.opts.configPath;
    snapshot.stateDir = rt.opts.stateDir;
    snapshot.authMode = rt.opts.auth.mode;
  }
  const auth: Record<string, unknown> = { role: s.role, scopes: s.scopes };
  const recoveryScope = recoveryScopeOf(rt, s);
  if (recoveryScope !== undefined) auth.recoveryScope = recoveryScope;
  // The Control UI may move a device-token operator's recovery state to the new token.
  if (s.role === "operator" && s.user === undefined && s.deviceToken) auth.recoveryMigrationAllowed = true;
  if (s.deviceToken) {
    auth.deviceToken = s.deviceToken.token;
    auth.issuedAtMs = s.deviceToken.issuedAtMs;
  }
  return {
    type: "hello-ok",
    protocol: 4,
    // Serving the legacy's UI assets (not hanzod's own build), hanzod says so as the legacy does for a
    // configured UI root: the UI then does not reload over hanzod's build id differing from its own.
    server: { version: rt.version, buildId: hanzodBuildId(rt.version), bootId: rt.bootId, ...(rt.opts.controlUiRoot === undefined ? {} : { controlUiBuildSource: "configured" as const }), connId },
    features: { ...advertisedFor(rt.version), capabilities: HANZOD_CAPABILITIES },
    snapshot,
    auth,
    policy: {
      maxPayload: DEFAULTS.maxPayload,
      maxBufferedBytes: rt.opts.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
      tickIntervalMs: rt.tickIntervalMs,
      // The legacy's defaults for an unconfigured gateway (20 MB decoded per file, 6 MB per image).
      attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 },
      allowedSessionVisibilities: ["shared", "read-only", "suggest", "draft"],
      hasMultipleSessionSharingIdentities: false,
    },
  };
}

const sha256Base64Url = (text: string): string => createHash("sha256").update(text).digest("base64url");

/**
 * The id under which the Control UI keeps an operator's recovery state, as the legacy derives it (so the
 * same credential gives the same id on either runtime): from the authenticated principal, else the
 * device token issued now, else the shared-secret generation, else the device.
 */
function recoveryScopeOf(rt: Runtime, s: AcceptedSession): string | undefined {
  if (s.role !== "operator") return undefined;
  const deviceId = s.deviceId ?? "";
  let material: string[] | undefined;
  if (s.user !== undefined) material = ["principal", s.user, deviceId];
  else if (s.deviceToken) material = ["device-token", s.deviceToken.token];
  else {
    const generation = sharedSecretGeneration(rt, s);
    if (generation !== undefined) material = ["shared-auth", generation, deviceId];
    else if (s.deviceId !== undefined) material = ["device", s.deviceId];
  }
  return material === undefined ? undefined : sha256Base64Url(JSON.stringify(material));
}

/**
 * Which shared secret (or trusted-proxy setup) admitted the connection, or (a device connect) the session's
 * generation, that of a shared-gateway-auth device token included: changes when it is rotated.
 */
function sharedSecretGeneration(rt: Runtime, s: AcceptedSession): string | undefined {
  if (s.sharedGeneration !== undefined) return s.sharedGeneration;
  if (s.authMethod !== "token" && s.authMethod !== "password" && s.authMethod !== "trusted-proxy") return undefined;
  return sharedGatewaySessionGeneration(rt.opts.auth, rt.opts.trustedProxies);
}
