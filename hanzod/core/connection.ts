/**
 * One WebSocket from upgrade to close: challenge -> first frame must be a valid `connect` -> auth and
 * pairing -> hello-ok -> requests. Pre-auth frames are capped at 64 KiB by the ws receiver (1009, as the
 * legacy); after hello the cap is raised to the advertised maxPayload (protocol/ws-receiver-limit.ts) and the
 * ping/pong keepalive starts. While a restart or suspension holds admission closed, connects that are
 * fenced (every connect during a restart, node connects during a suspension) get the legacy's
 * UNAVAILABLE and close 1013.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { WebSocket, RawData } from "ws";
import type { Logger } from "pino";
import { afterSocketReads, announcedPayloadBytes, clipForLog, CloseCodes, CloseReasons, Errors, errorResponse, messageByteLength, raiseReceiverMaxPayload, truncateCloseReason, wsDataToText, decodeJson, errorShape, ACTIVITY_NOTICE_METHOD, activityNoticeProof, type ErrorShape } from "../../protocol/index.js";
import { DEFAULTS } from "../options.js";
import type { Runtime } from "./runtime.js";
import type { CallerInfo } from "./method.js";
import type { EventRecipient } from "./broadcaster.js";
import { answerAs, answerChangeApplies } from "./compat.js";
import { classifyFirstFrame, type ConnectParamsShape } from "./handshake/validation.js";
import { authenticateConnect, type AcceptedSession, type PeerInfo } from "./handshake/authenticate.js";
import { clientIpFromForwardedFor, hasForwardedHeaders, headerValue, isLocalishHost, isLoopbackAddress, normalizeIp } from "./auth/net.js";
import { buildHello } from "./hello.js";
import type { CallOrigin, ParamsPrecheck, Pipeline } from "./pipeline.js";
import { invalidFrameError, isPlainRequestFrame } from "./request-frame.js";
import { OFF_THREAD_MIN_BYTES, sharedFrameCopy, type OffThreadJudge } from "./intake/off-thread.js";
import { withDeferredParams, type FrameVerdict } from "./intake/verdict.js";
import { inboundBudget, needsShare } from "./intake/inbound-budget.js";
import { isEphemeralClient } from "./presence.js";
import { GATEWAY_OWNER_PROFILE_ID, ownerPresenceUser, type PresenceUser } from "../state/owner-profile.js";
import { startKeepalive } from "./keepalive.js";
import { assertedChallengeNonce } from "./auth/asserted-nonce.js";
import { secretsEqual } from "./auth/shared-secret.js";
import { requestStarts } from "./request-starts.js";
import { PairingRefusal } from "../state/device-pairing.js";

let receiverShapeWarned = false;
let socketShapeWarned = false;

/**
 * Frames held while a connect is being decided. The legacy holds none: a frame it reads before hello is
 * a handshake frame, and anything but a connect is answered "first request must be connect" and closed
 * 1008; only its loading queue holds up to 16. hanzod holds that many (each already capped at 64 KiB
 * by the receiver), so a client that pipelines a call behind its connect is answered after hello, and
 * the 17th is refused as the legacy refuses a pre-hello request.
 */
export const MAX_EARLY_FRAMES = 16;

/** More than this many consecutive wrong-role answers closes the socket (legacy UnauthorizedFloodGuard). */
const UNAUTHORIZED_CLOSE_AFTER = 10;
const OWNER_CHANGE = "/user, /onlineSince";

/**
 * The legacy's shouldUseGatewayOwnerProfile: an operator without a verified user identity is the gateway
 * owner (hanzod has no gateway.roles yet, so its token/password-only condition never narrows this).
 */
function attributedToOwner(s: AcceptedSession): boolean {
  return s.role === "operator" && s.user === undefined;
}

/** The caller's device id as the legacy's pairing handlers see it: only for a device-token connect. */
export function deviceTokenCaller(s: Pick<AcceptedSession, "authMethod" | "deviceId">): { callerDeviceId?: string } {
  const id = s.deviceId?.trim();
  return s.authMethod === "device-token" && id ? { callerDeviceId: id } : {};
}

export interface ConnectionHost {
  runtime: Runtime;
  pipeline: Pipeline;
  /** Judges large frames off the main thread (intake/off-thread.ts). */
  intake: OffThreadJudge;
  onClosed(c: Connection): void;
}

/** Who is on the other end of a request: its address, the client's own behind a trusted proxy, locality. */
export function peerOf(rt: Runtime, req: IncomingMessage): Omit<PeerInfo, "nonce"> {
  const remoteAddr = normalizeIp(req.socket.remoteAddress);
  const remoteIsTrustedProxy = rt.proxies.matches(remoteAddr);
  const forwarded = remoteIsTrustedProxy ? clientIpFromForwardedFor(headerValue(req, "x-forwarded-for"), rt.proxies) : undefined;
  const hasProxyHeaders = hasForwardedHeaders(req);
  const remoteIsLoopback = isLoopbackAddress(remoteAddr);
  const origin = headerValue(req, "origin");
  return {
    req,
    remoteAddr,
    clientIp: forwarded ?? remoteAddr ?? "unknown",
    isLocalClient: remoteIsLoopback && !hasProxyHeaders && isLocalishHost(headerValue(req, "host")),
    remoteIsLoopback,
    hasProxyHeaders,
    hasOrigin: Boolean(origin && origin.trim()),
    remoteIsTrustedProxy,
  };
}

function peerInfo(rt: Runtime, req: IncomingMessage, nonce: string): PeerInfo {
  return { ...peerOf(rt, req), nonce };
}

export class Connection implements EventRecipient, CallOrigin {
  readonly connId = randomUUID();
  private readonly nonce: string;
  private readonly peer: PeerInfo;
  private readonly log: Logger | undefined;
  private session: AcceptedSession | undefined;
  private caller: CallerInfo | undefined;
  private connecting = false;
  /** Frames that arrived while connect was still being decided; the legacy answers them after hello. */
  private early: unknown[] | undefined;
  /** Frames that arrived while a large one was being judged off-thread: they keep their order behind it. */
  private backlog: RawData[] | undefined;
  private closed = false;
  /** Reasons the socket is not read now (a frame being judged, a wait for the inbound budget): read again at 0. */
  private pauses = 0;
  private unauthorizedCount = 0;
  private presenceKey: string | undefined;
  /** The device id this connection is registered under in rt.deviceConnections (device-connections.ts). */
  private countedDevice: string | undefined;
  /** Whether this connection holds a person's online period open (presence.ts joinPerson). */
  private inPerson = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  private stopKeepalive: (() => void) | undefined;
  /** Created on first use: most connections never run a handler that looks at it. */
  private aborter: AbortController | undefined;
  /** Topics this connection subscribed to ("subscribers" events); created on first subscribe. */
  topics: Set<string> | undefined;
  seq = 0;

  /** Who this connection is, for events sent to chosen connections (the caller once connected). */
  get client(): CallerInfo | undefined {
    return this.caller;
  }

  constructor(
    private readonly ws: WebSocket,
    req: IncomingMessage,
    private readonly host: ConnectionHost,
  ) {
    const rt = host.runtime;
    // Behind the hanzonode proxy the client may have been given legacy's challenge (see asserted-nonce.ts).
    this.nonce = assertedChallengeNonce(req, rt.opts.auth.token, rt.proxies) ?? randomUUID();
    this.peer = peerInfo(rt, req, this.nonce);
    this.log = rt.log?.child({ connId: this.connId });
    this.log?.debug({ remote: this.peer.remoteAddr, client: this.peer.clientIp }, "ws open");
    const challenge = answerAs("connect.challenge", { nonce: this.nonce, ts: Date.now() }, { release: rt.version, runtime: rt });
    this.sendRaw(JSON.stringify({ type: "event", event: "connect.challenge", payload: challenge }));
    this.handshakeTimer = setTimeout(() => {
      if (!this.session) {
        this.log?.warn("handshake timeout");
        this.close(CloseCodes.NORMAL, "");
      }
    }, rt.opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs);
    ws.on("message", (data: RawData) => this.onMessage(data));
    ws.on("close", () => this.onClose());
    ws.on("error", () => this.close(CloseCodes.NORMAL, ""));
  }

  get role(): string {
    return this.session?.role ?? "";
  }

  get scopes(): readonly string[] {
    return this.session?.scopes ?? [];
  }

  get signal(): AbortSignal {
    this.aborter ??= new AbortController();
    if (this.closed && !this.aborter.signal.aborted) this.aborter.abort();
    return this.aborter.signal;
  }

  subscribe(topic: string): () => void {
    (this.topics ??= new Set()).add(topic);
    return () => void this.topics?.delete(topic);
  }

  unsubscribe(topic: string): void {
    this.topics?.delete(topic);
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  sendRaw(text: string): void {
    if (this.closed || this.ws.readyState !== 1) return;
    if (this.ws.bufferedAmount > (this.host.runtime.opts.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes)) {
      this.close(CloseCodes.POLICY_VIOLATION, CloseReasons.slowConsumer);
      this.ws.terminate();
      return;
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  private rejectHandshake(id: string, error: ErrorShape, code: number, reason: string, deferClose: boolean): void {
    this.sendRaw(JSON.stringify(errorResponse(id, error)));
    this.log?.info({ code: error.code, detail: (error.details as { code?: string } | undefined)?.code, message: clipForLog(error.message, 2048) }, "connect rejected");
    if (deferClose) queueMicrotask(() => this.close(code, truncateCloseReason(reason)));
    else this.close(code, truncateCloseReason(reason));
  }

  private onMessage(data: RawData): void {
    if (this.closed) return;
    if (this.session) {
      if (this.backlog !== undefined) {
        this.backlog.push(data);
        return;
      }
      const bytes = messageByteLength(data);
      if (bytes >= OFF_THREAD_MIN_BYTES) {
        void this.judgeOffThread(data, bytes);
        return;
      }
      const json = decodeJson(wsDataToText(data));
      // The legacy logs a parse error and, after hello, ignores the frame.
      if (json.ok) this.startRequest(json.value, bytes, undefined);
      return;
    }
    const text = wsDataToText(data);
    const json = decodeJson(text);
    if (!json.ok) {
      // The legacy logs a parse error; before hello it closes the socket.
      this.close(CloseCodes.NORMAL, "");
      return;
    }
    const parsed = json.value;
    if (this.connecting) {
      const early = (this.early ??= []);
      if (early.length < MAX_EARLY_FRAMES) early.push(parsed);
      else this.refuseEarly(parsed);
      return;
    }
    const verdict = classifyFirstFrame(parsed, this.host.runtime.version);
    if (verdict.kind === "not-request") return this.close(CloseCodes.POLICY_VIOLATION, CloseReasons.invalidRequestFrame);
    if (verdict.kind === "reject") return this.rejectHandshake(verdict.id, verdict.error, CloseCodes.POLICY_VIOLATION, verdict.error.message, true);
    const fenced = this.connectFence(verdict.params);
    if (fenced) return this.rejectHandshake(verdict.id, fenced.error, CloseCodes.TRY_AGAIN_LATER, fenced.reason, true);
    this.connecting = true;
    void this.onConnect(verdict.id, verdict.params);
  }

  private startRequest(parsed: unknown, bytes: number, prechecked: ParamsPrecheck | undefined): void {
    const caller = this.caller;
    if (!caller) return;
    if (caller.role !== "operator") void this.onRequest(parsed, caller, prechecked);
    else if (!requestStarts.admit(bytes, () => void this.onRequest(parsed, caller, prechecked))) this.refuseStart(parsed);
  }

  /**
   * A large frame is judged on the intake worker; the socket stops reading meanwhile (backpressure), and
   * what it had already read waits in `backlog`, so requests still start in the order they were sent.
   */
  private async judgeOffThread(data: RawData, bytes: number): Promise<void> {
    this.backlog = [];
    this.hold();
    // Normally asked for when its header came in (askForShare); a frame read whole in one chunk counts now.
    if (inboundBudget.force(this, bytes)) this.unhold();
    // One copy the worker reads in place; from here on ws's own buffer is not held (sharedFrameCopy).
    const whole = sharedFrameCopy(data);
    const text = (): string => whole.toString("utf8");
    const verdict = await this.host.intake.judge(whole, text, this.host.runtime.version);
    if (!this.closed) this.acceptVerdict(verdict, bytes, text);
    inboundBudget.release(this);
    const queued = this.backlog;
    this.backlog = undefined;
    if (this.closed) return;
    this.unhold();
    for (let i = 0; i < queued.length; i++) {
      if (this.backlog !== undefined) {
        (this.backlog as RawData[]).push(...queued.slice(i));
        break;
      }
      this.onMessage(queued[i]!);
    }
  }

  /**
   * After each socket read: when the message ws is now receiving announces 64 KiB or more, this
   * connection needs a share of the process's inbound budget (intake/inbound-budget.ts) before reading
   * on; without one its socket waits, paused, and is read again once granted.
   */
  private askForShare(): void {
    if (this.closed || inboundBudget.holds(this) || inboundBudget.isWaiting(this)) return;
    const announced = announcedPayloadBytes(this.ws);
    if (announced === undefined || !needsShare(announced)) return;
    if (!inboundBudget.request(this, announced, () => this.unhold())) this.hold();
  }

  private hold(): void {
    if (this.pauses++ === 0) this.ws.pause();
  }

  private unhold(): void {
    if (--this.pauses === 0 && !this.closed) this.ws.resume();
  }

  private acceptVerdict(verdict: FrameVerdict, bytes: number, text: () => string): void {
    if (verdict.kind === "not-json") return;
    if (verdict.kind === "invalid-frame") return this.sendRaw(JSON.stringify(errorResponse(verdict.id, verdict.error)));
    const frame = verdict.paramsShipped ? verdict.frame : withDeferredParams(verdict.frame, text);
    this.startRequest(frame, bytes, verdict.prechecked);
  }

  /** An operator request beyond the request-start queue: the legacy's retryable UNAVAILABLE. */
  private refuseStart(parsed: unknown): void {
    const id = typeof parsed === "object" && parsed !== null && typeof (parsed as { id?: unknown }).id === "string" ? (parsed as { id: string }).id : "invalid";
    this.sendRaw(JSON.stringify(errorResponse(id, Errors.requestStartCapacity())));
  }

  /** A pre-hello frame beyond the early buffer, answered as the legacy answers a non-connect before hello. */
  private refuseEarly(parsed: unknown): void {
    this.early = undefined;
    if (isPlainRequestFrame(parsed)) return this.rejectHandshake(parsed.id, Errors.firstRequestNotConnect(), CloseCodes.POLICY_VIOLATION, Errors.firstRequestNotConnect().message, false);
    this.close(CloseCodes.POLICY_VIOLATION, CloseReasons.invalidRequestFrame);
  }

  /** The legacy admits operator connects during a suspension (controllers must reach their lease), nothing during a restart. */
  private connectFence(params: ConnectParamsShape): { error: ErrorShape; reason: string } | undefined {
    const rt = this.host.runtime;
    const phase = rt.suspension.phase;
    if (rt.restart.isPending) return { error: Errors.gatewayWorkUnavailable("connect", "restart", phase), reason: CloseReasons.restartInProgress };
    if (phase === "accepting" || ((phase === "draining" || phase === "prepared") && params.role !== "node")) return undefined;
    return { error: Errors.gatewayWorkUnavailable("connect", "suspension", phase), reason: CloseReasons.suspensionInProgress };
  }

  private async onConnect(id: string, params: ConnectParamsShape): Promise<void> {
    const rt = this.host.runtime;
    // An in-progress connect is root work (a suspension waits for it), as in the legacy; not once admission is closed.
    const counted = rt.suspension.phase === "accepting" && !rt.restart.isPending;
    if (counted) rt.work.begin("ws:connect");
    let outcome;
    let owner: PresenceUser | undefined;
    try {
      outcome = await authenticateConnect(rt, params, this.peer);
      // Resolved before admission, as the legacy resolves the connect's profile.
      if (outcome.ok && this.tracksPresence(params, outcome.session) && attributedToOwner(outcome.session) && answerChangeApplies(rt.version, "presence-connect", OWNER_CHANGE)) {
        owner = ownerPresenceUser(await rt.owners.current());
      }
    } catch (err) {
      if (err instanceof PairingRefusal) {
        // Pairing state hanzod cannot handle exactly: refused, so the client can reach the legacy instead.
        this.log?.warn({ reason: err.message }, "connect refused: device pairing is the legacy's here");
        this.rejectHandshake(id, errorShape("UNAVAILABLE", `device pairing unavailable in hanzod: ${err.message}`), CloseCodes.TRY_AGAIN_LATER, "device pairing unavailable", false);
        return;
      }
      this.log?.error({ err: String(err) }, "connect failed");
      this.close(CloseCodes.INTERNAL, "internal error");
      return;
    } finally {
      if (counted) rt.work.end("ws:connect");
    }
    if (this.closed) return;
    if (!outcome.ok) {
      const r = outcome.rejection;
      this.rejectHandshake(id, r.error, r.closeCode, r.closeReason, false);
      return;
    }
    const s = outcome.session;
    this.session = s;
    const deviceId = s.deviceId?.trim();
    if (deviceId) {
      rt.deviceConnections.add(deviceId, s.role, this);
      this.countedDevice = deviceId;
    }
    this.caller = { connId: this.connId, role: s.role, scopes: s.scopes, caps: params.caps ?? [], clientId: params.client.id, ...(params.client.displayName ? { clientDisplayName: params.client.displayName } : {}), clientMode: params.client.mode, ...(owner ? { profileId: GATEWAY_OWNER_PROFILE_ID } : {}), authMethod: s.authMethod, ...(s.user !== undefined ? { verifiedUser: true as const } : {}), ...deviceTokenCaller(s), ...(deviceId ? { deviceId } : {}) };
    clearTimeout(this.handshakeTimer);
    if (!raiseReceiverMaxPayload(this.ws, DEFAULTS.maxPayload) && !receiverShapeWarned) {
      receiverShapeWarned = true;
      rt.log?.error("ws receiver has no writable _maxPayload: frames after hello stay capped at 64 KiB (ws upgraded? see protocol/ws-receiver-limit.ts)");
    }
    // Frames of 64 KiB and more are possible from here on: each needs a share of the inbound budget.
    if (!afterSocketReads(this.ws, () => this.askForShare()) && !socketShapeWarned) {
      socketShapeWarned = true;
      rt.log?.error("ws keeps no _socket: large frames are not held to the inbound budget (ws upgraded? see protocol/ws-receiver-limit.ts)");
    }
    this.stopKeepalive = startKeepalive(this.ws, rt.keepalive, () => {
      this.log?.warn("keepalive: no pong, terminating");
      this.closed = true;
      this.ws.terminate();
    });
    // Listed before hello-ok is built, as the legacy does: a client sees itself in its snapshot.
    if (this.tracksPresence(params, s)) {
      const key = s.role === "node" ? (s.deviceId ?? params.client.instanceId ?? this.connId) : this.connId;
      this.presenceKey = key;
      // 2026.9.6: the person's online period first (the legacy registers the client, then writes its connect row).
      if (owner) {
        rt.presence.joinPerson(key, `profile:${GATEWAY_OWNER_PROFILE_ID}`, { clientId: params.client.id, mode: params.client.mode, user: owner });
        this.inPerson = true;
      }
      const row = {
        host: params.client.displayName ?? params.client.id,
        ...(this.peer.isLocalClient || isLoopbackAddress(this.peer.clientIp) ? {} : { ip: this.peer.clientIp }),
        version: params.client.version,
        platform: params.client.platform,
        ...(params.client.deviceFamily ? { deviceFamily: params.client.deviceFamily } : {}),
        ...(params.client.modelIdentifier ? { modelIdentifier: params.client.modelIdentifier } : {}),
        ...(params.client.timeZone ? { timeZone: params.client.timeZone } : {}),
        mode: params.client.mode,
        ...(s.deviceId ? { deviceId: s.deviceId } : {}),
        roles: [s.role],
        scopes: s.scopes,
        ...(params.client.instanceId ? { instanceId: params.client.instanceId } : {}),
        ...(owner ? { user: owner } : {}),
        reason: "connect",
      };
      rt.presence.upsert(key, answerAs("presence-connect", row, { release: rt.version, clientId: params.client.id }));
    }
    const hello = answerAs("hello-ok", buildHello(rt, this.connId, s), { release: rt.version, runtime: rt, authMethod: s.authMethod });
    this.sendRaw(JSON.stringify({ type: "res", id, ok: true, payload: hello }));
    rt.broadcaster.add(this);
    if (s.role === "node") this.registerNode(params, s);
    // Then, as the legacy's seq 1 and 2: the presence change, and the health refresh it does after every connect.
    if (this.presenceKey) rt.broadcastPresence();
    rt.refreshHealth();
    this.log?.info({ client: params.client.id, mode: params.client.mode, role: s.role, scopes: s.scopes.length, auth: s.authMethod, device: s.deviceId ? s.deviceId.slice(0, 12) : undefined }, "connected");
    const early = this.early;
    this.early = undefined;
    for (const frame of early ?? []) void this.onRequest(frame, this.caller);
  }

  private async onRequest(parsed: unknown, caller: CallerInfo, prechecked?: ParamsPrecheck): Promise<void> {
    if (!isPlainRequestFrame(parsed)) {
      const { id, error } = invalidFrameError(parsed);
      this.sendRaw(JSON.stringify(errorResponse(id, error)));
      return;
    }
    if (parsed.method === ACTIVITY_NOTICE_METHOD && this.fromProxy(parsed.params)) {
      this.onActivityNotice(parsed.id);
      return;
    }
    const error = await this.host.pipeline.run(parsed, caller, this, prechecked);
    if (error?.message.startsWith("unauthorized role:")) {
      this.unauthorizedCount++;
      if (this.unauthorizedCount > UNAUTHORIZED_CLOSE_AFTER) {
        this.log?.warn({ count: this.unauthorizedCount, method: clipForLog(parsed.method) }, "repeated unauthorized calls");
        queueMicrotask(() => this.close(CloseCodes.POLICY_VIOLATION, CloseReasons.repeatedUnauthorized));
      }
    } else this.unauthorizedCount = 0;
    this.log?.debug({ id: clipForLog(parsed.id), method: clipForLog(parsed.method), ok: !error, code: error?.code }, "res");
  }

  /**
   * The proxy's activity notice (protocol/activity-notice.ts) is taken only on a socket from a trusted-proxy
   * address and with the proof under hanzod's own token; anything else with that name goes down the
   * pipeline and is answered as the unknown method it is for clients.
   */
  private fromProxy(params: unknown): boolean {
    const token = this.host.runtime.opts.auth.token;
    if (!token || !this.peer.remoteIsTrustedProxy) return false;
    const proof = typeof params === "object" && params !== null ? (params as { proof?: unknown }).proof : undefined;
    return typeof proof === "string" && secretsEqual(proof, activityNoticeProof(token));
  }

  /**
   * The legacy accepted this client's human activity (a `session.typing` with `typing: true`, which it
   * serves): stamp this connection's person as its recordClientPresenceActivity would, with the presence
   * snapshot it sends when one is due. A connection that is not a person's records nothing.
   */
  private onActivityNotice(id: string): void {
    const rt = this.host.runtime;
    if (this.inPerson && this.presenceKey !== undefined && rt.presence.recordActivity(this.presenceKey)) rt.broadcastPresence();
    this.sendRaw(JSON.stringify({ type: "res", id, ok: true, payload: {} }));
  }

  /**
   * Listed in presence: not ephemeral clients, and not the hanzonode proxy's own legs (their client is
   * listed by the backend that owns its handshake, as the legacy leaves out the proxy's backend-mode legs).
   */
  private tracksPresence(params: ConnectParamsShape, s: AcceptedSession): boolean {
    return !isEphemeralClient(params.client.mode) && s.authMethod !== "proxy-leg";
  }

  /**
   * A node-role connection enters the live node registry under its device id (else its client id, the
   * legacy's key), with what its connect declared; the approved surface is applied when read.
   */
  private registerNode(params: ConnectParamsShape, s: AcceptedSession): void {
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    this.host.runtime.nodes.register({
      nodeId: s.deviceId ?? params.client.id,
      connId: this.connId,
      clientId: params.client.id,
      clientMode: params.client.mode,
      displayName: params.client.displayName,
      platform: params.client.platform,
      version: params.client.version,
      coreVersion: text(params.coreVersion),
      uiVersion: text(params.uiVersion),
      deviceFamily: params.client.deviceFamily,
      modelIdentifier: params.client.modelIdentifier,
      // The legacy records the client's address for a remote node only (loopback reads as none).
      ...(this.peer.isLocalClient || isLoopbackAddress(this.peer.clientIp) ? {} : { remoteIp: this.peer.clientIp }),
      declaredCaps: strings(params.caps),
      declaredCommands: strings(params.commands),
      permissions: params.permissions,
      pathEnv: text(params.pathEnv),
      connectedAtMs: Date.now(),
      send: (frame) => {
        if (this.closed) return false;
        this.sendRaw(frame);
        return true;
      },
    });
  }

  private onClose(): void {
    this.closed = true;
    inboundBudget.release(this);
    clearTimeout(this.handshakeTimer);
    this.stopKeepalive?.();
    this.aborter?.abort();
    const rt = this.host.runtime;
    rt.broadcaster.remove(this);
    if (this.countedDevice) {
      rt.deviceConnections.delete(this.countedDevice, this);
      this.countedDevice = undefined;
    }
    rt.presence.dropViewers(this.connId);
    if (this.presenceKey) {
      if (this.inPerson) rt.presence.leavePerson(this.presenceKey);
      // The legacy's disconnect upsert clears the row's declared viewers too (its row stays, without them).
      rt.presence.upsert(this.presenceKey, { reason: "disconnect", watchedSessions: undefined });
      rt.broadcastPresence();
    }
    if (this.session?.role === "node") rt.nodes.unregister(this.connId);
    this.host.onClosed(this);
    this.log?.debug("ws closed");
  }
}
