/**
 * The proxy's public surface (implemented in proxy/server.ts by the proxy part). Other parts and tests
 * import only this file and proxy/index.ts.
 */
import type { FrameTap } from "./tap.js";
import type { ShadowSink } from "../parity/shadow-sink.js";
import type { Logger } from "pino";
import type { RoutingTable } from "../parity/checklist/index.js";

export interface ProxyOptions {
  listenHost?: string;
  /** 0 = an ephemeral port (read it back from RunningProxy.port). */
  listenPort: number;
  /**
   * ws://host:port of the legacy gateway; its HTTP surface is the same origin. Optional once hanzod
   * takes everything (auth, nodes, every route): then plain HTTP goes to hanzod, and a request still
   * routed to legacy gets the retryable UNAVAILABLE "the legacy gateway is not reachable".
   */
  legacyUrl?: string;
  hanzodUrl?: string;
  /** Shared secret the proxy presents on its own legs to hanzod. */
  hanzodToken?: string;
  /** parity/checklist.yaml; without it every method routes to legacy (recording mode). */
  checklistPath?: string;
  /**
   * The checklist from elsewhere than a file (a fleet's PostgreSQL store): the proxy routes by
   * `current()` and swaps tables on every `onTable`. Takes precedence over `checklistPath`.
   */
  checklistSource?: { current(): RoutingTable; onTable(handler: (table: RoutingTable) => void): void };
  tap?: FrameTap;
  shadowSink?: ShadowSink;
  adminPort?: number;
  /** A pino logger to use; default: JSON to stderr at HANZONODE_LOG_LEVEL or `logLevel` (default info). */
  logger?: Logger;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /**
   * The legacy's shared token, used only when hanzod owns auth: the proxy's leg to legacy then takes the
   * legacy's reserved loopback `gateway-client`/`backend` path with hanzod's granted scopes.
   */
  legacyToken?: string;
  /** A hanzod with throwaway state that receives `shadow: isolated` copies; without it those are not copied. */
  hanzodIsolatedUrl?: string;
  /** How long the circuit to hanzod stays open before a half-open probe (default 2000 ms). */
  breakerOpenMs?: number;
  /** How often each backend's /readyz is probed for upstream_up and the admin /readyz (default 5000 ms). */
  upstreamProbeIntervalMs?: number;
  /** How long a shadow copy or noise probe may wait for its answer (default 15000 ms). */
  shadowTimeoutMs?: number;
  /**
   * How long a request routed to hanzod may go unanswered (default 5000 ms; 0 = no deadline). After it a
   * `fallback: legacy` read is sent to legacy, anything else gets the retryable UNAVAILABLE, the circuit
   * breaker counts a failure, and hanzod's late answer is dropped. A request carrying `params.timeoutMs`
   * gets that on top; an interim "accepted" answer ends the deadline.
   */
  hanzodDeadlineMs?: number;
  /** A client whose unread answers exceed this is closed 1008 "slow consumer" (default: the legacy's 50 MiB). */
  maxBufferedBytes?: number;
  /**
   * Addresses (IPs or CIDRs) whose `X-Forwarded-For` the proxy believes. Default: the legacy's own
   * `gateway.trustedProxies`, read from `legacyConfigPath` when given. A client from anywhere else gets
   * the header replaced with the address the proxy sees.
   */
  trustedProxies?: string[];
  /** The legacy's openclaw.json, for defaults the proxy takes from it (gateway.trustedProxies). */
  legacyConfigPath?: string;
}

export interface RunningProxy {
  port: number;
  url: string;
  adminPort?: number;
  /** http://host:adminPort/metrics when the admin port is on. */
  metricsUrl?: string;
  /** The routing table in force now (swapped on every valid checklist change). */
  table(): RoutingTable;
  /** The sink reports each comparison here so /metrics shows shadow matches and mismatches. */
  recordComparison(method: string, outcome: "match" | "mismatch" | "no-answer"): void;
  close(): Promise<void>;
}
