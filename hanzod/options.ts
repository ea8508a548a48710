/** What `startHanzod` and the CLI accept, and the resolved runtime settings derived from it. */
import type { Logger } from "pino";
import type { PipelineHook } from "./core/pipeline.js";

export type AuthMode = "token" | "password" | "none" | "trusted-proxy";

export interface TrustedProxyAuthOptions {
  /** Header carrying the verified user, e.g. `x-forwarded-user`. */
  userHeader: string;
  requiredHeaders?: string[];
  allowUsers?: string[];
  allowLoopback?: boolean;
}

export interface HanzodAuthOptions {
  mode: AuthMode;
  token?: string;
  password?: string;
  trustedProxy?: TrustedProxyAuthOptions;
}


export interface HanzodOptions {
  host?: string;
  /** 0 = an ephemeral port. */
  port: number;
  auth: HanzodAuthOptions;
  stateDir: string;
  /** CIDRs / IPs whose forwarded headers and asserted identities are believed. Loopback only when listed. */
  trustedProxies?: string[];
  /** The legacy openclaw.json this instance was configured from (reported in status/snapshot like the legacy). */
  configPath?: string;
  /** A pino logger, or false for silence. Default: pino at `HANZOD_LOG_LEVEL` (info) to stderr. */
  logger?: Logger | false;
  /**
   * Extra dispatch hooks, run after the built-in stage of the same name (core/pipeline.ts). Production
   * passes none; tests use them (e.g. test/support/inject-hook.ts alters a method's result).
   */
  hooks?: readonly PipelineHook[];
  tickIntervalMs?: number;
  handshakeTimeoutMs?: number;
  healthRefreshIntervalMs?: number;
  /** Auto-approve pairing of devices connecting over direct loopback (legacy nodes.pairing.autoApproveLocal). */
  autoApproveLocal?: boolean;
  /** Outbound buffer threshold for the slow-consumer policy (legacy MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
  /** WS ping interval on authenticated sockets (legacy: 25 s). */
  keepaliveIntervalMs?: number;
  /** How long after a ping is written its pong may take before the socket is terminated (legacy: 25 s). */
  keepalivePongTimeoutMs?: number;
  /**
   * What a `gateway.restart.request` (or the restart signal on the CLI) does once the old incarnation has sent
   * `shutdown` and closed every socket 1012: "in-process" (default) listens again on the same port
   * with a fresh runtime (new bootId, seq and stateVersion restart), as the unsupervised legacy does;
   * "exit" ends the process with code 0 so a supervisor (systemd Restart=always, launchd KeepAlive)
   * starts a new one, as the legacy does under a supervisor.
   */
  restartMode?: "in-process" | "exit";
  /**
   * Whether hanzod runs chat turns itself. "off" (default): `chat.send` (and `chat.abort`, `agent.wait`) are
   * declined, so the legacy runs every turn. "text-only": hanzod runs the text turns it can (issue #11), aborts and
   * waits for its own runs, but sends the model neither
   * the legacy's system prompt nor its tools, so a model may answer differently than under the legacy: an
   * operator has to ask for it.
   */
  turns?: "off" | "text-only";
  /**
   * The host ends this process on SIGTERM through `handle.terminate()` (the CLI does), as the legacy's
   * `gateway run` loop owns process exit. Only then may `gateway.suspend.handoff` arm a held suspension
   * so that stop becomes a planned restart; unset (an embedding host), it answers the legacy's "gateway
   * host does not own process exit".
   */
  ownsProcessExit?: boolean;
  /**
   * The legacy release hanzod stands beside (`--compat`): where releases of the supported window answer
   * differently, hanzod answers as this one, and reports it as server.version. Requests valid for any
   * release in the window are served either way. Default: the newest frozen release in the window.
   */
  compat?: string;
  /**
   * Serve the legacy's Control UI from this directory (the installed openclaw package's dist/control-ui,
   * hanzod/core/http/control-ui.ts), as the legacy serves one from a configured root. Unset: no UI.
   */
  controlUiRoot?: string;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  tickIntervalMs: 30_000,
  handshakeTimeoutMs: 15_000,
  healthRefreshIntervalMs: 60_000,
  maxPayload: 26_214_400,
  maxBufferedBytes: 52_428_800,
  maxPreauthPayload: 65_536,
  deviceSignatureSkewMs: 120_000,
  pairingRequestTtlMs: 5 * 60_000,
  keepaliveIntervalMs: 25_000,
  keepalivePongTimeoutMs: 25_000,
} as const;
