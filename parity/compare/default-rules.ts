/**
 * THE default normalisation rules: data, in one place, used by replay now and by shadow diffing later
 * (learned noise layers on top through `mergeRuleSets`). Every entry says why it exists; an entry
 * without a reason does not belong here.
 *
 * Globs are JSON pointers into the payload of a `res` (per method) or an `event` (per event).
 * Volatile detectors (see volatile.ts) already cover clocks, durations, uuids, connection/boot ids,
 * versions, nonces and throwaway temp folders everywhere.
 */
import type { RuleSet } from "./types.js";

export const DEFAULT_RULES: RuleSet = {
  global: {
    volatile: ["timestamp", "duration", "uuid", "connId", "version", "nonce", "tempPath", "digest"],
    ignore: [
      // Event-loop health: values, degraded flags, reasons and even its presence in a snapshot vary with load.
      "/**/eventLoop",
    ],
    shapeOnly: [
      // Runtime metrics: must be there with the right type, never repeat.
      "/**/processMemory",
      // Process-global counters (legacy-protocol.md §7): they count health refreshes and presence
      // broadcasts since boot, so two processes never agree.
      "/**/stateVersion",
    ],
  },
  methods: {
    "cron.list": {
      // Jobs are listed by next run, and each job's schedule anchor is randomised per install
      // (jitter), so order and anchor differ between two gateways with the same jobs.
      unordered: ["/jobs"],
      shapeOnly: ["/jobs/*/schedule/anchorMs"],
    },
    connect: {
      // Discovery lists: sets, in registration order, which depends on plugin load order.
      unordered: ["/features/methods", "/features/events", "/features/capabilities"],
      shapeOnly: [
        // Per-gateway recovery scope id (random per state dir).
        "/auth/recoveryScope",
        // Capability URLs: the gateway's own port plus a random per-connection capability.
        "/pluginSurfaceUrls/*",
      ],
    },
  },
  events: {},
};
