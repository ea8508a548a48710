/**
 * The hello-ok a client receives through the proxy: what the gateway it really talks to would say.
 * Built once per connection, at its handshake, from the hello-ok payloads of the backends that serve
 * the connection (the auth owner's, and the other backend's from the proxy's own leg to it):
 * - every field comes from the backend that owns it (fields.ts);
 * - `features.methods/events/capabilities` list what the proxy serves under the routing in force for
 *   this connection: a name is listed when the backend its calls (or events) go to lists it itself,
 *   so legacy-routed names are there and a name routed to a backend without it is not; except that a
 *   method routed to hanzod which hanzod does not serve is declined and answered by the legacy
 *   (protocol/declined.ts), so it is listed when the legacy lists it.
 * Pure: no sockets, no routing table; the session passes where things go.
 */
import { asRecord, capabilityMethod, CONTRACT_METHOD_NAMES } from "../../protocol/index.js";
import type { Backend } from "../tap.js";
import { answeringBackend, UNION_APPROVAL_EVENTS } from "../routing.js";
import { ASSETS_BACKEND, POLICY, SERVER, SNAPSHOT, TOP_LEVEL, type FieldOwner } from "./fields.js";

type Payload = Record<string, unknown>;

export interface HelloSources {
  /** The backend that owns this connection's handshake. */
  auth: Backend;
  /** Each backend's own hello-ok payload for this connection; absent when it could not be had. */
  hellos: Partial<Record<Backend, Payload>>;
  /** The backend that answers a method on this connection (routing.ts servingBackend). */
  serves(method: string): Backend;
  /** The backend whose copy of an event this connection receives (routing.ts routedEventOwner). */
  eventOwner(event: string): Backend;
}

const BACKENDS: readonly Backend[] = ["legacy", "hanzod"];

export function assembleHello(s: HelloSources): Payload {
  const out: Payload = {};
  for (const key of unionKeys((b) => s.hellos[b])) {
    if (key === "features") out.features = discovery(s);
    else if (key === "server") out.server = section(s, SERVER, "server");
    else if (key === "snapshot") out.snapshot = section(s, SNAPSHOT, "snapshot");
    else if (key === "policy") out.policy = section(s, POLICY, "policy");
    else take(out, key, source(s, TOP_LEVEL[key] ?? { method: key }));
  }
  return out;
}

/**
 * Whether a connection needs `other`'s hello-ok besides its auth owner's: when `other` serves the
 * Control UI's assets, answers any method (contract, advertised, or one owning a field), or owns a
 * capability's method. When it does not, the auth owner's hello-ok goes to the client verbatim.
 */
export function needsPartner(other: Backend, auth: Backend, advertised: readonly string[], serves: (method: string) => Backend): boolean {
  if (other === auth) return false;
  if (ASSETS_BACKEND === other) return true;
  for (const list of [CONTRACT_METHOD_NAMES, advertised, ownerMethods]) for (const m of list) if (serves(m) === other) return true;
  return false;
}

const ownerMethods: readonly string[] = [...new Set([TOP_LEVEL, SERVER, SNAPSHOT, POLICY].flatMap((t) => Object.values(t).flatMap((o) => (typeof o === "object" ? [o.method] : []))))];

function ownerBackend(s: HelloSources, owner: FieldOwner): Backend {
  if (owner === "auth") return s.auth;
  if (owner === "assets") return ASSETS_BACKEND;
  return s.serves(owner.method);
}

/** The owner's hello-ok, or the auth owner's when the owner's could not be had (its leg failed). */
function source(s: HelloSources, owner: FieldOwner): Payload | undefined {
  return s.hellos[ownerBackend(s, owner)] ?? s.hellos[s.auth];
}

function take(out: Payload, key: string, from: Payload | undefined): void {
  if (from !== undefined && from[key] !== undefined) out[key] = from[key];
}

function section(s: HelloSources, owners: Readonly<Record<string, FieldOwner>>, name: string): Payload {
  const out: Payload = {};
  const part = (b: Backend): Payload | undefined => objectAt(s.hellos[b], name);
  for (const key of unionKeys(part)) {
    const owner = owners[key] ?? { method: key };
    take(out, key, objectAt(source(s, owner), name));
  }
  return out;
}

function discovery(s: HelloSources): Payload {
  const methods = namesBy(s, "methods");
  // A name is listed when the backend that ends up answering it lists it: the routed one, or the legacy
  // for what a hanzod that said hello does not serve (an unreachable hanzod declines nothing).
  const answers = (method: string): Backend => answeringBackend(s.serves(method), method, methods.hanzod);
  const events = namesBy(s, "events");
  // An exec approval event reaches the client from either backend (EventRouter): listed when either sends it.
  const delivers = (event: string): Backend => (UNION_APPROVAL_EVENTS.has(event) ? (events.legacy?.has(event) ? "legacy" : "hanzod") : answeringBackend(s.eventOwner(event), event, events.hanzod));
  const out: Payload = {
    methods: listed(methods, answers),
    events: listed(events, delivers),
  };
  if (BACKENDS.some((b) => Array.isArray(objectAt(s.hellos[b], "features")?.capabilities))) {
    out.capabilities = listed(namesBy(s, "capabilities"), (c) => answers(capabilityMethod(c)));
  }
  return out;
}

type NamesBy = Partial<Record<Backend, Set<string>>>;

function namesBy(s: HelloSources, list: "methods" | "events" | "capabilities"): NamesBy {
  const sets: NamesBy = {};
  for (const b of BACKENDS) if (s.hellos[b] !== undefined) sets[b] = new Set(namesAt(s.hellos[b], list));
  return sets;
}

/** Names (legacy's order, then hanzod's additions) that the backend they go to lists itself. */
function listed(sets: NamesBy, owner: (name: string) => Backend): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const b of BACKENDS) {
    for (const name of sets[b] ?? []) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (sets[owner(name)]?.has(name)) out.push(name);
    }
  }
  return out;
}

/** Keys of both backends' parts, legacy's order first (it is the reference the clients were built on). */
function unionKeys(part: (b: Backend) => Payload | undefined): string[] {
  const keys = new Set<string>();
  for (const b of BACKENDS) for (const k of Object.keys(part(b) ?? {})) keys.add(k);
  return [...keys];
}

function objectAt(p: Payload | undefined, key: string): Payload | undefined {
  return asRecord(p?.[key]);
}

/** The events a hello-ok says its backend sends; undefined when it lists none (nothing to go by). */
export function advertisedEvents(p: Payload | undefined): ReadonlySet<string> | undefined {
  const v = objectAt(p, "features")?.events;
  return Array.isArray(v) ? new Set(v.filter((x): x is string => typeof x === "string")) : undefined;
}

function namesAt(p: Payload | undefined, list: string): string[] {
  const v = objectAt(p, "features")?.[list];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
