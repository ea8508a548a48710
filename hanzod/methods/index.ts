/** The methods hanzod implements; `features.methods` in hello-ok lists exactly these. */
import type { MethodHandler } from "../core/method.js";
import { health } from "../domains/health/health.js";
import { status } from "../domains/health/status.js";
import { systemInfo, systemPresence } from "../domains/system/system.js";
import { logsTail } from "../domains/logs/logs-tail.js";
import { restartPreflight, restartRequest, suspendPrepare, suspendResume, suspendStatus } from "../domains/gateway/lifecycle.js";

/** The argument is kept for callers of the earlier signature; active work now lives on the runtime. */
export function createMethodTable(_activeRequests?: () => number): ReadonlyMap<string, MethodHandler> {
  return new Map<string, MethodHandler>([
    ["health", health],
    ["status", status],
    ["system-presence", systemPresence],
    ["system.info", systemInfo],
    ["logs.tail", logsTail],
    ["gateway.restart.preflight", restartPreflight],
    ["gateway.restart.request", restartRequest],
    ["gateway.suspend.prepare", suspendPrepare],
    ["gateway.suspend.status", suspendStatus],
    ["gateway.suspend.resume", suspendResume],
  ]);
}
