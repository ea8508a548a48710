/**
 * Event delivery. Every broadcast frame gets this connection's next `seq` (starting at 1); frames for
 * one connection only (connect.challenge) carry none. Events are gated by scope and an event this table
 * does not know is delivered to nobody (fail closed). A consumer whose socket buffer is over the limit
 * loses `dropIfSlow` events (its seq still advances, so the client sees the gap) and is closed with
 * 1008 "slow consumer" for any other event.
 */
import { CloseCodes, CloseReasons, scopeSatisfies } from "../../protocol/index.js";
import { EVENT_TABLE, type EventTable } from "./events.js";
import type { CallerInfo } from "./method.js";

export interface EventRecipient {
  /** The connection's id (the legacy's connId): what subscription lookups answer. */
  readonly connId?: string;
  readonly role: string;
  readonly scopes: readonly string[];
  seq: number;
  /** Topics subscribed to, for "subscribers" events. */
  readonly topics?: ReadonlySet<string> | undefined;
  /** The connected caller (client id, caps, device, scopes), for events sent to chosen connections. */
  readonly client?: CallerInfo | undefined;
  bufferedAmount(): number;
  sendRaw(text: string): void;
  close(code: number, reason: string): void;
}

/** Whether this recipient may see this event: declared, not one-connection-only, and its guard satisfied. */
export function eventAllowed(event: string, r: Pick<EventRecipient, "role" | "scopes">, table: EventTable = EVENT_TABLE): boolean {
  const decl = table.get(event);
  return decl !== undefined && decl.audience !== "connection" && guardAllows(decl.guard, r);
}

function guardAllows(guard: string | null, r: Pick<EventRecipient, "role" | "scopes">): boolean {
  return guard === null || (r.role === "operator" && scopeSatisfies(r.scopes, guard));
}

export interface StateVersion {
  presence: number;
  health: number;
}

export class Broadcaster {
  private readonly recipients = new Set<EventRecipient>();
  /** Process-wide, reset on restart; bumped per presence broadcast / health refresh. */
  readonly stateVersion: StateVersion = { presence: 1, health: 1 };

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly events: EventTable = EVENT_TABLE,
  ) {}

  add(r: EventRecipient): void {
    this.recipients.add(r);
  }

  remove(r: EventRecipient): void {
    this.recipients.delete(r);
  }

  get size(): number {
    return this.recipients.size;
  }

  /** The ids of the connections subscribed to `topic`, in the order they joined. */
  topicSubscribers(topic: string): string[] {
    const ids: string[] = [];
    for (const r of this.recipients) if (r.connId !== undefined && r.topics?.has(topic)) ids.push(r.connId);
    return ids;
  }

  /** The connected callers (connections past their connect), for choosing who receives an event. */
  clients(): CallerInfo[] {
    const out: CallerInfo[] = [];
    for (const r of this.recipients) if (r.client) out.push(r.client);
    return out;
  }

  /**
   * Sends to the chosen connections only (the legacy's `broadcastToConnIds`), still behind the event's scope
   * guard; same framing, seq and slow-consumer rules as broadcast.
   */
  sendTo(event: string, payload: unknown, connIds: ReadonlySet<string>, opts: { dropIfSlow?: boolean } = {}): void {
    if (connIds.size === 0) return;
    const decl = this.events.get(event);
    if (decl === undefined || decl.audience === "connection") return;
    let prefix = `{"type":"event","event":${JSON.stringify(event)}`;
    if (payload !== undefined) prefix += `,"payload":${JSON.stringify(payload)}`;
    for (const r of this.recipients) {
      if (r.connId === undefined || !connIds.has(r.connId) || !guardAllows(decl.guard, r)) continue;
      r.seq += 1;
      if (r.bufferedAmount() > this.maxBufferedBytes) {
        if (opts.dropIfSlow) continue;
        r.close(CloseCodes.POLICY_VIOLATION, CloseReasons.slowConsumer);
        continue;
      }
      r.sendRaw(`${prefix},"seq":${r.seq}}`);
    }
  }

  /**
   * Serialises the payload once; only the seq suffix differs per recipient, so the frame text is the
   * shared prefix plus `"seq":N}`.
   */
  broadcast(event: string, payload: unknown, opts: { dropIfSlow?: boolean; withStateVersion?: boolean; topic?: string | readonly string[] } = {}): void {
    if (this.recipients.size === 0) return;
    const decl = this.events.get(event);
    if (decl === undefined || decl.audience === "connection") return;
    // Several topics: a connection subscribed to any of them gets the event once (the legacy's union of
    // session and session-message subscribers for `session.message`).
    const topics = decl.audience === "subscribers" ? [opts.topic ?? event].flat() : undefined;
    let prefix = `{"type":"event","event":${JSON.stringify(event)}`;
    if (payload !== undefined) prefix += `,"payload":${JSON.stringify(payload)}`;
    const suffix = opts.withStateVersion ? `,"stateVersion":${JSON.stringify(this.stateVersion)}}` : "}";
    for (const r of this.recipients) {
      if (!guardAllows(decl.guard, r)) continue;
      if (topics !== undefined && !topics.some((t) => r.topics?.has(t))) continue;
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
