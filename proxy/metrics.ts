/** The proxy's Prometheus metrics, on a registry of its own so several proxies can share a process. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * `timeout`: hanzod missed the request deadline; `late`: its answer came after that and was dropped;
 * `declined`: hanzod said the call is the legacy's to answer (protocol/declined.ts) and it went there.
 */
export type Outcome = "ok" | "error" | "unavailable" | "fallback" | "closed" | "timeout" | "late" | "declined";
const OUTCOMES: readonly Outcome[] = ["ok", "error", "unavailable", "fallback", "closed", "timeout", "late", "declined"];
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "hanzonode_proxy_requests_total",
    help: "Client requests by method, backend that answered and outcome",
    labelNames: ["method", "backend", "outcome"] as const,
    registers: [this.registry],
    collect: () => this.flushRequests(),
  });
  readonly latency = new Histogram({
    name: "hanzonode_proxy_request_duration_seconds",
    help: "Time from the client's request to the backend's final answer, per backend",
    labelNames: ["backend"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly shadow = new Counter({
    name: "hanzonode_proxy_shadow_total",
    help: "Shadow copies by result: submitted (compared by the sink), dropped (queue full), failed (hanzod did not answer), skipped (side effect at runtime), over-budget (beyond shadow.maxPerSecond, not copied), abandoned (its client left before it could be sent; not compared), declined (hanzod declined it to the legacy: not compared)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  /** Bumped per shadowed call not copied (beyond the budget, a side effect): cached children, no label lookup per call. */
  readonly shadowOverBudget = this.shadow.labels({ result: "over-budget" });
  readonly shadowSkipped = this.shadow.labels({ result: "skipped" });
  readonly shadowCompared = new Counter({
    name: "hanzonode_proxy_shadow_compared_total",
    help: "Shadow comparisons reported by the parity sink: match, mismatch, no-answer",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly mirror = new Counter({
    name: "hanzonode_proxy_mirror_total",
    help: "Connection-state calls also sent to the other backend (proxy/mirror.ts), by method (a fixed set) and verdict: agree, disagree (the two runtimes now hold different state for the connection), declined (hanzod left it to the legacy), failed (no answer)",
    labelNames: ["method", "verdict"] as const,
    registers: [this.registry],
  });
  readonly shadowQueueDepth = new Gauge({
    name: "hanzonode_proxy_shadow_queue_depth",
    help: "Shadow copies waiting for hanzod",
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: "hanzonode_proxy_upstream_up",
    help: "1 when the backend is considered healthy (circuit closed), 0 when open",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: "hanzonode_proxy_circuit_state",
    help: "Circuit breaker per backend: 0 closed, 1 half-open, 2 open",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly openConnections = new Gauge({
    name: "hanzonode_proxy_open_connections",
    help: "Client WebSocket connections currently open",
    registers: [this.registry],
  });
  readonly upstreamLegs = new Gauge({
    name: "hanzonode_proxy_upstream_legs",
    help: "Open upstream legs per backend",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: "hanzonode_proxy_events_total",
    help: "Upstream events by backend and fate (delivered, dropped as non-owner)",
    labelNames: ["backend", "fate"] as const,
    registers: [this.registry],
    collect: () => this.flushEvents(),
  });
  readonly checklistReloads = new Counter({
    name: "hanzonode_proxy_checklist_reloads_total",
    help: "Checklist reloads by result",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "hanzonode_proxy_" });
  }

  // The per-request and per-event counts are plain numbers, added into the counters when /metrics is
  // read (collect, below). prom-client's inc, even through a cached labels() child, hashes the label
  // set into a string on every call; this keeps the hot path to an array index and an addition.
  private readonly requestCounts = new Map<string, Float64Array>();
  private readonly eventCounts = new Float64Array(4);
  private readonly latencyChildren = {
    legacy: this.latency.labels("legacy"),
    hanzod: this.latency.labels("hanzod"),
  };

  countRequest(method: string, backend: "legacy" | "hanzod", outcome: Outcome): void {
    let counts = this.requestCounts.get(method);
    if (counts === undefined) {
      counts = new Float64Array(OUTCOMES.length * 2);
      this.requestCounts.set(method, counts);
    }
    counts[OUTCOME_INDEX[outcome] * 2 + (backend === "legacy" ? 0 : 1)]!++;
  }

  observeLatency(backend: "legacy" | "hanzod", seconds: number): void {
    this.latencyChildren[backend].observe(seconds);
  }

  /** An upstream event delivered to the client, or dropped (its backend does not own its family). */
  countEvent(backend: "legacy" | "hanzod", delivered: boolean): void {
    this.eventCounts[(backend === "legacy" ? 0 : 2) + (delivered ? 0 : 1)]!++;
  }

  /** Moves the counts gathered since the last read into the counters (prom-client calls this on every read). */
  private flushRequests(): void {
    for (const [method, counts] of this.requestCounts) {
      for (let i = 0; i < counts.length; i++) {
        const n = counts[i]!;
        if (n === 0) continue;
        counts[i] = 0;
        this.requests.inc({ method, backend: i % 2 === 0 ? "legacy" : "hanzod", outcome: OUTCOMES[i >> 1]! }, n);
      }
    }
  }

  private flushEvents(): void {
    const c = this.eventCounts;
    for (let i = 0; i < 4; i++) {
      const n = c[i]!;
      if (n === 0) continue;
      c[i] = 0;
      this.events.inc({ backend: i < 2 ? "legacy" : "hanzod", fate: i % 2 === 0 ? "delivered" : "dropped" }, n);
    }
  }
}
