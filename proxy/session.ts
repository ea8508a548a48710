/**
 * One client connection: the client socket, one leg per backend, the request table, the event
 * router. Until hello-ok every frame passes verbatim between the client and the auth owner; after
 * it each request goes where the live routing table says, answers come back by id, and events from
 * both legs merge into one seq.
 */
import type WebSocket from "ws";
import { decodeFrame, decodeFrameOrUndefined, encodeFrame, isInterimAnswer, errorResponse, Errors, isDeclinedError, isSideEffecting, mayAnswerTwice, mayBeDeclined, raiseReceiverMaxPayload, type Frame, type RequestFrame } from "../protocol/index.js";
import { MAX_PAYLOAD_BYTES } from "./limits.js";
import type { Backend, ConnectionMeta, ConnectionTap } from "./tap.js";
import type { ProxyContext } from "./context.js";
import { mirrorClose } from "./close-mirror.js";
import { Leg, type LegEvents, type LegKey } from "./leg.js";
import { mayBeInterim, sniffEvent, sniffRequest, sniffResponse } from "../protocol/sniff.js";
import { sendBatched } from "./send-batch.js";
import type { Outcome } from "./metrics.js";
import { backendOf, MAX_PENDING, methodLabel, type Pending, type ShadowMode } from "./pending.js";
import { DeadlineTimer, deadlineFor, expiredRequests, LateAnswers } from "./deadlines.js";
import { identityFromHello, readConnect, updateProfile, type ConnectInfo, type Identity, type RoutingProfile } from "./identity.js";
import { brokeredUrl, openBrokeredLeg } from "./brokered-leg.js";
import { EventRouter } from "./event-router.js";
import { InternalRequests, queueShadow } from "./shadow-dispatch.js";
import { pickLeg } from "./route-pick.js";
import { NODE_BOUND_METHODS, routedEventOwner, servingBackend } from "./routing.js";
import { MERGED_LIST_METHODS, mergedList } from "./merged-list.js";
import { advertisedEvents, assembleHello, needsPartner } from "./hello/assemble.js";
import { notReachable } from "./unreachable.js";
import { MIRRORED_METHODS, mirrorVerdict, type MirrorVerdict } from "./mirror.js";
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import { ACTIVITY_METHOD, isActivity, noteActivity } from "./activity.js";

export type { Identity } from "./identity.js";

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

type HeldFrame = { from: "client" | LegKey; data: Buffer; isBinary: boolean };

export class ClientSession {
  /** "hello": the auth owner accepted the client; its hello-ok waits for the other backend's (see hello/). */
  private phase: "handshake" | "hello" | "ready" | "closed" = "handshake";
  /** The auth owner's hello-ok while the other backend's is awaited, and the frames that arrived meanwhile. */
  private helloWait: { data: Buffer; partner: LegKey; held: HeldFrame[]; bytes: number } | undefined;
  private readonly legs = new Map<LegKey, Leg>();
  private readonly pending = new Map<string, Pending>();
  private readonly profile: RoutingProfile = { nodeSession: false, bucket: 0 };
  private readonly events: EventRouter;
  private readonly internal: InternalRequests;
  private readonly late = new LateAnswers();
  private readonly deadlines: DeadlineTimer;
  private readonly authKey: LegKey;
  private connect: ConnectInfo | undefined;
  private identity: Identity | undefined;
  private alive = true;

  constructor(
    readonly meta: ConnectionMeta,
    private readonly client: WebSocket,
    authSocket: WebSocket,
    readonly authBackend: Backend,
    private readonly tap: ConnectionTap | undefined,
    private readonly ctx: ProxyContext,
    private readonly onEnd: (s: ClientSession) => void,
  ) {
    this.authKey = authBackend;
    this.events = new EventRouter(ctx, meta.connectionId, authBackend, this.profile, (data, backend) => this.sendToClient(data, false, backend));
    this.internal = new InternalRequests(ctx, {
      isClosed: () => this.phase === "closed",
      hanzodAvailable: () => this.hanzodAvailable(),
      legFor: (key) => this.legFor(key),
      idTaken: (key, id) => this.clientHolds(key, id),
      owed: (key, id) => this.late.remember(id, key, "(proxy)"),
    });
    this.deadlines = new DeadlineTimer(() => this.sweepDeadlines());
    this.legs.set(this.authKey, Leg.adopt(this.authKey, authSocket, this.legEvents));
  }

  get id(): string {
    return this.meta.connectionId;
  }

  get verifiedIdentity(): Identity | undefined {
    return this.identity;
  }

  /** `first`: a client frame that arrived before the session existed (see handshake-pair.ts). */
  start(early: Array<{ data: Buffer; isBinary: boolean }>, first?: { data: Buffer; isBinary: boolean }): void {
    const client = this.client;
    client.on("message", (data, isBinary) => this.fromClient(data as Buffer, isBinary));
    client.on("close", (code, reason) => this.end(code, reason.toString(), "client"));
    client.on("pong", () => {
      this.alive = true;
    });
    client.on("error", (err) => this.ctx.log.debug({ conn: this.id, err: err.message }, "client socket error"));
    // Sent in the same write as our 101 these could reach a client before it attached its listener.
    if (early.length > 0) {
      setImmediate(() => {
        for (const f of early) this.fromLeg(this.authKey, f.data, f.isBinary);
      });
    }
    if (first !== undefined) this.fromClient(first.data, first.isBinary);
  }

  // ---- client -> backends -------------------------------------------------------------------------

  private fromClient(data: Buffer, isBinary: boolean): void {
    if (this.phase !== "ready") {
      if (this.phase === "closed") return;
      if (this.helloWait !== undefined) {
        this.holdDuringHello({ from: "client", data, isBinary });
        return;
      }
    }
    if (this.phase === "handshake" || isBinary) {
      if (this.phase === "handshake" && this.connect === undefined && !isBinary) this.noteConnect(data);
      this.relayToAuth(data, isBinary);
      return;
    }
    let sniffed = sniffRequest(data);
    let frame: RequestFrame | undefined;
    if (sniffed === undefined) {
      const decoded = decodeFrame(data);
      if (!decoded.ok || decoded.frame.type !== "req") {
        // Not a request we can route: the auth owner gives its own answer, as it would directly.
        this.relayToAuth(data, isBinary);
        return;
      }
      frame = decoded.frame;
      sniffed = { id: frame.id, method: frame.method };
    }
    this.route(sniffed.id, sniffed.method, data, frame);
  }

  private relayToAuth(data: Buffer, isBinary: boolean): void {
    this.tap?.frame("c2s", data, isBinary, this.authBackend, Date.now());
    this.legs.get(this.authKey)?.send(data, isBinary);
  }

  private noteConnect(data: Buffer): void {
    const connect = readConnect(data);
    if (connect === undefined) return;
    this.connect = connect;
    this.profile.nodeSession = connect.params.role === "node";
  }

  /**
   * The request route() is deciding on, and its params decoded only if a decision needs them (canary
   * stickiness, shadow side-effect check, hanzod deadline). Fields and one function per session rather
   * than a closure per request: most requests never read their params.
   */
  private routing: Buffer | undefined;
  private routingFrame: RequestFrame | undefined;
  private readonly routingParams = (): unknown => {
    if (this.routingFrame === undefined && this.routing !== undefined) {
      const d = decodeFrame(this.routing);
      if (d.ok && d.frame.type === "req") this.routingFrame = d.frame;
    }
    return this.routingFrame?.params;
  };

  private route(id: string, method: string, data: Buffer, parsed: RequestFrame | undefined): void {
    this.routing = data;
    this.routingFrame = parsed;
    try {
      this.decide(id, method, data, this.routingParams);
    } finally {
      // Not kept past the decision: the bytes belong to the request, which may be large.
      this.routing = undefined;
      this.routingFrame = undefined;
    }
  }

  private decide(id: string, method: string, data: Buffer, params: () => unknown): void {
    const table = this.ctx.table();
    let leg: LegKey;
    let shadow: ShadowMode = "none";
    let fallback = false;
    if (method === "connect") {
      leg = this.authKey;
    } else if (this.profile.nodeSession || NODE_BOUND_METHODS.has(method)) {
      // A node socket is pinned whole; node.invoke and the exec approvals must run where the node is connected.
      leg = table.nodeOwner;
    } else {
      const decision = table.decide(method);
      fallback = decision.fallback;
      const picked = pickLeg(this.ctx, table, decision, method, data, params, this.profile.bucket);
      leg = picked.leg;
      shadow = picked.shadow;
    }
    if (leg !== "legacy" && !this.hanzodAvailable()) {
      this.unsendable(id, method, data, leg, fallback);
      return;
    }
    this.events.noteRequest(method, backendOf(leg));
    this.send(id, method, data, leg, shadow, fallback, leg === "legacy" ? 0 : deadlineFor(this.ctx.hanzodDeadlineMs, data, params));
    if (MIRRORED_METHODS.has(method) && !this.profile.nodeSession) this.mirror(id, method, params);
    if (MERGED_LIST_METHODS.has(method) && !this.profile.nodeSession && leg === "hanzod") this.mergeCopy(id, method, params);
    if (method === ACTIVITY_METHOD && this.authKey === "hanzod") this.markActivity(id, params);
  }

  /**
   * A typing call hanzod must hear of once the legacy accepts it (activity.ts): only `typing: true` is
   * activity. Marked wherever it was routed: a hanzod decline hands it to the legacy with the mark.
   */
  private markActivity(id: string, params: () => unknown): void {
    const p = this.pending.get(id);
    if (p !== undefined && p.method === ACTIVITY_METHOD && isActivity(params())) p.activity = true;
  }

  /** A list call hanzod answers gets a copy on the legacy, whose rows join hanzod's (merged-list.ts). */
  private mergeCopy(id: string, method: string, params: () => unknown): void {
    const p = this.pending.get(id);
    if (p === undefined || p.method !== method || p.merge !== undefined) return;
    params();
    const frame = this.routingFrame;
    if (frame === undefined) return;
    p.merge = this.internal.send("legacy", frame);
  }

  /**
   * A connection-state call the routed backend took (still pending: not refused by the proxy) goes to
   * the other backend too, as a request of the proxy's own (mirror.ts), while the table routes anything
   * to hanzod: then both runtimes serve this connection and each must know its subscriptions.
   */
  private mirror(id: string, method: string, params: () => unknown): void {
    const p = this.pending.get(id);
    if (p === undefined || p.method !== method || p.mirror !== undefined || !this.ctx.table().usesHanzod) return;
    params();
    const frame = this.routingFrame;
    if (frame === undefined) return;
    p.mirror = this.internal.send(p.leg === "legacy" ? "hanzod" : "legacy", frame);
  }

  /** Counts (and logs a disagreement of) a mirrored call once both answers are in; the copy's never reaches the client. */
  private settleMirror(method: string, copy: Promise<BackendAnswer | BackendFailure>, clientGot: Frame | undefined): void {
    void copy.then((answer) => {
      const verdict: MirrorVerdict = mirrorVerdict(clientGot, answer);
      this.ctx.metrics.mirror.inc({ method, verdict });
      if (verdict === "disagree" || verdict === "failed") this.ctx.log.warn({ conn: this.id, method, verdict }, "connection state may differ between the backends");
    });
  }

  /**
   * A live leg is not enough: a hanzod that stopped answering keeps its sockets open, so the breaker
   * (opened by missed deadlines as well as lost legs) decides too.
   */
  private hanzodAvailable(): boolean {
    const leg = this.legs.get("hanzod");
    const alive = leg !== undefined && !leg.dead;
    if (!alive && (this.authBackend === "hanzod" || this.ctx.hanzodUrl === undefined)) return false;
    return this.ctx.hanzodBreaker.allow();
  }

  private send(id: string, method: string, data: Buffer, key: LegKey, shadow: ShadowMode, fallback: boolean, deadlineMs: number): void {
    if (this.pending.size >= MAX_PENDING && !this.pending.has(id)) {
      this.answerUnavailable(id, method, data);
      return;
    }
    const leg = this.legFor(key);
    if (leg === undefined) {
      this.unsendable(id, method, data, key, fallback);
      return;
    }
    // Bytes of a hanzod-routed request are kept until it is answered: hanzod may decline it, or fail.
    const keep = shadow !== "none" || key !== "legacy";
    const sentAt = performance.now();
    const deadline = deadlineMs > 0 ? sentAt + deadlineMs : 0;
    const p: Pending = { leg: key, method, sentAt, shadow, fallback, data: keep ? data : undefined, deadline };
    const upstreamId = this.upstreamIdFor(id, key);
    if (upstreamId !== undefined) p.upstreamId = upstreamId;
    this.pending.set(id, p);
    if (!leg.send(upstreamId === undefined ? data : withId(data, upstreamId), false)) {
      if (upstreamId !== undefined) this.late.settleAlias(upstreamId);
      this.pending.delete(id);
      this.unsendable(id, method, data, key, fallback);
      return;
    }
    // After the send, so a request that ends up on another leg is recorded once; no answer can come first.
    this.tap?.frame("c2s", data, false, backendOf(key), Date.now());
    if (deadline !== 0) this.deadlines.arm(deadline);
  }

  /**
   * Ids are the client's to choose. One it sends under its own id unless that id is busy upstream on
   * this leg: an answer still owed there, a request of the proxy's own, or an alias in flight. Then it
   * travels under a fresh alias, so every answer on a leg belongs to exactly one request.
   */
  private upstreamIdFor(id: string, key: LegKey): string | undefined {
    if (!this.late.isLate(id, key) && !this.internal.has(key, id) && !this.late.isAlias(id, key)) return undefined;
    return this.late.alias(id, key, (candidate) => this.clientHolds(key, candidate) || this.internal.has(key, candidate));
  }

  /** True when `id` on leg `key` is a client request in flight under its own id, or an answer still owed. */
  private clientHolds(key: LegKey, id: string): boolean {
    const p = this.pending.get(id);
    return (p !== undefined && p.leg === key && p.upstreamId === undefined) || this.late.isLate(id, key);
  }

  /**
   * The request cannot go to `key`: hanzod is down or its circuit open, or its leg would not take the
   * frame (its socket going away before the proxy saw the close). It was never sent, so a `fallback:
   * legacy` entry sends it to legacy; anything else gets the legacy-shaped retryable UNAVAILABLE.
   */
  private unsendable(id: string, method: string, data: Buffer, key: LegKey, fallback: boolean): void {
    if (key !== "legacy" && fallback) {
      this.ctx.metrics.countRequest(methodLabel(method), "legacy", "fallback");
      this.events.noteRequest(method, "legacy");
      this.send(id, method, data, "legacy", "none", false, 0);
      return;
    }
    this.answerUnavailable(id, method, data, notReachable(key === "legacy" ? "legacy" : "hanzod"));
  }

  private answerUnavailable(id: string, method: string, data: Buffer | undefined, why = notReachable("hanzod"), outcome: Outcome = "unavailable"): void {
    if (data !== undefined) this.tap?.frame("c2s", data, false, undefined, Date.now());
    this.ctx.metrics.countRequest(methodLabel(method), "hanzod", outcome);
    this.sendToClient(encodeFrame(errorResponse(id, Errors.backendUnavailable(why))), false, undefined);
  }

  private sweepDeadlines(): void {
    if (this.phase === "closed") return;
    const { expired, next } = expiredRequests(this.pending, performance.now());
    if (expired.length > 0) {
      // A backend that holds requests past their deadline is failing: let the breaker see it.
      this.ctx.hanzodBreaker.failure();
      this.ctx.log.warn({ conn: this.id, requests: expired.length, deadlineMs: this.ctx.hanzodDeadlineMs }, "hanzod missed request deadlines");
      for (const [id, p] of expired) {
        this.pending.delete(id);
        if (p.upstreamId !== undefined) this.late.settleAlias(p.upstreamId);
        // Whatever id it travelled under, that leg still owes the answer: remember it, so it is dropped.
        this.late.remember(p.upstreamId ?? id, p.leg, methodLabel(p.method));
        this.ctx.metrics.countRequest(methodLabel(p.method), backendOf(p.leg), "timeout");
        this.failOver(id, p, `hanzod did not answer within ${Math.round(p.deadline - p.sentAt)} ms`, "timeout");
      }
    }
    if (next !== Infinity) this.deadlines.arm(next);
  }

  /** A request hanzod will not answer (leg lost, deadline passed): to legacy when allowed, else UNAVAILABLE. */
  private failOver(id: string, p: Pending, why: string, outcome: Outcome): void {
    if (p.fallback && p.data !== undefined && !isSideEffecting(p.method) && this.resendToLegacy(id, { ...p, leg: "legacy", deadline: 0 }, p.data)) {
      this.ctx.metrics.countRequest(methodLabel(p.method), "legacy", "fallback");
      return;
    }
    // A timeout was counted by the caller; the client still gets the retryable answer.
    this.answerUnavailable(id, p.method, undefined, why, outcome === "timeout" ? "unavailable" : outcome);
  }

  /**
   * Sends a request that was on hanzod's leg to the legacy as `moved`: the client's own bytes and id,
   * unless that id is busy on the legacy leg (then an alias). False, with `id` no longer pending, when
   * there is no legacy leg or it would not take the frame.
   */
  private resendToLegacy(id: string, moved: Pending, data: Buffer): boolean {
    const legacy = this.legFor("legacy");
    delete moved.upstreamId;
    const alias = legacy === undefined ? undefined : this.upstreamIdFor(id, "legacy");
    if (alias !== undefined) moved.upstreamId = alias;
    this.pending.set(id, moved);
    if (legacy !== undefined && legacy.send(alias === undefined ? data : withId(data, alias), false)) return true;
    if (alias !== undefined) this.late.settleAlias(alias);
    this.pending.delete(id);
    return false;
  }

  /**
   * hanzod declined the call before any side effect (protocol/declined.ts), so the legacy answers the
   * same request, writes included, and the client never sees the decline. False: no legacy to ask (the
   * client gets the decline as is).
   */
  private declinedToLegacy(id: string, p: Pending, answer: Frame | undefined): boolean {
    // A node's socket is pinned whole to its owner: its calls never travel on an operator's leg.
    if (this.profile.nodeSession || answer?.type !== "res" || !isDeclinedError(answer.error) || p.data === undefined) return false;
    if (p.mirror !== undefined && p.leg !== "legacy") {
      this.answerFromMirror(id, p, p.mirror);
      return true;
    }
    if (p.merge !== undefined && p.leg !== "legacy") {
      this.answerFromMirror(id, p, p.merge, false);
      return true;
    }
    // Not copied to hanzod again: it just said it does not answer this.
    if (!this.resendToLegacy(id, { ...p, leg: "legacy", shadow: "none", deadline: 0 }, p.data)) {
      this.pending.set(id, p);
      return false;
    }
    if (p.upstreamId !== undefined) this.late.settleAlias(p.upstreamId);
    this.ctx.metrics.countRequest(methodLabel(p.method), "hanzod", "declined");
    this.events.noteRequest(p.method, "legacy");
    return true;
  }

  /**
   * hanzod declined a connection-state call whose copy already went to the legacy: the copy's answer is the
   * client's. Not sent again: the legacy got the call once, in the order the client sent its calls (a resend
   * after the decline could land behind the client's next call, e.g. its unsubscribe, and undo it there).
   */
  private answerFromMirror(id: string, p: Pending, copy: Promise<BackendAnswer | BackendFailure>, mirrored = true): void {
    this.pending.delete(id);
    if (p.upstreamId !== undefined) this.late.settleAlias(p.upstreamId);
    this.ctx.metrics.countRequest(methodLabel(p.method), "hanzod", "declined");
    if (mirrored) this.ctx.metrics.mirror.inc({ method: p.method, verdict: "declined" });
    this.events.noteRequest(p.method, "legacy");
    void copy.then((answer) => {
      if (this.phase === "closed") return;
      if ("failed" in answer) {
        this.answerUnavailable(id, p.method, undefined, notReachable("legacy"));
        return;
      }
      const frame: Frame = answer.ok ? { type: "res", id, ok: true, payload: answer.payload } : { type: "res", id, ok: false, ...(answer.error !== undefined ? { error: answer.error } : {}) };
      this.ctx.metrics.countRequest(methodLabel(p.method), "legacy", answer.ok ? "ok" : "error");
      this.sendToClient(encodeFrame(frame), false, "legacy");
    });
  }

  // ---- legs ----------------------------------------------------------------------------------------

  private readonly legEvents: LegEvents = {
    message: (leg, data, isBinary) => this.fromLeg(leg.key, data, isBinary),
    ready: (leg) => {
      if (leg.key !== "legacy") this.ctx.hanzodBreaker.success();
      this.ctx.metrics.upstreamLegs.inc({ backend: backendOf(leg.key) });
      if (this.helloWait?.partner === leg.key) this.sendHello(leg.hello);
      leg.hello = undefined;
    },
    down: (leg, code, reason, wasReady) => this.legDown(leg, code, reason, wasReady),
  };

  /** The leg for a backend, opened lazily as the trusted proxy when it is not the auth owner's. */
  private legFor(key: LegKey): Leg | undefined {
    const existing = this.legs.get(key);
    if (existing !== undefined && !existing.dead) return existing;
    if (key === this.authKey || this.identity === undefined || this.connect === undefined) return undefined;
    const url = brokeredUrl(this.ctx, key);
    if (url === undefined) return undefined;
    const who = { identity: this.identity, connect: this.connect, clientAddress: this.meta.clientAddress };
    const leg = openBrokeredLeg(this.ctx, key, url, who, this.internal.connectId(), this.legEvents);
    this.events.resetLeg(key);
    this.legs.set(key, leg);
    return leg;
  }

  private legDown(leg: Leg, code: number, reason: string, wasReady: boolean): void {
    if (wasReady && leg.key !== this.authKey) this.ctx.metrics.upstreamLegs.dec({ backend: backendOf(leg.key) });
    if (this.legs.get(leg.key) === leg) this.legs.delete(leg.key);
    if (this.helloWait?.partner === leg.key && leg.key !== this.authKey) {
      this.ctx.log.warn({ conn: this.id, backend: leg.key, reason: reason || `closed ${code}` }, "hello-ok sent without the other backend's part");
      this.sendHello(undefined);
    }
    if (leg.key === this.authKey) {
      this.end(code, reason, "upstream");
      return;
    }
    if (!leg.closedByProxy && leg.key !== "legacy") {
      this.ctx.hanzodBreaker.failure();
      this.ctx.log.warn({ conn: this.id, backend: leg.key, code, reason }, "hanzod leg lost");
    }
    this.internal.fail(leg.key, reason || `closed ${code}`);
    this.failPending(leg.key);
  }

  /** Requests in flight on a lost leg: `fallback: legacy` reads go to legacy, the rest get UNAVAILABLE. */
  private failPending(key: LegKey): void {
    for (const [id, p] of this.pending) {
      if (p.leg !== key) continue;
      this.pending.delete(id);
      if (this.phase === "closed") continue;
      this.failOver(id, p, notReachable(key === "legacy" ? "legacy" : "hanzod"), "unavailable");
    }
  }

  // ---- backends -> client --------------------------------------------------------------------------

  private fromLeg(key: LegKey, data: Buffer, isBinary: boolean): void {
    if (this.phase !== "ready") {
      if (this.phase === "closed") {
        // A draining leg (see end()) still delivers the answers to copies already sent.
        if (!isBinary) this.onDrainingAnswer(key, data);
        return;
      }
      if (this.helloWait !== undefined) {
        // Nothing may reach the client before its hello-ok.
        this.holdDuringHello({ from: key, data, isBinary });
        return;
      }
    }
    if (isBinary) {
      if (key === this.authKey) this.sendToClient(data, true, backendOf(key));
      return;
    }
    if (this.phase === "handshake") {
      if (this.connect !== undefined) {
        const r = sniffResponse(data);
        const id = r?.id ?? (() => {
          const d = decodeFrame(data);
          return d.ok && d.frame.type === "res" ? d.frame.id : undefined;
        })();
        if (id === this.connect.id && this.onHello(data, this.connect)) return;
      }
      this.sendToClient(data, false, backendOf(key));
      return;
    }
    const res = sniffResponse(data);
    if (res !== undefined) {
      this.onResponse(key, data, res.id, res.ok, undefined);
      return;
    }
    const event = sniffEvent(data);
    if (event !== undefined) {
      this.events.onEvent(key, data, event, undefined);
      return;
    }
    const decoded = decodeFrame(data);
    if (!decoded.ok) {
      if (key === this.authKey) this.sendToClient(data, false, backendOf(key));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === "res") this.onResponse(key, data, frame.id, frame.ok, frame);
    else if (frame.type === "event") this.events.onEvent(key, data, undefined, frame);
    else if (key === this.authKey) this.sendToClient(data, false, backendOf(key));
  }

  /**
   * The auth owner's answer to the client's connect. A hello-ok makes the session ready; when the
   * connection is served by the other backend too, its hello-ok is held (true returned) until the
   * proxy's own leg to that backend said hello, and the client gets the two assembled (hello/).
   */
  private onHello(data: Buffer, connect: ConnectInfo): boolean {
    const identity = identityFromHello(data, connect);
    if (identity === undefined) return false;
    this.identity = identity;
    updateProfile(identity, this.profile);
    // Authenticated: the client may now send frames up to the advertised limit.
    if (!raiseReceiverMaxPayload(this.client, MAX_PAYLOAD_BYTES)) this.ctx.log.error("ws receiver has no writable _maxPayload: client frames after hello stay capped at 64 KiB");
    const partner = this.helloPartner(data);
    const leg = partner === undefined ? undefined : this.legFor(partner);
    if (partner === undefined || leg === undefined) {
      // A legacy leg may still open later (a declined call): hanzod's own list decides its events then.
      const hanzodEvents = this.authBackend === "hanzod" ? advertisedEvents(helloPayloadOf(data)) : undefined;
      if (hanzodEvents !== undefined) this.events.knowHanzodEvents(hanzodEvents);
      this.phase = "ready";
      return false;
    }
    this.phase = "hello";
    this.helloWait = { data, partner, held: [], bytes: 0 };
    return true;
  }

  /** Frames behind a held hello-ok, bounded like any buffer towards the client (the legacy's slow-consumer limit). */
  private holdDuringHello(f: HeldFrame): void {
    const wait = this.helloWait!;
    wait.bytes += f.data.length;
    if (wait.bytes > this.ctx.maxBufferedBytes) {
      this.shutdown(1008, "slow consumer");
      return;
    }
    wait.held.push(f);
  }

  /** The other backend, when this connection's hello-ok needs its part (routing in force, node sockets excluded). */
  private helloPartner(data: Buffer): LegKey | undefined {
    if (this.profile.nodeSession) return undefined;
    const other: LegKey = this.authBackend === "legacy" ? "hanzod" : "legacy";
    const table = this.ctx.table();
    if (!table.usesHanzod || brokeredUrl(this.ctx, other) === undefined) return undefined;
    if (other === "hanzod" && !this.hanzodAvailable()) return undefined;
    const advertised = helloPayloadOf(data)?.features as { methods?: unknown } | undefined;
    const methods = Array.isArray(advertised?.methods) ? (advertised.methods as string[]) : [];
    return needsPartner(other, this.authBackend, methods, (m) => servingBackend(table, m, this.profile)) ? other : undefined;
  }

  /** Sends the assembled hello-ok (`partnerHello` undefined: that backend failed), then what waited behind it. */
  private sendHello(partnerHello: Record<string, unknown> | undefined): void {
    const wait = this.helloWait;
    if (wait === undefined || this.phase !== "hello") return;
    this.helloWait = undefined;
    this.phase = "ready";
    const decoded = decodeFrameOrUndefined(wait.data);
    const own = helloPayloadOf(wait.data);
    let out: Buffer | string = wait.data;
    if (decoded?.type === "res" && own !== undefined) {
      const table = this.ctx.table();
      const payload = assembleHello({
        auth: this.authBackend,
        hellos: { [this.authBackend]: own, ...(partnerHello !== undefined ? { [backendOf(wait.partner)]: partnerHello } : {}) },
        serves: (m) => servingBackend(table, m, this.profile),
        eventOwner: (e) => routedEventOwner(table, e, this.authBackend, this.profile),
      });
      out = encodeFrame({ ...decoded, payload });
    }
    const hanzodEvents = advertisedEvents(this.authBackend === "hanzod" ? own : backendOf(wait.partner) === "hanzod" ? partnerHello : undefined);
    if (hanzodEvents !== undefined) this.events.knowHanzodEvents(hanzodEvents);
    this.sendToClient(out, false, this.authBackend);
    // Each returns at once if a held frame ended the session.
    for (const f of wait.held) {
      if (f.from === "client") this.fromClient(f.data, f.isBinary);
      else this.fromLeg(f.from, f.data, f.isBinary);
    }
  }

  private onResponse(key: LegKey, data: Buffer, id: string, ok: boolean, parsed: Frame | undefined): void {
    // By table, not by spelling: ids in flight on one leg never belong to two owners (upstreamIdFor).
    if (this.internal.has(key, id)) {
      this.internal.onResponse(key, data, id, parsed);
      return;
    }
    if (this.late.isAlias(id, key)) {
      this.onAliasedResponse(key, data, id, ok, parsed);
      return;
    }
    const p = this.pending.get(id);
    if (p === undefined || p.leg !== key || p.upstreamId !== undefined) {
      // An extra answer: the auth owner's go through as they would directly, unless the proxy already
      // answered the request itself after hanzod's deadline; others are stale.
      const late = this.late.isLate(id, key);
      if (p === undefined && key === this.authKey && !late) this.sendToClient(data, false, backendOf(key));
      else if (late) {
        const label = this.late.labelOf(id) ?? "(late)";
        this.ctx.metrics.countRequest(label, backendOf(key), "late");
        // Only a final answer settles the debt; after an interim one the final is still to come. (The
        // label is the method's, or "(proxy)"/"(unknown)", which mayAnswerTwice treats as maybe.)
        if (!(ok && mayAnswerTwice(label) && mayBeInterim(data))) this.late.forget(id);
      }
      return;
    }
    this.onAnswer(key, data, id, p, ok, parsed);
  }

  /** An answer to a request the proxy sent under an alias: back to the client's id, or dropped as late. */
  private onAliasedResponse(key: LegKey, data: Buffer, alias: string, ok: boolean, parsed: Frame | undefined): void {
    const id = this.late.clientIdOf(alias);
    const p = id === undefined ? undefined : this.pending.get(id);
    const frame = parsed ?? decodeFrameOrUndefined(data);
    if (id === undefined || p === undefined || p.upstreamId !== alias || p.leg !== key || frame?.type !== "res") {
      this.ctx.metrics.countRequest(methodLabel(p?.method ?? "(late)"), backendOf(key), "late");
      return;
    }
    const restored: Frame = { ...frame, id };
    this.onAnswer(key, Buffer.from(encodeFrame(restored)), id, p, ok, restored);
  }

  private onAnswer(key: LegKey, data: Buffer, id: string, p: Pending, ok: boolean, parsed: Frame | undefined): void {
    if (p.deadline !== 0) this.ctx.hanzodBreaker.success();
    if (!ok && key !== "legacy" && mayBeDeclined(data) && this.declinedToLegacy(id, p, parsed ?? decodeFrameOrUndefined(data))) return;
    // Only an ok answer of a method that can answer twice may be interim: the others skip the scan of
    // the whole answer (tens of microseconds on a large one) and the decode it can trigger.
    if (ok && mayAnswerTwice(p.method) && mayBeInterim(data)) {
      const frame = parsed ?? decodeFrameOrUndefined(data);
      if (frame !== undefined && isInterimAnswer(frame)) {
        // hanzod is alive and working on it: the final answer may legitimately take long.
        p.deadline = 0;
        this.sendToClient(data, false, backendOf(key));
        return;
      }
      parsed = frame;
    }
    this.pending.delete(id);
    if (p.upstreamId !== undefined) this.late.settleAlias(p.upstreamId);
    const latencyMs = performance.now() - p.sentAt;
    const backend = backendOf(key);
    const m = this.ctx.metrics;
    const outcome: Outcome = ok ? "ok" : "error";
    m.countRequest(methodLabel(p.method), backend, outcome);
    m.observeLatency(backend, latencyMs / 1000);
    if (p.merge !== undefined && ok) this.answerMerged(id, data, parsed, p.merge);
    else this.sendToClient(data, false, backend);
    if (p.mirror !== undefined) this.settleMirror(p.method, p.mirror, parsed ?? decodeFrameOrUndefined(data));
    if (p.activity === true && ok && key === "legacy") noteActivity(this.ctx, this.internal, this.id);
    // Per-method latency bins: an unknown (client-invented) name shares one bin, as in the metrics.
    this.ctx.sink?.recordLatency(methodLabel(p.method), backend, latencyMs, ok);
    if (p.shadow !== "none" && p.data !== undefined) queueShadow(this.ctx, this.internal, this.id, id, p, data, parsed, latencyMs);
  }

  /** hanzod's list answer joined by the legacy's copy's rows; hanzod's answer as is when the copy adds nothing. */
  private answerMerged(id: string, data: Buffer, parsed: Frame | undefined, copy: Promise<BackendAnswer | BackendFailure>): void {
    const frame = parsed ?? decodeFrameOrUndefined(data);
    void copy.then((answer) => {
      if (this.phase === "closed") return;
      const merged = frame?.type === "res" ? mergedList(frame.payload, answer) : undefined;
      this.sendToClient(merged === undefined ? data : encodeFrame({ type: "res", id, ok: true, payload: merged }), false, "hanzod");
    });
  }

  private onDrainingAnswer(key: LegKey, data: Buffer): void {
    const sniffed = sniffResponse(data);
    const frame = sniffed === undefined ? decodeFrameOrUndefined(data) : undefined;
    const id = sniffed?.id ?? (frame?.type === "res" ? frame.id : undefined);
    if (id !== undefined && this.internal.has(key, id)) this.internal.onResponse(key, data, id, frame);
  }

  // ---- the client socket ---------------------------------------------------------------------------

  private sendToClient(data: Buffer | string, isBinary: boolean, backend: Backend | undefined): void {
    const client = this.client;
    if (client.readyState !== client.OPEN) return;
    this.tap?.frame("s2c", data, isBinary, backend, Date.now());
    // The legacy's slow-consumer policy: past the bound, close 1008 and drop the socket at once. A
    // graceful close would keep everything buffered (and the socket) until the client read it all.
    if (client.bufferedAmount > this.ctx.maxBufferedBytes) {
      this.shutdown(1008, "slow consumer");
      client.terminate();
      return;
    }
    sendBatched(client, data, isBinary ? BINARY : TEXT);
  }

  /** Closes the client and every leg with one code (proxy shutdown, slow consumer). */
  shutdown(code: number, reason: string): void {
    if (this.phase === "closed") return;
    mirrorClose(this.client, code, reason);
    this.end(code, reason, "proxy");
  }

  private end(code: number, reason: string, by: "client" | "upstream" | "proxy"): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.tap?.close(code, reason, by, Date.now());
    const draining = new Set<LegKey>();
    for (const leg of this.legs.values()) {
      if (leg.key === this.authKey) {
        leg.closedByProxy = true;
        if (by !== "upstream") mirrorClose(leg.ws, code, reason);
      } else if (this.internal.busy(leg.key)) {
        // Copies already sent get their answers first: a client that connects, calls and leaves at
        // once (the CLI) would otherwise turn each of its copies into a false "no answer".
        draining.add(leg.key);
        void this.internal.idle(leg.key).then(() => leg.close(1000, "client gone"));
      } else {
        leg.close(1000, "client gone");
      }
    }
    if (by === "upstream") mirrorClose(this.client, code, reason);
    for (const key of ["legacy", "hanzod", "isolated"] as const) if (!draining.has(key)) this.internal.fail(key, "client connection closed", true);
    this.pending.clear();
    this.deadlines.clear();
    this.onEnd(this);
  }

  /** Keepalive towards the client: WS ping/pong is per hop, so the proxy checks its own hop. */
  heartbeat(): void {
    if (this.phase === "closed") return;
    if (!this.alive) {
      this.client.terminate();
      return;
    }
    this.alive = false;
    this.client.ping();
  }
}


function helloPayloadOf(data: Buffer): Record<string, unknown> | undefined {
  const d = decodeFrameOrUndefined(data);
  const p = d?.type === "res" && d.ok ? d.payload : undefined;
  return typeof p === "object" && p !== null && (p as { type?: unknown }).type === "hello-ok" ? (p as Record<string, unknown>) : undefined;
}

/** The same request under another id (rare: only a reused id still owed by its leg is re-encoded). */
function withId(data: Buffer, id: string): Buffer | string {
  const d = decodeFrame(data);
  return d.ok && d.frame.type === "req" ? encodeFrame({ ...d.frame, id }) : data;
}
