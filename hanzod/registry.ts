/**
 * What hanzod implements and can send, as static data derived from the domain declarations
 * (domains/manifest.generated.ts, written by `npm run hanzod:manifest`). Tools (the parity report's
 * "implemented in hanzod" coverage, owner gates) read it without starting or loading any domain;
 * hello-ok's `features.methods/events` are these same lists.
 */
import { DOMAIN_OF_METHOD } from "./domains/manifest.generated.js";
import { EVENT_TABLE } from "./core/events.js";

export const HANZOD_METHODS: readonly string[] = Object.freeze(Object.keys(DOMAIN_OF_METHOD));
export const HANZOD_EVENTS: readonly string[] = EVENT_TABLE.names;
