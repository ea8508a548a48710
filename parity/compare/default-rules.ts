/**
 * THE default normalisation rules: data, in one place, used by replay now and by shadow diffing later
 * (learned noise layers on top through `mergeRuleSets`). Every entry says why it exists; an entry
 * without a reason does not belong here.
 *
 * Globs are JSON pointers into the payload of a `res` (per method) or an `event` (per event).
 */
import type { RuleSet } from "./types.js";

export const DEFAULT_RULES: RuleSet = {
  global: {
    // All detectors: clocks, durations, uuids, connection/boot ids, versions, nonces, temp folders.
    volatile: ["timestamp", "duration", "uuid", "connId", "version", "nonce", "tempPath"],
    shapeOnly: [
      // Runtime metrics: must be there with the right type, never repeat.
      "/**/eventLoop",
      "/**/processMemory",
    ],
  },
  methods: {},
  events: {},
};
