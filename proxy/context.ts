/** What every ClientSession of one proxy shares: the live routing table, metrics, breaker, shadow queue. */
import type { RoutingTable } from "../parity/checklist/index.js";
import type { ShadowSink } from "../parity/shadow-sink.js";
import type { CircuitBreaker } from "./breaker.js";
import type { Logger } from "./log.js";
import type { ProxyMetrics } from "./metrics.js";
import type { IdempotencyStickiness } from "./routing.js";
import type { ShadowBudget } from "./shadow-budget.js";
import type { ShadowQueue } from "./shadow-queue.js";

export interface ProxyContext {
  /** The current table; read once per request (the reference is swapped on reload). */
  table(): RoutingTable;
  metrics: ProxyMetrics;
  log: Logger;
  sink: ShadowSink | undefined;
  shadowQueue: ShadowQueue;
  /** Shadow copies per second per method (the table's `shadow.maxPerSecond`). */
  shadowBudget: ShadowBudget;
  stickiness: IdempotencyStickiness;
  /** Guards hanzod (and the isolated hanzod); legacy is the fallback and has no breaker. */
  hanzodBreaker: CircuitBreaker;
  legacyUrl: string | undefined;
  hanzodUrl: string | undefined;
  hanzodIsolatedUrl: string | undefined;
  hanzodToken: string | undefined;
  legacyToken: string | undefined;
  maxBufferedBytes: number;
  internalTimeoutMs: number;
  /** How long a hanzod-routed request may go unanswered before the proxy answers for it (0 = never). */
  hanzodDeadlineMs: number;
  random(): number;
}
