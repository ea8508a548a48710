/**
 * hanzod's health snapshot in the legacy `health` shape, carrying hanzod's own truth: event-loop delay
 * from perf_hooks, no plugins/channels/agents (hanzod runs none yet). Refreshing bumps the process-wide
 * health version and broadcasts a `health` event, as the legacy does.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import type { AgentInventory } from "../state/agents.js";

export interface HealthSnapshot {
  ok: boolean;
  ts: number;
  durationMs: number;
  eventLoop: { degraded: boolean; degradedSinceMs: number | null; reasons: string[]; intervalMs: number; delayP99Ms: number; delayMaxMs: number; utilization: number; cpuCoreRatio: number };
  plugins: { loaded: string[]; errors: unknown[]; unavailable: unknown[] };
  configReload: { hotReloadStatus: string };
  channels: Record<string, unknown>;
  channelOrder: string[];
  channelLabels: Record<string, string>;
  heartbeatSeconds: number;
  defaultAgentId: string;
  agents: AgentInventory["agents"];
  sessions: AgentInventory["sessions"];
}

const DEGRADED_P99_MS = 500;

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export class HealthMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastAt = performance.now();
  private lastElu = performance.eventLoopUtilization();
  private lastCpu = process.cpuUsage();
  private degradedSince: number | null = null;
  private snapshot: HealthSnapshot;

  constructor(private readonly inventory: () => AgentInventory) {
    this.histogram.enable();
    this.snapshot = this.measure();
  }

  current(): HealthSnapshot {
    return this.snapshot;
  }

  refresh(): HealthSnapshot {
    this.snapshot = this.measure();
    return this.snapshot;
  }

  stop(): void {
    this.histogram.disable();
  }

  private measure(): HealthSnapshot {
    const started = performance.now();
    const intervalMs = started - this.lastAt;
    const elu = performance.eventLoopUtilization(this.lastElu);
    const cpu = process.cpuUsage(this.lastCpu);
    const p99 = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0;
    const max = this.histogram.count > 0 ? this.histogram.max / 1e6 : 0;
    this.histogram.reset();
    this.lastAt = started;
    this.lastElu = performance.eventLoopUtilization();
    this.lastCpu = process.cpuUsage();
    const degraded = p99 > DEGRADED_P99_MS;
    const agents = this.inventory();
    if (degraded && this.degradedSince === null) this.degradedSince = Date.now();
    if (!degraded) this.degradedSince = null;
    return {
      ok: true,
      ts: Date.now(),
      durationMs: Math.round(performance.now() - started),
      eventLoop: {
        degraded,
        degradedSinceMs: this.degradedSince,
        reasons: degraded ? ["event-loop-delay"] : [],
        intervalMs,
        delayP99Ms: round(p99, 1),
        delayMaxMs: round(max, 1),
        utilization: round(elu.utilization),
        cpuCoreRatio: intervalMs > 0 ? round((cpu.user + cpu.system) / 1000 / intervalMs) : 0,
      },
      plugins: { loaded: [], errors: [], unavailable: [] },
      configReload: { hotReloadStatus: "active" },
      channels: {},
      channelOrder: [],
      channelLabels: {},
      heartbeatSeconds: agents.heartbeatSeconds,
      defaultAgentId: agents.defaultAgentId,
      agents: agents.agents,
      sessions: agents.sessions,
    };
  }
}
