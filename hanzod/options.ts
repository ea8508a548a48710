/** What `startHanzod` and the CLI accept, and the resolved runtime settings derived from it. */
import type { Logger } from "pino";

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

/** `{ method: { "/json/pointer": value } }`: test-only overrides applied to a method's result payload. */
export type TestInject = Record<string, Record<string, unknown>>;

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
  testInject?: TestInject;
  tickIntervalMs?: number;
  handshakeTimeoutMs?: number;
  healthRefreshIntervalMs?: number;
  /** Auto-approve pairing of devices connecting over direct loopback (legacy nodes.pairing.autoApproveLocal). */
  autoApproveLocal?: boolean;
  /** Outbound buffer threshold for the slow-consumer policy (legacy MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
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
} as const;
