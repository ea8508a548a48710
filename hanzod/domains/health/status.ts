/**
 * `status` in the legacy shape. hanzod runs no agents, channels, tasks or sessions yet, so those
 * sections are present and empty; process memory and event loop are hanzod's own.
 */
import { existsSync } from "node:fs";
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

/** `admin`: the caller holds operator.admin; the legacy shows session store paths only to admins. */
export function status(core: CoreServices, admin: boolean): Record<string, unknown> {
  const mem = process.memoryUsage();
  const inv = core.agents.read();
  const existing = inv.agents.filter((a) => existsSync(a.sessions.path));
  return {
    runtimeVersion: core.version,
    hostDesktop: { enabled: false, state: "disabled", port: 5900 },
    // No channel routes in hanzod yet, so every heartbeat waits for one (as the legacy without channels).
    heartbeat: { defaultAgentId: inv.defaultAgentId, agents: inv.agents.map((a) => ({ agentId: a.agentId, enabled: a.heartbeat.enabled, every: a.heartbeat.every, everyMs: a.heartbeat.everyMs, waitingForRoute: true })) },
    channelSummary: [],
    queuedSystemEvents: [],
    degradedSecretOwners: [],
    degradedPlugins: [],
    tasks: ZERO_TASKS,
    taskAudit: ZERO_AUDIT,
    sessions: {
      paths: admin ? existing.map((a) => a.sessions.path) : [],
      count: inv.agents.reduce((n, a) => n + a.sessions.count, 0),
      defaults: { model: null, contextTokens: null },
      recent: [],
      // The legacy lists recent sessions in status only to admins (its "sensitive" view), as rich rows
      // (model, tokens, flags). hanzod has the key/updatedAt/age part of those rows so far.
      byAgent: inv.agents.map((a) => ({ agentId: a.agentId, path: admin ? a.sessions.path : "[redacted]", count: a.sessions.count, recent: admin ? a.sessions.recent : [] })),
    },
    eventLoop: core.health.current().eventLoop,
    processMemory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
  };
}
