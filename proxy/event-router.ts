/**
 * Events from every leg of one client merged into one stream: each event has one owning backend
 * (derived from the routing of its method family), the non-owner's copy is dropped, and the owner's
 * seq is renumbered into one monotonic client seq.
 */
import { encodeFrame, type EventFrame } from "../protocol/index.js";
import type { ProxyContext } from "./context.js";
import type { RoutingProfile } from "./identity.js";
import type { LegKey } from "./leg.js";
import { backendOf } from "./pending.js";
import { AUTH_OWNED_EVENTS, familyOf, representativeMethod, routedEventOwner } from "./routing.js";
import { EventSequencer } from "./sequencer.js";
import type { Backend } from "./tap.js";

/** Method families remembered per connection, and the longest family name kept (real ones are short). */
const MAX_FAMILIES = 256;
const MAX_FAMILY_CHARS = 64;

/** Where a delivered event goes: the session's client send path. */
export type EventOut = (data: Buffer | string, backend: Backend) => void;

export class EventRouter {
  private readonly seq = new EventSequencer<LegKey>();
  /** The backend that last answered a request of each method family: its events are the ones delivered. */
  private readonly familyOwner = new Map<string, Backend>();

  constructor(
    private readonly ctx: ProxyContext,
    private readonly connectionId: string,
    private readonly authBackend: Backend,
    private readonly profile: RoutingProfile,
    private readonly out: EventOut,
  ) {}

  /** A request of `method` went to `backend`: that family's events now come from there. */
  noteRequest(method: string, backend: Backend): void {
    const family = familyOf(method);
    // Client input: a connection cannot make this map hold more than a few short names.
    if (family.length > MAX_FAMILY_CHARS || (this.familyOwner.size >= MAX_FAMILIES && !this.familyOwner.has(family))) return;
    this.familyOwner.set(family, backend);
  }

  /** How many families this connection remembers (bounded by MAX_FAMILIES). */
  get familiesKept(): number {
    return this.familyOwner.size;
  }

  /** A new upstream socket numbers from 1 again. */
  resetLeg(key: LegKey): void {
    this.seq.reset(key);
  }

  onEvent(key: LegKey, frame: EventFrame, data: Buffer): void {
    const backend = backendOf(key);
    const owner = key === "isolated" ? undefined : this.eventOwner(frame.event);
    const sink = this.ctx.sink;
    if (sink !== undefined && key !== "isolated" && this.isShadowedFamily(frame.event)) {
      sink.submitEvent({ at: Date.now(), connectionId: this.connectionId, backend, event: frame.event, payload: frame.payload });
    }
    if (owner !== backend) {
      if (typeof frame.seq === "number") this.seq.skip(key, frame.seq);
      this.ctx.metrics.events.inc({ backend, fate: "dropped" });
      return;
    }
    this.ctx.metrics.events.inc({ backend, fate: "delivered" });
    if (typeof frame.seq !== "number") {
      this.out(data, backend);
      return;
    }
    const out = this.seq.deliver(key, frame.seq);
    if (out === frame.seq) {
      this.out(data, backend);
      return;
    }
    frame.seq = out;
    this.out(encodeFrame(frame), backend);
  }

  private eventOwner(event: string): Backend {
    if (!this.profile.nodeSession && !AUTH_OWNED_EVENTS.has(event)) {
      const seen = this.familyOwner.get(familyOf(event));
      if (seen !== undefined) return seen;
    }
    return routedEventOwner(this.ctx.table(), event, this.authBackend, this.profile);
  }

  private isShadowedFamily(event: string): boolean {
    if (AUTH_OWNED_EVENTS.has(event)) return false;
    const rep = representativeMethod(familyOf(event));
    return rep !== undefined && this.ctx.table().decide(rep).kind === "shadow";
  }
}
