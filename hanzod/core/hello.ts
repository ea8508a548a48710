/** The `hello-ok` payload: every field HelloOk requires, with hanzod's own truth. */
import { ADMIN_SCOPE, scopeSatisfies } from "../../protocol/index.js";
import { DEFAULTS } from "../options.js";
import type { Runtime } from "./runtime.js";
import type { AcceptedSession } from "./handshake/authenticate.js";
import { hanzodBuildId } from "../version.js";

/** Events hanzod can emit; advertised in features.events. */
export const HANZOD_EVENTS = ["connect.challenge", "presence", "tick", "shutdown", "health", "gateway.suspension", "device.pair.requested", "device.pair.resolved"] as const;

export function buildHello(rt: Runtime, connId: string, methods: readonly string[], s: AcceptedSession): Record<string, unknown> {
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
  if (s.deviceToken) {
    auth.deviceToken = s.deviceToken.token;
    auth.issuedAtMs = s.deviceToken.issuedAtMs;
  }
  return {
    type: "hello-ok",
    protocol: 4,
    server: { version: rt.version, buildId: hanzodBuildId(rt.version), bootId: rt.bootId, connId },
    features: { methods, events: HANZOD_EVENTS, capabilities: [] },
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
