/**
 * Routing decisions that need more than the checklist: canary bucketing (sticky per client identity,
 * and per idempotencyKey across connections), method and event families.
 */
import { createHash } from "node:crypto";
import { CONTRACT_METHOD_NAMES } from "../protocol/index.js";
import type { RoutingTable } from "../parity/checklist/index.js";
import type { RoutingProfile } from "./identity.js";
import type { Backend } from "./tap.js";

/** 0..99, stable for a string. */
export function bucketOf(key: string): number {
  return createHash("sha1").update(key).digest().readUInt16BE(0) % 100;
}

/**
 * Retries with the same idempotencyKey must reach the backend that saw the first attempt (dedupe is
 * per process). Remembers the choice like the legacy dedupe cache: bounded, 5 minute TTL.
 */
export class IdempotencyStickiness {
  private readonly seen = new Map<string, { backend: Backend; at: number }>();
  constructor(
    private readonly max = 10_000,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  pick(idempotencyKey: string, choose: () => Backend, now = Date.now()): Backend {
    // Keys are client input: a long one is kept as its digest, so the map is bounded in bytes too.
    const key = idempotencyKey.length <= 128 ? idempotencyKey : `\u0000${createHash("sha256").update(idempotencyKey).digest("base64")}`;
    const hit = this.seen.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.backend;
    const backend = choose();
    if (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, { backend, at: now });
    return backend;
  }
}

/**
 * Events the auth owner emits for the whole process (tick, presence, health, shutdown...). Not
 * `heartbeat` (the agents' heartbeat runner: its family is the heartbeat methods') nor
 * `update.available` (the update domain's, with update.status/run): those follow their methods.
 */
export const AUTH_OWNED_EVENTS: ReadonlySet<string> = new Set(["connect.challenge", "tick", "health", "presence", "shutdown", "gateway.suspension"]);

const FAMILY_ALIASES: Readonly<Record<string, string>> = { session: "sessions", task: "tasks" };

/**
 * `sessions.changed` -> sessions, `session.message` -> sessions, `chat` -> chat, `config.set` -> config.
 * `device.pair.*` is a family of its own: it follows the auth owner (parity/checklist AUTH_BOUND_METHODS)
 * while the rest of `device.*` (token rotation) follows its routing.
 */
export function familyOf(name: string): string {
  if (name.startsWith("device.pair.")) return "device.pair";
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  return FAMILY_ALIASES[head] ?? head;
}

/** A contract method standing for a family, to route a family's events before any of its calls. */
const representatives = new Map<string, string>([["heartbeat", "last-heartbeat"]]);
for (const m of CONTRACT_METHOD_NAMES) {
  const f = familyOf(m);
  if (!representatives.has(f)) representatives.set(f, m);
}
export function representativeMethod(family: string): string | undefined {
  return representatives.get(family);
}

/**
 * Methods that must run in the process holding the node connections, whatever the checklist says:
 * `node.invoke` (the node is connected there), and the exec approval family (issue #12): a `system.run` with
 * approval flags is checked against an approval record in the same process (the legacy's in-memory approval
 * manager; hanzod/state/research/system-run-approvals.md section 2), so the approval is requested, waited for,
 * listed and resolved where the node is. A hanzod that does not hold the id (an approval the legacy made for
 * its own agent turns) declines it and the legacy answers (protocol/declined.ts).
 */
export const NODE_BOUND_METHODS: ReadonlySet<string> = new Set(["node.invoke", "exec.approval.request", "exec.approval.get", "exec.approval.list", "exec.approval.waitDecision", "exec.approval.resolve"]);

/**
 * Events a client gets from every backend it has a leg to, not from one family owner: each runtime makes
 * exec approvals of its own (hanzod for operators' node runs, the legacy for its agent turns' gateway-host
 * runs), and an approval lives in one of them only, so neither copy duplicates the other.
 */
export const UNION_APPROVAL_EVENTS: ReadonlySet<string> = new Set(["exec.approval.requested", "exec.approval.resolved"]);

/**
 * The backend that answers `method` on a connection under `table`, as ClientSession.route sends it
 * (without its side effects: no shadow budget, no stickiness). A node socket and the node-bound methods
 * (NODE_BOUND_METHODS) go to the node owner; a shadowed method is answered by legacy; a canary by the connection's bucket. Discovery
 * (hello-ok's lists, see hello/) asks this, so what a client is told matches where its calls go.
 */
export function servingBackend(table: RoutingTable, method: string, profile: RoutingProfile): Backend {
  if (profile.nodeSession || NODE_BOUND_METHODS.has(method)) return table.nodeOwner;
  const d = table.decide(method);
  if (d.kind === "hanzod") return "hanzod";
  if (d.kind === "canary") return profile.bucket < d.canaryPercent ? "hanzod" : "legacy";
  return "legacy";
}

/**
 * The backend whose copy of `event` a connection receives before it called anything of the event's
 * family (after that, the backend that answered the family's last call: EventRouter). The one rule for
 * both delivery and discovery.
 */
export function routedEventOwner(table: RoutingTable, event: string, authBackend: Backend, profile: RoutingProfile): Backend {
  if (profile.nodeSession) return table.nodeOwner;
  if (AUTH_OWNED_EVENTS.has(event)) return authBackend;
  const rep = representativeMethod(familyOf(event));
  if (rep === undefined) return authBackend;
  return servingBackend(table, rep, profile);
}

/**
 * The backend that ends up answering a method, or sending an event, routed to `routed`: a name routed to
 * hanzod that hanzod's own hello-ok does not list is the legacy's (hanzod declines such a call and the
 * proxy hands it over, protocol/declined.ts; such an event only the legacy sends). `hanzodLists`
 * undefined: hanzod's list is not known, so the routing stands.
 */
export function answeringBackend(routed: Backend, name: string, hanzodLists: ReadonlySet<string> | undefined): Backend {
  return routed === "hanzod" && hanzodLists !== undefined && !hanzodLists.has(name) ? "legacy" : routed;
}
