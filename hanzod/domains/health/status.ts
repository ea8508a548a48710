/**
 * `status` in the legacy shape. hanzod runs no agents, channels, tasks or sessions yet, so those
 * sections are present and empty; process memory and event loop are hanzod's own.
 */
import type { CoreServices } from "../../core/runtime.js";

const ZERO_TASKS = {
  total: 0,
  active: 0,
  terminal: 0,
  failures: 0,
  byStatus: { queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, lost: 0 },
  byRuntime: { subagent: 0, acp: 0, cli: 0, cron: 0 },
};
const ZERO_AUDIT = {
  total: 0,
  warnings: 0,
  errors: 0,
  byCode: { stale_queued: 0, stale_running: 0, lost: 0, delivery_failed: 0, missing_cleanup: 0, inconsistent_timestamps: 0 },
};

export function status(core: CoreServices): Record<string, unknown> {
  const mem = process.memoryUsage();
  return {
    runtimeVersion: core.version,
    hostDesktop: { enabled: false, state: "disabled", port: 5900 },
    heartbeat: { defaultAgentId: "main", agents: [] },
    channelSummary: [],
    queuedSystemEvents: [],
    degradedSecretOwners: [],
    degradedPlugins: [],
    tasks: ZERO_TASKS,
    taskAudit: ZERO_AUDIT,
    sessions: { paths: [], count: 0, defaults: { model: null, contextTokens: null }, recent: [], byAgent: [] },
    eventLoop: core.health.current().eventLoop,
    processMemory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
  };
}
