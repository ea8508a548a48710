/**
 * Event delivery. Every broadcast frame gets this connection's next `seq` (starting at 1); frames for
 * one connection only (connect.challenge) carry none. Events are gated by scope and an event this table
 * does not know is delivered to nobody (fail closed). A consumer whose socket buffer is over the limit
 * loses `dropIfSlow` events (its seq still advances, so the client sees the gap) and is closed with
 * 1008 "slow consumer" for any other event.
 */
import { CloseCodes, CloseReasons, scopeSatisfies } from "../../protocol/index.js";

export interface EventRecipient {
  readonly role: string;
  readonly scopes: readonly string[];
  seq: number;
  bufferedAmount(): number;
  sendRaw(text: string): void;
  close(code: number, reason: string): void;
}

/** null: any authenticated role; a scope: operators holding it (legacy EVENT_SCOPE_GUARDS). */
const EVENT_GUARDS: Readonly<Record<string, string | null>> = {
  tick: null,
  health: null,
  heartbeat: null,
  shutdown: null,
  "gateway.suspension": null,
  "update.available": null,
  presence: "operator.read",
  "device.pair.requested": "operator.pairing",
  "device.pair.resolved": "operator.pairing",
  "device.pair.changed": "operator.pairing",
};

export function eventAllowed(event: string, r: Pick<EventRecipient, "role" | "scopes">): boolean {
  if (!Object.prototype.hasOwnProperty.call(EVENT_GUARDS, event)) return false;
  const guard = EVENT_GUARDS[event];
  if (guard === null || guard === undefined) return true;
  return r.role === "operator" && scopeSatisfies(r.scopes, guard);
}

export interface StateVersion {
  presence: number;
  health: number;
}

export class Broadcaster {
  private readonly recipients = new Set<EventRecipient>();
  /** Process-wide, reset on restart; bumped per presence broadcast / health refresh. */
  readonly stateVersion: StateVersion = { presence: 1, health: 1 };

  constructor(private readonly maxBufferedBytes: number) {}

  add(r: EventRecipient): void {
    this.recipients.add(r);
  }

  remove(r: EventRecipient): void {
    this.recipients.delete(r);
  }

  get size(): number {
    return this.recipients.size;
  }

  /**
   * Serialises the payload once; only the seq suffix differs per recipient, so the frame text is the
   * shared prefix plus `"seq":N}`.
   */
  broadcast(event: string, payload: unknown, opts: { dropIfSlow?: boolean; withStateVersion?: boolean } = {}): void {
    if (this.recipients.size === 0) return;
    let prefix = `{"type":"event","event":${JSON.stringify(event)}`;
    if (payload !== undefined) prefix += `,"payload":${JSON.stringify(payload)}`;
    const suffix = opts.withStateVersion ? `,"stateVersion":${JSON.stringify(this.stateVersion)}}` : "}";
    for (const r of this.recipients) {
      if (!eventAllowed(event, r)) continue;
      r.seq += 1;
      if (r.bufferedAmount() > this.maxBufferedBytes) {
        if (opts.dropIfSlow) continue;
        r.close(CloseCodes.POLICY_VIOLATION, CloseReasons.slowConsumer);
        continue;
      }
      r.sendRaw(`${prefix},"seq":${r.seq}${suffix}`);
    }
  }
}
