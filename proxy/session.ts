/**
 * One client connection: the client socket, one leg per backend, the request table, the event
 * sequencer. Until hello-ok every frame passes verbatim between the client and the auth owner; after
 * it each request goes where the live routing table says, answers come back by id, and events from
 * both legs merge into one seq.
 */
import type WebSocket from "ws";
import { decodeFrame, encodeFrame, errorResponse, Errors, hasIdempotencyKey, isSideEffecting, methodPolicy, type Frame, type RequestFrame } from "../protocol/index.js";
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";
import type { RouteDecision } from "../parity/checklist/index.js";
import type { Backend, ConnectionMeta, ConnectionTap } from "./tap.js";
import type { ProxyContext } from "./context.js";
import { mirrorClose } from "./close-mirror.js";
import { Leg, type LegEvents, type LegKey } from "./leg.js";
import { EventSequencer } from "./sequencer.js";
import { mayBeInterim, mayHaveIdempotencyKey, mayHaveTimeoutMs, sniffRequest, sniffResponse } from "./sniff.js";
import { AUTH_OWNED_EVENTS, bucketOf, familyOf, representativeMethod } from "./routing.js";
import { redactSecrets } from "./redact.js";
import { sendBatched } from "./send-batch.js";
import type { Outcome } from "./metrics.js";

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/** Ids of the proxy's own requests on a leg; never forwarded to the client. */
const INTERNAL_ID_PREFIX = "hanzonode-proxy:";
/** A client cannot hold more requests open than this; more get a retryable UNAVAILABLE. */
const MAX_PENDING = 10_000;
/** Ids whose hanzod deadline passed, remembered so a late answer never reaches the client. */
const MAX_LATE_IDS = 1024;

interface Pending {
  leg: LegKey;
  method: string;
  sentAt: number;
  shadow: "none" | "hanzod" | "isolated";
  fallback: boolean;
  /** The request bytes, kept only when a failover or a shadow copy may need them. */
  data: Buffer | undefined;
  /** performance.now() after which a hanzod answer is given up on; 0 = no deadline (legacy, or hanzod said "accepted"). */
  deadline: number;
}

interface Internal {
  leg: LegKey;
  sentAt: number;
  resolve(answer: BackendAnswer | BackendFailure): void;
  timer: NodeJS.Timeout;
}

interface ConnectInfo {
  id: string;
  params: Record<string, unknown>;
}

export interface Identity {
  role: string;
  scopes: string[];
  deviceId: string | undefined;
  clientId: string | undefined;
  /** What the proxy asserts to the other backend: `device:<id>` or `client:<client.id>`. */
  user: string;
}

function backendOf(key: LegKey): Backend {
  return key === "legacy" ? "legacy" : "hanzod";
}

function methodLabel(method: string): string {
  return methodPolicy(method) !== undefined || method === "connect" ? method : "(unknown)";
}

export class ClientSession {
  private phase: "handshake" | "ready" | "closed" = "handshake";
  private readonly legs = new Map<LegKey, Leg>();
  private readonly pending = new Map<string, Pending>();
  private readonly internal = new Map<string, Internal>();
  private readonly seq = new EventSequencer<LegKey>();
  private readonly familyOwner = new Map<string, Backend>();
  private readonly authKey: LegKey;
  private connect: ConnectInfo | undefined;
  private identity: Identity | undefined;
  private bucket = 0;
  private nodeSession = false;
  private nextInternal = 0;
  private alive = true;
  /** Answers still owed by hanzod for requests whose deadline passed: id -> leg. */
  private readonly late = new Map<string, LegKey>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;

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
    this.legs.set(this.authKey, Leg.adopt(this.authKey, authSocket, this.legEvents));
  }

  get id(): string {
    return this.meta.connectionId;
  }

  get verifiedIdentity(): Identity | undefined {
    return this.identity;
  }

  start(early: Array<{ data: Buffer; isBinary: boolean }>): void {
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
  }

  // ---- client -> backends -------------------------------------------------------------------------

  private fromClient(data: Buffer, isBinary: boolean): void {
    if (this.phase === "closed") return;
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
    const decoded = decodeFrame(data);
    if (!decoded.ok || decoded.frame.type !== "req" || decoded.frame.method !== "connect") return;
    const params = (decoded.frame.params ?? {}) as Record<string, unknown>;
    this.connect = { id: decoded.frame.id, params };
    this.nodeSession = params.role === "node";
  }

  private route(id: string, method: string, data: Buffer, parsed: RequestFrame | undefined): void {
    const table = this.ctx.table();
    let frame = parsed;
    const params = (): unknown => {
      if (frame === undefined) {
        const d = decodeFrame(data);
        if (d.ok && d.frame.type === "req") frame = d.frame;
      }
      return frame?.params;
    };
    let leg: LegKey;
    let shadow: Pending["shadow"] = "none";
    let fallback = false;
    if (method === "connect") {
      leg = this.authKey;
    } else if (this.nodeSession || method === "node.invoke") {
      // A node socket is pinned whole; node.invoke must run where the node is connected.
      leg = table.nodeOwner;
    } else {
      const decision = table.decide(method);
      fallback = decision.fallback;
      const picked = this.pick(decision, method, data, params);
      leg = picked.leg;
      shadow = picked.shadow;
    }
    if (leg !== "legacy" && !this.hanzodAvailable()) {
      if (fallback) {
        leg = "legacy";
        this.ctx.metrics.countRequest(methodLabel(method), "legacy", "fallback");
      } else {
        this.answerUnavailable(id, method, data);
        return;
      }
    }
    this.familyOwner.set(familyOf(method), backendOf(leg));
    this.send(id, method, data, leg, shadow, fallback, leg === "legacy" ? 0 : this.deadlineFor(data, params));
  }

  /**
   * How long a hanzod-routed request may go unanswered. A request that asks the backend to wait
   * (`params.timeoutMs`: agent.wait, node.invoke, approvals) gets that wait on top of the deadline.
   */
  private deadlineFor(data: Buffer, params: () => unknown): number {
    const base = this.ctx.hanzodDeadlineMs;
    if (base <= 0) return 0;
    let ms = base;
    if (mayHaveTimeoutMs(data)) {
      const t = (params() as { timeoutMs?: unknown } | undefined)?.timeoutMs;
      if (typeof t === "number" && Number.isFinite(t) && t > 0) ms += t;
    }
    return ms;
  }

  private pick(decision: RouteDecision, method: string, data: Buffer, params: () => unknown): { leg: LegKey; shadow: Pending["shadow"] } {
    switch (decision.kind) {
      case "legacy":
        return { leg: "legacy", shadow: "none" };
      case "hanzod":
        return { leg: "hanzod", shadow: "none" };
      case "canary": {
        const p = mayHaveIdempotencyKey(data) ? params() : undefined;
        const key = hasIdempotencyKey(p) ? (p as { idempotencyKey: unknown }).idempotencyKey : undefined;
        const toHanzod = (b: number): Backend => (b < decision.canaryPercent ? "hanzod" : "legacy");
        const backend = typeof key === "string" ? this.ctx.stickiness.pick(key, () => toHanzod(bucketOf(key))) : toHanzod(this.bucket);
        return { leg: backend, shadow: "none" };
      }
      case "shadow": {
        // Never copy a side effect to hanzod's real state: runtime idempotency keys count too.
        const sideEffect = isSideEffecting(method) || (mayHaveIdempotencyKey(data) && hasIdempotencyKey(params()));
        if (decision.isolated) return { leg: "legacy", shadow: "isolated" };
        if (sideEffect) {
          this.ctx.metrics.shadow.inc({ result: "skipped" });
          return { leg: "legacy", shadow: "none" };
        }
        return { leg: "legacy", shadow: "hanzod" };
      }
    }
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

  private send(id: string, method: string, data: Buffer, key: LegKey, shadow: Pending["shadow"], fallback: boolean, deadlineMs: number): void {
    if (this.pending.size >= MAX_PENDING && !this.pending.has(id)) {
      this.answerUnavailable(id, method, data);
      return;
    }
    const leg = this.legFor(key);
    if (leg === undefined) {
      this.answerUnavailable(id, method, data);
      return;
    }
    const keep = shadow !== "none" || (fallback && key !== "legacy");
    const sentAt = performance.now();
    const deadline = deadlineMs > 0 ? sentAt + deadlineMs : 0;
    this.pending.set(id, { leg: key, method, sentAt, shadow, fallback, data: keep ? data : undefined, deadline });
    this.tap?.frame("c2s", data, false, backendOf(key), Date.now());
    if (!leg.send(data, false)) {
      this.pending.delete(id);
      this.answerUnavailable(id, method, undefined);
      return;
    }
    if (deadline !== 0) this.armDeadline(deadline);
  }

  private answerUnavailable(id: string, method: string, data: Buffer | undefined, why = "hanzod is not reachable", outcome: Outcome = "unavailable"): void {
    if (data !== undefined) this.tap?.frame("c2s", data, false, undefined, Date.now());
    this.ctx.metrics.countRequest(methodLabel(method), "hanzod", outcome);
    this.sendToClient(encodeFrame(errorResponse(id, Errors.backendUnavailable(why))), false, undefined);
  }

  // ---- hanzod deadlines ----------------------------------------------------------------------------

  /** One timer per session, armed for the earliest deadline; no timer per request. */
  private armDeadline(at: number): void {
    if (this.deadlineTimer !== undefined) {
      if (this.deadlineAt <= at) return;
      clearTimeout(this.deadlineTimer);
    }
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(this.sweepDeadlines, Math.max(0, at - performance.now()) + 1);
    this.deadlineTimer.unref();
  }

  private readonly sweepDeadlines = (): void => {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    if (this.phase === "closed") return;
    const now = performance.now();
    let next = Infinity;
    const expired: Array<[string, Pending]> = [];
    for (const entry of this.pending) {
      const d = entry[1].deadline;
      if (d === 0) continue;
      if (d <= now) expired.push(entry);
      else if (d < next) next = d;
    }
    if (expired.length > 0) {
      // A backend that holds requests past their deadline is failing: let the breaker see it.
      this.ctx.hanzodBreaker.failure();
      this.ctx.log.warn({ conn: this.id, requests: expired.length, deadlineMs: this.ctx.hanzodDeadlineMs }, "hanzod missed request deadlines");
      for (const [id, p] of expired) {
        this.pending.delete(id);
        this.rememberLate(id, p.leg);
        this.ctx.metrics.countRequest(methodLabel(p.method), backendOf(p.leg), "timeout");
        this.failOver(id, p, `hanzod did not answer within ${Math.round(p.deadline - p.sentAt)} ms`, "timeout");
      }
    }
    if (next !== Infinity) this.armDeadline(next);
  };

  private rememberLate(id: string, key: LegKey): void {
    if (this.late.size >= MAX_LATE_IDS) {
      const oldest = this.late.keys().next().value;
      if (oldest !== undefined) this.late.delete(oldest);
    }
    this.late.set(id, key);
  }

  // ---- legs ----------------------------------------------------------------------------------------

  private readonly legEvents: LegEvents = {
    message: (leg, data, isBinary) => this.fromLeg(leg.key, data, isBinary),
    ready: (leg) => {
      if (leg.key !== "legacy") this.ctx.hanzodBreaker.success();
      this.ctx.metrics.upstreamLegs.inc({ backend: backendOf(leg.key) });
    },
    down: (leg, code, reason, wasReady) => this.legDown(leg, code, reason, wasReady),
  };

  /** The leg for a backend, opened lazily as the trusted proxy when it is not the auth owner's. */
  private legFor(key: LegKey): Leg | undefined {
    const existing = this.legs.get(key);
    if (existing !== undefined && !existing.dead) return existing;
    if (key === this.authKey || this.identity === undefined || this.connect === undefined) return undefined;
    const url = key === "legacy" ? this.ctx.legacyUrl : key === "hanzod" ? this.ctx.hanzodUrl : this.ctx.hanzodIsolatedUrl;
    if (url === undefined) return undefined;
    const connectId = `${INTERNAL_ID_PREFIX}connect:${++this.nextInternal}`;
    const leg = Leg.broker(key, { url, connectId, timeoutMs: 10_000, ...this.brokeredHandshake(key, connectId) }, this.legEvents);
    this.seq.reset(key);
    this.legs.set(key, leg);
    return leg;
  }

  /**
   * To hanzod: the verified identity in upgrade headers (hanzod trusts them only from its configured
   * proxy addresses with the proxy token) and never wider scopes than hello-ok granted. To legacy (when
   * hanzod owns auth): the legacy's reserved loopback backend path with the shared token; see README.
   */
  private brokeredHandshake(key: LegKey, connectId: string): { headers: Record<string, string>; connectFrame: string } {
    const id = this.identity!;
    const p = this.connect!.params;
    const base: Record<string, unknown> = {
      minProtocol: p.minProtocol ?? 4,
      maxProtocol: p.maxProtocol ?? 4,
      role: id.role,
      scopes: id.scopes,
    };
    for (const k of ["caps", "commands", "permissions", "locale", "userAgent", "pathEnv"]) if (p[k] !== undefined) base[k] = p[k];
    if (key === "legacy") {
      const client = (p.client ?? {}) as Record<string, unknown>;
      const params = { ...base, client: { id: "gateway-client", version: client.version ?? "hanzonode", platform: client.platform ?? process.platform, mode: "backend" }, auth: { token: this.ctx.legacyToken ?? "" } };
      return { headers: {}, connectFrame: JSON.stringify({ type: "req", id: connectId, method: "connect", params }) };
    }
    const params = { ...base, client: p.client, auth: { token: this.ctx.hanzodToken ?? "" } };
    return {
      headers: {
        "x-forwarded-for": this.meta.clientAddress,
        "x-forwarded-user": id.user,
        "x-openclaw-scopes": id.scopes.join(","),
      },
      connectFrame: JSON.stringify({ type: "req", id: connectId, method: "connect", params }),
    };
  }

  private legDown(leg: Leg, code: number, reason: string, wasReady: boolean): void {
    if (wasReady && leg.key !== this.authKey) this.ctx.metrics.upstreamLegs.dec({ backend: backendOf(leg.key) });
    if (this.legs.get(leg.key) === leg) this.legs.delete(leg.key);
    if (leg.key === this.authKey) {
      this.end(code, reason, "upstream");
      return;
    }
    if (!leg.closedByProxy && leg.key !== "legacy") {
      this.ctx.hanzodBreaker.failure();
      this.ctx.log.warn({ conn: this.id, backend: leg.key, code, reason }, "hanzod leg lost");
    }
    this.failInternals(leg.key, reason || `closed ${code}`);
    this.failPending(leg.key);
  }

  /** Requests in flight on a lost leg: `fallback: legacy` reads go to legacy, the rest get UNAVAILABLE. */
  private failPending(key: LegKey): void {
    for (const [id, p] of this.pending) {
      if (p.leg !== key) continue;
      this.pending.delete(id);
      if (this.phase === "closed") continue;
      this.failOver(id, p, "hanzod is not reachable", "unavailable");
    }
  }

  /** A request hanzod will not answer (leg lost, deadline passed): to legacy when allowed, else UNAVAILABLE. */
  private failOver(id: string, p: Pending, why: string, outcome: Outcome): void {
    const legacy = p.fallback && p.data !== undefined && !isSideEffecting(p.method) ? this.legFor("legacy") : undefined;
    if (legacy !== undefined && p.data !== undefined) {
      this.pending.set(id, { ...p, leg: "legacy", deadline: 0 });
      this.ctx.metrics.countRequest(methodLabel(p.method), "legacy", "fallback");
      if (legacy.send(p.data, false)) return;
      this.pending.delete(id);
    }
    // A timeout was counted by the caller; the client still gets the retryable answer.
    this.answerUnavailable(id, p.method, undefined, why, outcome === "timeout" ? "unavailable" : outcome);
  }

  // ---- backends -> client --------------------------------------------------------------------------

  private fromLeg(key: LegKey, data: Buffer, isBinary: boolean): void {
    if (this.phase === "closed") return;
    if (isBinary) {
      if (key === this.authKey) this.sendToClient(data, true, backendOf(key));
      return;
    }
    if (this.phase === "handshake") {
      this.sendToClient(data, false, backendOf(key));
      if (this.connect !== undefined) {
        const r = sniffResponse(data);
        const id = r?.id ?? (() => {
          const d = decodeFrame(data);
          return d.ok && d.frame.type === "res" ? d.frame.id : undefined;
        })();
        if (id === this.connect.id) this.onHello(data);
      }
      return;
    }
    const res = sniffResponse(data);
    if (res !== undefined) {
      this.onResponse(key, data, res.id, res.ok, undefined);
      return;
    }
    const decoded = decodeFrame(data);
    if (!decoded.ok) {
      if (key === this.authKey) this.sendToClient(data, false, backendOf(key));
      return;
    }
    const frame = decoded.frame;
    if (frame.type === "res") this.onResponse(key, data, frame.id, frame.ok, frame);
    else if (frame.type === "event") this.onEvent(key, frame, data);
    else if (key === this.authKey) this.sendToClient(data, false, backendOf(key));
  }

  private onHello(data: Buffer): void {
    const d = decodeFrame(data);
    if (!d.ok || d.frame.type !== "res" || !d.frame.ok) return;
    const payload = d.frame.payload as { type?: string; auth?: { role?: string; scopes?: string[] } } | undefined;
    if (payload?.type !== "hello-ok") return;
    const p = this.connect!.params;
    const device = p.device as { id?: unknown } | undefined;
    const client = p.client as { id?: unknown } | undefined;
    const deviceId = typeof device?.id === "string" ? device.id : undefined;
    const clientId = typeof client?.id === "string" ? client.id : undefined;
    const role = payload.auth?.role ?? (typeof p.role === "string" ? p.role : "operator");
    this.nodeSession = role === "node";
    this.identity = {
      role,
      scopes: Array.isArray(payload.auth?.scopes) ? payload.auth.scopes.filter((s): s is string => typeof s === "string") : [],
      deviceId,
      clientId,
      user: deviceId !== undefined ? `device:${deviceId}` : `client:${clientId ?? "unknown"}`,
    };
    this.bucket = bucketOf(this.identity.user);
    this.phase = "ready";
  }

  private onResponse(key: LegKey, data: Buffer, id: string, ok: boolean, parsed: Frame | undefined): void {
    if (id.startsWith(INTERNAL_ID_PREFIX)) {
      this.onInternalResponse(key, data, id, parsed);
      return;
    }
    const p = this.pending.get(id);
    if (p === undefined || p.leg !== key) {
      // An extra answer: the auth owner's go through as they would directly, unless the proxy already
      // answered the request itself after hanzod's deadline; others are stale.
      if (p === undefined && key === this.authKey && this.late.get(id) !== key) this.sendToClient(data, false, backendOf(key));
      else if (this.late.get(id) === key) this.ctx.metrics.countRequest(methodLabel(p?.method ?? "(late)"), backendOf(key), "late");
      return;
    }
    if (p.deadline !== 0) this.ctx.hanzodBreaker.success();
    if (mayBeInterim(data)) {
      const frame = parsed ?? (decodeFrame(data) as { ok: true; frame: Frame }).frame;
      const payload = frame?.type === "res" ? (frame.payload as { status?: unknown } | undefined) : undefined;
      if (payload?.status === "accepted") {
        // hanzod is alive and working on it: the final answer may legitimately take long.
        p.deadline = 0;
        this.sendToClient(data, false, backendOf(key));
        return;
      }
      parsed = frame;
    }
    this.pending.delete(id);
    const latencyMs = performance.now() - p.sentAt;
    const backend = backendOf(key);
    const m = this.ctx.metrics;
    const outcome: Outcome = ok ? "ok" : "error";
    m.countRequest(methodLabel(p.method), backend, outcome);
    m.observeLatency(backend, latencyMs / 1000);
    this.sendToClient(data, false, backend);
    this.ctx.sink?.recordLatency(p.method, backend, latencyMs, ok);
    if (p.shadow !== "none" && p.data !== undefined) this.queueShadow(id, p, data, parsed, latencyMs);
  }

  private onEvent(key: LegKey, frame: Extract<Frame, { type: "event" }>, data: Buffer): void {
    const backend = backendOf(key);
    const owner = key === "isolated" ? undefined : this.eventOwner(frame.event);
    const shadowed = this.ctx.sink !== undefined && key !== "isolated" && this.isShadowedFamily(frame.event);
    if (shadowed) this.ctx.sink!.submitEvent({ at: Date.now(), connectionId: this.id, backend, event: frame.event, payload: frame.payload });
    if (owner !== backend) {
      if (typeof frame.seq === "number") this.seq.skip(key, frame.seq);
      this.ctx.metrics.events.inc({ backend, fate: "dropped" });
      return;
    }
    this.ctx.metrics.events.inc({ backend, fate: "delivered" });
    if (typeof frame.seq !== "number") {
      this.sendToClient(data, false, backend);
      return;
    }
    const out = this.seq.deliver(key, frame.seq);
    if (out === frame.seq) {
      this.sendToClient(data, false, backend);
      return;
    }
    frame.seq = out;
    this.sendToClient(encodeFrame(frame), false, backend);
  }

  /** Each event has one owning backend, derived from the routing of its method family. */
  private eventOwner(event: string): Backend {
    if (this.nodeSession) return this.ctx.table().nodeOwner;
    if (AUTH_OWNED_EVENTS.has(event)) return this.authBackend;
    const family = familyOf(event);
    const seen = this.familyOwner.get(family);
    if (seen !== undefined) return seen;
    const rep = representativeMethod(family);
    if (rep === undefined) return this.authBackend;
    const d = this.ctx.table().decide(rep);
    if (d.kind === "hanzod") return "hanzod";
    if (d.kind === "canary") return this.bucket < d.canaryPercent ? "hanzod" : "legacy";
    return "legacy";
  }

  private isShadowedFamily(event: string): boolean {
    if (AUTH_OWNED_EVENTS.has(event)) return false;
    const rep = representativeMethod(familyOf(event));
    return rep !== undefined && this.ctx.table().decide(rep).kind === "shadow";
  }

  // ---- shadow copies and noise probes (off the client path) ----------------------------------------

  private queueShadow(id: string, p: Pending, answer: Buffer, parsed: Frame | undefined, latencyMs: number): void {
    const res = parsed ?? (() => {
      const d = decodeFrame(answer);
      return d.ok ? d.frame : undefined;
    })();
    const req = decodeFrame(p.data!);
    if (res?.type !== "res" || !req.ok || req.frame.type !== "req") return;
    const expected: BackendAnswer = { ok: res.ok, latencyMs };
    if (res.payload !== undefined) expected.payload = res.payload;
    if (res.error !== undefined) expected.error = res.error;
    const request = req.frame;
    const params = redactSecrets(request.params);
    const copyLeg: LegKey = p.shadow === "isolated" ? "isolated" : "hanzod";
    this.ctx.shadowQueue.offer({
      kind: "shadow",
      method: p.method,
      connectionId: this.id,
      requestId: id,
      params,
      expected,
      run: () => this.sendInternal(copyLeg, request),
    });
    const rate = this.ctx.table().noiseSampleRate;
    if (!isSideEffecting(p.method) && rate > 0 && this.ctx.random() < rate) {
      this.ctx.shadowQueue.offer({
        kind: "noise-probe",
        method: p.method,
        connectionId: this.id,
        requestId: id,
        params,
        expected,
        run: () => this.sendInternal("legacy", request),
      });
    }
  }

  /** Sends a request of the proxy's own on a leg and resolves with its final answer (or a failure). */
  private sendInternal(key: LegKey, request: RequestFrame): Promise<BackendAnswer | BackendFailure> {
    const started = performance.now();
    const failure = (why: string): BackendFailure => ({ failed: why, latencyMs: performance.now() - started });
    if (this.phase === "closed") return Promise.resolve(failure("client connection closed"));
    if (key !== "legacy" && !this.hanzodAvailable()) return Promise.resolve(failure("hanzod is not reachable"));
    const leg = this.legFor(key);
    if (leg === undefined) return Promise.resolve(failure(`no ${key} leg`));
    const id = `${INTERNAL_ID_PREFIX}${++this.nextInternal}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.internal.delete(id);
        resolve(failure(`no answer within ${this.ctx.internalTimeoutMs} ms`));
      }, this.ctx.internalTimeoutMs);
      timer.unref();
      this.internal.set(id, { leg: key, sentAt: started, resolve, timer });
      if (!leg.send(encodeFrame({ ...request, id }), false)) {
        clearTimeout(timer);
        this.internal.delete(id);
        resolve(failure(`${key} leg refused the copy`));
      }
    });
  }

  private onInternalResponse(key: LegKey, data: Buffer, id: string, parsed: Frame | undefined): void {
    const waiter = this.internal.get(id);
    if (waiter === undefined || waiter.leg !== key) return;
    const frame = parsed ?? (() => {
      const d = decodeFrame(data);
      return d.ok ? d.frame : undefined;
    })();
    if (frame?.type !== "res") return;
    if ((frame.payload as { status?: unknown } | undefined)?.status === "accepted") return;
    this.internal.delete(id);
    clearTimeout(waiter.timer);
    const answer: BackendAnswer = { ok: frame.ok, latencyMs: performance.now() - waiter.sentAt };
    if (frame.payload !== undefined) answer.payload = frame.payload;
    if (frame.error !== undefined) answer.error = frame.error;
    waiter.resolve(answer);
  }

  private failInternals(key: LegKey, why: string): void {
    for (const [id, w] of this.internal) {
      if (w.leg !== key) continue;
      this.internal.delete(id);
      clearTimeout(w.timer);
      w.resolve({ failed: why, latencyMs: performance.now() - w.sentAt });
    }
  }

  // ---- the client socket ---------------------------------------------------------------------------

  private sendToClient(data: Buffer | string, isBinary: boolean, backend: Backend | undefined): void {
    const client = this.client;
    if (client.readyState !== client.OPEN) return;
    this.tap?.frame("s2c", data, isBinary, backend, Date.now());
    // Mirror the legacy slow-consumer policy instead of buffering without bound.
    if (client.bufferedAmount > this.ctx.maxBufferedBytes) {
      this.shutdown(1008, "slow consumer");
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
    for (const leg of this.legs.values()) {
      if (leg.key === this.authKey) {
        leg.closedByProxy = true;
        if (by !== "upstream") mirrorClose(leg.ws, code, reason);
      } else {
        leg.close(1000, "client gone");
      }
    }
    if (by === "upstream") mirrorClose(this.client, code, reason);
    for (const key of ["legacy", "hanzod", "isolated"] as const) this.failInternals(key, "connection closed");
    this.pending.clear();
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
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
