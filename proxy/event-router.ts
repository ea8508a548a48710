/**
 * Events from every leg of one client merged into one stream: each event has one owning backend
 * (derived from the routing of its method family), the non-owner's copy is dropped, and the owner's
 * seq is renumbered into one monotonic client seq.
 */
import { decodeFrameOrUndefined, encodeFrame, type EventFrame } from "../protocol/index.js";
import { withSeq, type SniffedEvent } from "../protocol/sniff.js";
import type { ProxyContext } from "./context.js";
import type { RoutingProfile } from "./identity.js";
import type { LegKey } from "./leg.js";
import { backendOf } from "./pending.js";
import { answeringBackend, AUTH_OWNED_EVENTS, familyOf, representativeMethod, routedEventOwner, UNION_APPROVAL_EVENTS } from "./routing.js";
import { EventSequencer } from "./sequencer.js";
import { SUBSCRIPTION_EVENTS } from "./mirror.js";
import type { Backend } from "./tap.js";

/** Method families remembered per connection, and the longest family name kept (real ones are short). */
const MAX_FAMILIES = 256;
const MAX_FAMILY_CHARS = 64;

/**
 * Event name -> its method family, computed once per distinct name for the whole process: per event it
 * was sliced twice (owner, shadowed). Names come from the backends (a few dozen); bounded all the same.
 */
const eventFamilies = new Map<string, string>();
const MAX_EVENT_NAMES = 1024;

function eventFamily(name: string): string {
  let family = eventFamilies.get(name);
  if (family === undefined) {
    family = familyOf(name);
    if (eventFamilies.size < MAX_EVENT_NAMES && name.length <= MAX_FAMILY_CHARS) eventFamilies.set(name, family);
  }
  return family;
}

/** Where a delivered event goes: the session's client send path. */
export type EventOut = (data: Buffer | string, backend: Backend) => void;

export class EventRouter {
  private readonly seq = new EventSequencer<LegKey>();
  /** The backend that last answered a request of each method family: its events are the ones delivered. */
  private readonly familyOwner = new Map<string, Backend>();
  /** The events hanzod's hello-ok lists for this connection (undefined: not seen). */
  private hanzodSends: ReadonlySet<string> | undefined;

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

  /**
   * hanzod's hello-ok named the events it sends. One it does not send, in a family it owns, is the
   * legacy's to deliver (the writes behind it are declined to the legacy: protocol/declined.ts).
   */
  knowHanzodEvents(events: ReadonlySet<string>): void {
    this.hanzodSends = events;
  }

  /** How many families this connection remembers (bounded by MAX_FAMILIES). */
  get familiesKept(): number {
    return this.familyOwner.size;
  }

  /** A new upstream socket numbers from 1 again. */
  resetLeg(key: LegKey): void {
    this.seq.reset(key);
  }

  /**
   * One upstream event. `sniffed`: its name and seq read from the bytes (protocol/sniff.ts), the usual
   * case; otherwise `frame` is the decoded event. A renumbered seq is spliced into the bytes rather than
   * the frame re-encoded: the payload (often most of the frame) is never parsed or serialised here.
   */
  onEvent(key: LegKey, data: Buffer, sniffed: SniffedEvent | undefined, frame: EventFrame | undefined): void {
    const name = sniffed !== undefined ? sniffed.event : frame!.event;
    const seq = sniffed !== undefined ? sniffed.seq : typeof frame!.seq === "number" ? frame!.seq : undefined;
    const backend = backendOf(key);
    const family = eventFamily(name);
    // A subscription event comes from the runtime that served the write, to connections subscribed there
    // (the proxy subscribed the client on both: mirror.ts), and an exec approval event from the runtime
    // holding that approval (routing.ts UNION_APPROVAL_EVENTS): every backend's copy is the client's.
    const union = SUBSCRIPTION_EVENTS.has(name) || UNION_APPROVAL_EVENTS.has(name);
    const owner = key === "isolated" ? undefined : union && !this.profile.nodeSession ? backend : this.eventOwner(name, family);
    const sink = this.ctx.sink;
    if (sink !== undefined && key !== "isolated" && this.isShadowedFamily(name, family)) {
      // Only a shadowed family's events are compared, so only they are decoded for their payload.
      const decoded = frame ?? decodeFrameOrUndefined(data);
      const payload = decoded?.type === "event" ? decoded.payload : undefined;
      sink.submitEvent({ at: Date.now(), connectionId: this.connectionId, backend, event: name, payload });
    }
    const metrics = this.ctx.metrics;
    if (owner !== backend) {
      if (seq !== undefined) this.seq.skip(key, seq);
      metrics.countEvent(backend, false);
      return;
    }
    metrics.countEvent(backend, true);
    if (seq === undefined) {
      this.out(data, backend);
      return;
    }
    const out = this.seq.deliver(key, seq);
    if (out === seq) {
      this.out(data, backend);
      return;
    }
    if (sniffed !== undefined) {
      this.out(withSeq(data, sniffed, out), backend);
      return;
    }
    frame!.seq = out;
    this.out(encodeFrame(frame!), backend);
  }

  private eventOwner(event: string, family: string): Backend {
    if (this.profile.nodeSession) return routedEventOwner(this.ctx.table(), event, this.authBackend, this.profile);
    const owner = (!AUTH_OWNED_EVENTS.has(event) && this.familyOwner.get(family)) || routedEventOwner(this.ctx.table(), event, this.authBackend, this.profile);
    return answeringBackend(owner, event, this.hanzodSends);
  }

  private isShadowedFamily(event: string, family: string): boolean {
    if (AUTH_OWNED_EVENTS.has(event)) return false;
    const rep = representativeMethod(family);
    return rep !== undefined && this.ctx.table().decide(rep).kind === "shadow";
  }
}
