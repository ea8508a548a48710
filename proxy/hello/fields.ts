/**
 * Who owns each hello-ok field, as data. A field belongs to the domain that produces it, and a domain
 * is served by whichever backend the routing sends its methods to: the field comes from that backend's
 * own hello-ok. So the snapshot a client gets is built from the same state its calls read, and a
 * promotion or rollback moves a field together with its methods.
 *
 * Owners:
 * - `auth`: the backend that owns this connection's handshake (the socket the client talks to: its
 *   auth result, its limits, its tick/presence/health stream, its connId and bootId).
 * - `assets`: the backend that serves the Control UI's files over HTTP (the proxy relays every
 *   non-WebSocket request to legacy, http-relay.ts). The UI compares its own build with
 *   `server.buildId`/`version` and reloads on a mismatch, so the identity must be the assets' build.
 * - a method name: the backend that answers that method on this connection (routing.ts servingBackend).
 * Keys not listed here (a newer release's additions) follow the route of their own name, that is
 * usually the checklist's `default`.
 */
import type { Backend } from "../tap.js";

export type FieldOwner = "auth" | "assets" | { method: string };

const CONFIG: FieldOwner = { method: "config.get" };
const UPDATE: FieldOwner = { method: "update.status" };
const PLUGIN_UI: FieldOwner = { method: "plugins.uiDescriptors" };

/** Top-level hello-ok keys; `server`, `snapshot` and `policy` are owned key by key below, `features` is computed. */
export const TOP_LEVEL: Readonly<Record<string, FieldOwner>> = {
  type: "auth",
  protocol: "auth",
  auth: "auth",
  controlUiUrl: "assets",
  controlUiTabs: PLUGIN_UI,
  controlUiWidgetKinds: PLUGIN_UI,
  controlUiLinkReaders: PLUGIN_UI,
  // Capability URLs minted for the connection that received them: refreshed with plugin.surface.refresh
  // on the same backend.
  pluginSurfaceUrls: { method: "plugin.surface.refresh" },
};

export const SERVER: Readonly<Record<string, FieldOwner>> = {
  version: "assets",
  buildId: "assets",
  controlUiBuildSource: "assets",
  bootId: "auth",
  connId: "auth",
};

export const SNAPSHOT: Readonly<Record<string, FieldOwner>> = {
  presence: "auth",
  health: "auth",
  stateVersion: "auth",
  uptimeMs: "auth",
  authMode: "auth",
  suspension: { method: "gateway.suspend.status" },
  appliedConfigHash: CONFIG,
  sessionDefaults: CONFIG,
  configPath: CONFIG,
  stateDir: CONFIG,
  updateAvailable: UPDATE,
  updateSchedule: UPDATE,
};

export const POLICY: Readonly<Record<string, FieldOwner>> = {
  maxPayload: "auth",
  maxBufferedBytes: "auth",
  tickIntervalMs: "auth",
  // Derived from the config by the chat and sessions domains.
  attachments: { method: "chat.send" },
  allowedSessionVisibilities: { method: "sessions.list" },
  hasMultipleSessionSharingIdentities: { method: "sessions.list" },
};

/** The backend that serves the Control UI's assets: every HTTP request goes to legacy (http-relay.ts). */
export const ASSETS_BACKEND: Backend = "legacy";
