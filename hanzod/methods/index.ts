/** The methods hanzod implements; `features.methods` in hello-ok lists exactly these. */
import type { MethodHandler } from "./types.js";
import { health } from "./health.js";
import { status } from "./status.js";
import { systemInfo, systemPresence } from "./system.js";
import { logsTail } from "./logs.js";
import { restartPreflight } from "./lifecycle.js";

export function createMethodTable(activeRequests: () => number): ReadonlyMap<string, MethodHandler> {
  return new Map<string, MethodHandler>([
    ["health", health],
    ["status", status],
    ["system-presence", systemPresence],
    ["system.info", systemInfo],
    ["logs.tail", logsTail],
    ["gateway.restart.preflight", restartPreflight(activeRequests)],
  ]);
}
