/**
 * `gateway.restart.preflight`: hanzod holds no long-running work (no agents, queues or tasks), so a
 * restart is safe unless requests other than this one are in flight.
 */
import type { MethodHandler } from "./types.js";

export function restartPreflight(activeRequests: () => number): MethodHandler {
  return () => {
    const others = Math.max(0, activeRequests() - 1);
    const counts = { queueSize: 0, pendingReplies: 0, embeddedRuns: 0, cronRuns: 0, backgroundExecSessions: 0, rootRequests: others, activeTasks: 0, totalActive: others };
    if (others === 0) return { safe: true, counts, blockers: [], summary: "restart safe" };
    const message = `${others} active gateway request(s)`;
    return { safe: false, counts, blockers: [{ kind: "root-request", count: others, message }], summary: `restart deferred: ${message}` };
  };
}
