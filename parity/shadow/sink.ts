/**
 * The ShadowSink the proxy calls. `submit*` and `recordLatency` only push onto a bounded queue (or
 * bump an in-memory bin) and return: when the queue is full the item is dropped and counted. A timer
 * drains the queue in time-boxed slices, compares off the proxy's request path, and writes each slice
 * to the store in one transaction. Nothing here throws into the caller.
 */
import { DEFAULT_RULES, type RuleSet } from "../compare/index.js";
import type { ShadowEventObservation, ShadowObservation, ShadowSink } from "../shadow-sink.js";
import { DiffStore, type StoreBatch } from "../store/diff-store.js";
import type { StoreWriter } from "../store/reader.js";
import { DEFAULT_EVENT_WINDOW, EventWindows, type EventWindowOptions } from "./event-windows.js";
import { LatencyAccumulator } from "./latency-accumulator.js";
import { rowsForObservation } from "./observation.js";

export interface ShadowSinkOptions {
  /** The SQLite DiffStore, or a fleet's PostgreSQL store (which queues and writes off the hot path). */
  store: StoreWriter;
  /** Close the store when the sink closes (true when the sink opened it). */
  ownsStore?: boolean;
  /** The live comparison rules (defaults + the checklist's per-method compare rules); read per slice. */
  rules?: () => RuleSet;
  /** Validate hanzod's answers against the frozen contract (default true). */
  checkContract?: boolean;
  /** Queue bound; beyond it observations are dropped and counted (default 10,000). */
  queueLimit?: number;
  /** Items compared per slice and written per transaction (default 500). */
  batchSize?: number;
  /** Wall-time budget of one slice before yielding to the event loop (default 8 ms). */
  sliceBudgetMs?: number;
  /** Drain timer period (default 50 ms). */
  flushIntervalMs?: number;
  /** How often retention runs (default 5 min). */
  retentionIntervalMs?: number;
  events?: Partial<EventWindowOptions>;
  /** Called after each compared shadow observation (the proxy feeds its metrics from it). */
  onCompared?: (method: string, outcome: "match" | "mismatch" | "no-answer") => void;
  /** Where internal failures go (pino-compatible); never thrown. */
  log?: { warn: (obj: object, msg: string) => void };
  now?: () => number;
}

export interface ShadowSinkStats {
  queued: number;
  dropped: number;
  droppedEvents: number;
  compared: number;
  mismatches: number;
  compareErrors: number;
  writeErrors: number;
  openEventWindows: number;
}

type QueueItem = { observation: ShadowObservation } | { event: ShadowEventObservation };

export class ParityShadowSink implements ShadowSink {
  private queue: QueueItem[] = [];
  private readonly latency = new LatencyAccumulator();
  private readonly windows: EventWindows;
  private readonly timer: NodeJS.Timeout;
  private draining = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastRetention: number;
  private readonly s: ShadowSinkStats = {
    queued: 0,
    dropped: 0,
    droppedEvents: 0,
    compared: 0,
    mismatches: 0,
    compareErrors: 0,
    writeErrors: 0,
    openEventWindows: 0,
  };
  // Counters not yet persisted; added to the store with the next batch.
  private pendingCounters: Record<string, number> = {};
  private readonly queueLimit: number;
  private readonly batchSize: number;
  private readonly sliceBudgetMs: number;
  private readonly retentionIntervalMs: number;
  private readonly rules: () => RuleSet;
  private readonly now: () => number;

  constructor(private readonly options: ShadowSinkOptions) {
    this.queueLimit = options.queueLimit ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.sliceBudgetMs = options.sliceBudgetMs ?? 8;
    this.retentionIntervalMs = options.retentionIntervalMs ?? 5 * 60_000;
    this.rules = options.rules ?? (() => DEFAULT_RULES);
    this.now = options.now ?? Date.now;
    this.windows = new EventWindows({ ...DEFAULT_EVENT_WINDOW, ...options.events });
    this.lastRetention = this.now();
    this.guard(() => options.store.applyRetention(this.lastRetention));
    this.timer = setInterval(() => this.drain(false), options.flushIntervalMs ?? 50);
    this.timer.unref();
  }

  submit(observation: ShadowObservation): void {
    if (this.closed) return;
    if (this.queue.length >= this.queueLimit) {
      this.s.dropped++;
      this.count("dropped.observations");
      return;
    }
    this.queue.push({ observation });
  }

  submitEvent(observation: ShadowEventObservation): void {
    if (this.closed) return;
    if (this.queue.length >= this.queueLimit) {
      this.s.droppedEvents++;
      this.count("dropped.events");
      return;
    }
    this.queue.push({ event: observation });
  }

  recordLatency(method: string, backend: "legacy" | "hanzod", latencyMs: number, ok: boolean): void {
    if (this.closed) return;
    try {
      this.latency.add(method, backend, latencyMs, ok, this.now());
    } catch {
      /* a bad number must not reach the proxy */
    }
  }

  stats(): ShadowSinkStats {
    return { ...this.s, queued: this.queue.length, openEventWindows: this.windows.openWindows };
  }

  /** Drains everything queued now (tests and shutdown); resolves when it is in the store. */
  async flush(): Promise<void> {
    this.drain(true);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      clearInterval(this.timer);
      this.closing = (async () => {
        this.drain(true, true);
        if (this.options.ownsStore) {
          try {
            await this.options.store.close();
          } catch (err) {
            this.options.log?.warn({ err }, "parity sink: closing the store failed");
          }
        }
      })();
    }
    return this.closing;
  }

  private count(name: string, by = 1): void {
    this.pendingCounters[name] = (this.pendingCounters[name] ?? 0) + by;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.log?.warn({ err }, "parity sink: store operation failed");
    }
  }

  /**
   * One drain pass: time-boxed slices, each compared and written in one transaction; between slices
   * it yields (setImmediate) so proxy traffic keeps flowing. `all` drains regardless of the budget.
   */
  private drain(all: boolean, closeWindows = false): void {
    if (this.draining && !all) return;
    this.draining = true;
    try {
      do {
        this.slice(all ? Number.POSITIVE_INFINITY : this.sliceBudgetMs, closeWindows && this.queue.length <= this.batchSize);
      } while (all && this.queue.length > 0);
    } finally {
      this.draining = false;
    }
    if (!all && this.queue.length > 0) setImmediate(() => this.drain(false));
  }

  private slice(budgetMs: number, closeAllWindows: boolean): void {
    const started = performance.now();
    const now = this.now();
    const rules = this.rules();
    const store = this.options.store;
    const batch: Required<Pick<StoreBatch, "comparisons" | "samples" | "noisePaths" | "noiseProbes">> = {
      comparisons: [],
      samples: [],
      noisePaths: [],
      noiseProbes: [],
    };
    const probes = new Map<string, number>();
    const wantsSample = (method: string, path: string): boolean =>
      store.wantsSample(method, path) && !batch.samples.some((s) => s.method === method && s.path === path);
    const checkContract = this.options.checkContract ?? true;

    let taken = 0;
    while (taken < this.queue.length && taken < this.batchSize) {
      const item = this.queue[taken++]!;
      try {
        if ("event" in item) {
          this.windows.add(item.event);
          continue;
        }
        const o = item.observation;
        const rows = rowsForObservation(o, { rules, wantsSample, checkContract: checkContract && o.kind === "shadow" });
        batch.comparisons.push(rows.comparison);
        batch.samples.push(...rows.samples);
        batch.noisePaths.push(...rows.noisePaths);
        if (rows.noiseProbes > 0) probes.set(o.method, (probes.get(o.method) ?? 0) + rows.noiseProbes);
        if (o.kind === "shadow") {
          this.s.compared++;
          const outcome = rows.comparison.failure !== null ? "no-answer" : rows.entries.length === 0 ? "match" : "mismatch";
          if (outcome !== "match") this.s.mismatches++;
          this.options.onCompared?.(o.method, outcome);
        }
      } catch (err) {
        this.s.compareErrors++;
        this.count("errors.compare");
        this.options.log?.warn({ err, method: "observation" in item ? item.observation.method : item.event.event }, "parity sink: comparison failed");
      }
      if (performance.now() - started > budgetMs) break;
    }
    this.queue = taken >= this.queue.length ? [] : this.queue.slice(taken);

    const events = this.windows.closeDue(now, { rules, wantsSample }, closeAllWindows);
    batch.comparisons.push(...events.comparisons);
    batch.samples.push(...events.samples);
    if (events.dropped > 0) this.count("dropped.events", events.dropped);
    for (const [method, n] of probes) batch.noiseProbes.push({ method, probes: n });

    const latency = this.latency.take();
    const counters = this.pendingCounters;
    this.pendingCounters = {};
    if (batch.comparisons.length === 0 && batch.samples.length === 0 && latency.length === 0 && Object.keys(counters).length === 0) return;
    try {
      store.writeBatch({ ...batch, latency, counters });
    } catch (err) {
      this.s.writeErrors++;
      this.options.log?.warn({ err, rows: batch.comparisons.length }, "parity sink: batch write failed; batch dropped");
    }
    if (now - this.lastRetention >= this.retentionIntervalMs) {
      this.lastRetention = now;
      this.guard(() => store.applyRetention(now));
    }
  }
}

/** Opens (or creates) the store and returns a sink that owns it. */
export function createShadowSink(options: Omit<ShadowSinkOptions, "store" | "ownsStore"> & { storePath: string }): ParityShadowSink {
  const { storePath, ...rest } = options;
  return new ParityShadowSink({ ...rest, store: DiffStore.open(storePath), ownsStore: true });
}
