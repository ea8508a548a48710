/**
 * What hanzod implements and can send, as static data derived from the domain declarations
 * (domains/manifest.generated.ts, written by `npm run hanzod:manifest`). Tools (the parity report's
 * "implemented in hanzod" coverage, owner gates) read it without starting or loading any domain;
 * hello-ok's `features.methods/events` are these same lists.
 */
import { methodPolicy, releaseEventNames, releaseMethodRow } from "../protocol/index.js";
import { DOMAIN_EVENTS, DOMAIN_OF_METHOD } from "./domains/manifest.generated.js";
import { EVENT_TABLE } from "./core/events.js";

export { DECLINED_NODE_COMMANDS, NODE_OWNER_GAPS } from "./domains/nodes/owner-gaps.js";

export const HANZOD_METHODS: readonly string[] = Object.freeze(Object.keys(DOMAIN_OF_METHOD));
export const HANZOD_EVENTS: readonly string[] = EVENT_TABLE.names;

const advertised = new Map<string, { methods: readonly string[]; events: readonly string[] }>();

/**
 * hello-ok's `features` for the release hanzod answers as: a method newer than the pinned contract only
 * when that release has (and advertises) it, an event a domain declares only when that release lists it.
 */
export function advertisedFor(release: string): { methods: readonly string[]; events: readonly string[] } {
  let lists = advertised.get(release);
  if (lists === undefined) {
    const releaseEvents = new Set(releaseEventNames(release));
    const domainEvents = new Set(DOMAIN_EVENTS.map((e) => e.name));
    lists = Object.freeze({
      methods: Object.freeze(HANZOD_METHODS.filter((m) => methodPolicy(m) !== undefined || releaseMethodRow(release, m)?.advertised === true)),
      events: Object.freeze(HANZOD_EVENTS.filter((e) => !domainEvents.has(e) || releaseEvents.has(e))),
    });
    advertised.set(release, lists);
  }
  return lists;
}
