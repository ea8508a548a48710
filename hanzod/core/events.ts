/**
 * The events core itself sends. With the events domains declare (domains/manifest.generated.ts) they
 * make the one event table: the broadcaster's scope guards and hello-ok's `features.events` both read it,
 * so what hanzod advertises and what it lets through cannot drift apart.
 */
import type { EventDeclaration } from "./method.js";
import { DOMAIN_EVENTS } from "../domains/manifest.generated.js";

export const CORE_EVENTS: readonly EventDeclaration[] = [
  { name: "connect.challenge", guard: null, audience: "connection" },
  { name: "presence", guard: "operator.read" },
  { name: "tick", guard: null },
  { name: "shutdown", guard: null },
  { name: "health", guard: null },
  { name: "gateway.suspension", guard: null },
  { name: "device.pair.requested", guard: "operator.pairing" },
  { name: "device.pair.resolved", guard: "operator.pairing" },
];

export interface EventTable {
  /** Every event hanzod can send, in advertising order (hello-ok `features.events`). */
  readonly names: readonly string[];
  get(event: string): EventDeclaration | undefined;
}

export function buildEventTable(events: readonly EventDeclaration[]): EventTable {
  const byName = new Map<string, EventDeclaration>();
  for (const e of events) {
    if (byName.has(e.name)) throw new Error(`hanzod: event ${e.name} is declared twice`);
    byName.set(e.name, e);
  }
  const names = Object.freeze([...byName.keys()]);
  return { names, get: (event) => byName.get(event) };
}

/** Core's events, then every domain's (declared, not yet necessarily loaded). */
export const EVENT_TABLE: EventTable = buildEventTable([...CORE_EVENTS, ...DOMAIN_EVENTS]);
