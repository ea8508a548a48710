/**
 * The proxy's own requests on a session's legs, off the client path: shadow copies and noise probes
 * queued after the client has its answer, and the internal request/answer bookkeeping they ride on.
 * Their answers are told from the client's by table, not by spelling: an id is the proxy's while it is
 * in this table for that leg, and the session never lets a client id and one of ours be in flight on
 * the same leg at once (each side skips or aliases ids the other holds). The prefix is for humans.
 */
import { decodeFrame, decodeFrameOrUndefined, encodeFrame, isInterimAnswer, isSideEffecting, type Frame, type RequestFrame } from "../protocol/index.js";
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import type { ProxyContext } from "./context.js";
import type { Leg, LegKey } from "./leg.js";
import type { Pending } from "./pending.js";
import type { PreparedCopy } from "./shadow-queue.js";
import { redactSecrets } from "../protocol/redact.js";
import { notReachable } from "./unreachable.js";

/** How the proxy's own request ids read in a backend's logs. */
export const INTERNAL_ID_PREFIX = "hanzonode-proxy:";

/** What internal requests need from their session. */
export interface InternalLegs {
  isClosed(): boolean;
  hanzodAvailable(): boolean;
  legFor(key: LegKey): Leg | undefined;
  /** True when a client request (or an answer still owed) holds `id` on leg `key`: ours must differ. */
  idTaken(key: LegKey, id: string): boolean;
  /** A request of ours timed out: its answer is still owed on `key`, and must not reach the client. */
  owed(key: LegKey, id: string): void;
}

interface Waiter {
  leg: LegKey;
  sentAt: number;
  resolve(answer: BackendAnswer | BackendFailure): void;
  timer: NodeJS.Timeout;
}


export class InternalRequests {
  private readonly waiting = new Map<string, Waiter>();
  /** Callers of idle(), per leg, woken when that leg has nothing in flight. */
  private readonly idleWaiters = new Map<LegKey, Array<() => void>>();
  private next = 0;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly legs: InternalLegs,
  ) {}

  /** The id for a brokered leg's connect (answered inside the leg, before any client frame goes on it). */
  connectId(): string {
    return `${INTERNAL_ID_PREFIX}connect:${++this.next}`;
  }

  /** True while `id` is a request of ours in flight on leg `key`. */
  has(key: LegKey, id: string): boolean {
    return this.waiting.size > 0 && this.waiting.get(id)?.leg === key;
  }

  private freshId(key: LegKey): string {
    let id: string;
    do id = `${INTERNAL_ID_PREFIX}${++this.next}`;
    while (this.waiting.has(id) || this.legs.idTaken(key, id));
    return id;
  }

  /** Sends a request of the proxy's own on a leg and resolves with its final answer (or a failure). */
  send(key: LegKey, request: RequestFrame): Promise<BackendAnswer | BackendFailure> {
    const started = performance.now();
    const failure = (why: string): BackendFailure => ({ failed: why, latencyMs: performance.now() - started });
    if (this.legs.isClosed()) return Promise.resolve({ ...failure("client connection closed before the copy was sent"), abandoned: true });
    if (key !== "legacy" && !this.legs.hanzodAvailable()) return Promise.resolve(failure(notReachable("hanzod")));
    const leg = this.legs.legFor(key);
    if (leg === undefined) return Promise.resolve(failure(`no ${key} leg`));
    const id = this.freshId(key);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(id, key);
        this.legs.owed(key, id);
        resolve(failure(`no answer within ${this.ctx.internalTimeoutMs} ms`));
      }, this.ctx.internalTimeoutMs);
      timer.unref();
      this.waiting.set(id, { leg: key, sentAt: started, resolve, timer });
      if (!leg.send(encodeFrame({ ...request, id }), false)) {
        clearTimeout(timer);
        this.settle(id, key);
        resolve(failure(`${key} leg refused the copy`));
      }
    });
  }

  /** An answer to one of our ids (`parsed` when the caller already decoded it). */
  onResponse(key: LegKey, data: Buffer, id: string, parsed: Frame | undefined): void {
    const waiter = this.waiting.get(id);
    if (waiter === undefined || waiter.leg !== key) return;
    const frame = parsed ?? decodeFrameOrUndefined(data);
    if (frame?.type !== "res") return;
    if (isInterimAnswer(frame)) return;
    this.settle(id, key);
    clearTimeout(waiter.timer);
    const answer: BackendAnswer = { ok: frame.ok, latencyMs: performance.now() - waiter.sentAt };
    if (frame.payload !== undefined) answer.payload = frame.payload;
    if (frame.error !== undefined) answer.error = frame.error;
    waiter.resolve(answer);
  }

  /** Every request still waiting on `key` resolves as failed (`abandoned`: not to be compared at all). */
  fail(key: LegKey, why: string, abandoned = false): void {
    for (const [id, w] of this.waiting) {
      if (w.leg !== key) continue;
      this.settle(id, key);
      clearTimeout(w.timer);
      w.resolve({ failed: why, latencyMs: performance.now() - w.sentAt, ...(abandoned ? { abandoned: true as const } : {}) });
    }
  }

  /** True while a request of ours on `key` still waits for its answer. */
  busy(key: LegKey): boolean {
    for (const w of this.waiting.values()) if (w.leg === key) return true;
    return false;
  }

  /** Resolves once nothing of ours is in flight on `key` (each request is bounded by its own timeout). */
  idle(key: LegKey): Promise<void> {
    if (!this.busy(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.idleWaiters.get(key) ?? [];
      list.push(resolve);
      this.idleWaiters.set(key, list);
    });
  }

  private settle(id: string, key: LegKey): void {
    this.waiting.delete(id);
    const list = this.idleWaiters.get(key);
    if (list === undefined || this.busy(key)) return;
    this.idleWaiters.delete(key);
    for (const wake of list) wake();
  }
}

/**
 * Queues the shadow copy of an answered request (and, sampled, a noise probe that asks legacy the same
 * again) for the parity sink to compare against the answer the client got. Called right after the
 * client's answer is handed to its socket, whose write waits for the end of the tick (send-batch.ts):
 * so nothing is decoded or copied here. The request and the answer are decoded, and the params redacted,
 * when the queue starts the job, once for both jobs.
 */
export function queueShadow(ctx: ProxyContext, internal: InternalRequests, connectionId: string, id: string, p: Pending, answer: Buffer, parsed: Frame | undefined, latencyMs: number): void {
  const requestBytes = p.data!;
  let decoded: { request: RequestFrame; params: unknown; expected: BackendAnswer } | null | undefined;
  const decode = (): typeof decoded => {
    if (decoded !== undefined) return decoded;
    const res = parsed ?? decodeFrameOrUndefined(answer);
    const req = decodeFrame(requestBytes);
    if (res?.type !== "res" || !req.ok || req.frame.type !== "req") return (decoded = null);
    const expected: BackendAnswer = { ok: res.ok, latencyMs };
    if (res.payload !== undefined) expected.payload = res.payload;
    if (res.error !== undefined) expected.error = res.error;
    return (decoded = { request: req.frame, params: redactSecrets(req.frame.params), expected });
  };
  const prepare = (leg: LegKey) => (): PreparedCopy | undefined => {
    const d = decode();
    if (d === null || d === undefined) return undefined;
    return { params: d.params, expected: d.expected, run: () => internal.send(leg, d.request) };
  };
  ctx.shadowQueue.offer({ kind: "shadow", method: p.method, connectionId, requestId: id, prepare: prepare(p.shadow === "isolated" ? "isolated" : "hanzod") });
  const rate = ctx.table().noiseSampleRate;
  if (!isSideEffecting(p.method) && rate > 0 && ctx.random() < rate) {
    ctx.shadowQueue.offer({ kind: "noise-probe", method: p.method, connectionId, requestId: id, prepare: prepare("legacy") });
  }
}
