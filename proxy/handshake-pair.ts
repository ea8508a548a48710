/**
 * The step before a ClientSession when auth and nodes are owned by different backends: the client
 * socket and both pre-opened upstream sockets wait together for the client's first frame. The client
 * has legacy's challenge (hanzod's, carrying the same nonce, is dropped), or hanzod's when the legacy
 * was unreachable. A `connect` with role "node" goes to the node owner's socket, anything else to the
 * auth owner's; the other socket is closed unused, and the chosen one becomes the session's auth leg
 * as if it had been the only one. A connect whose socket is missing is refused as unreachable.
 */
import type WebSocket from "ws";
import { encodeFrame, errorResponse, Errors, CloseCodes } from "../protocol/index.js";
import { mirrorClose } from "./close-mirror.js";
import { readConnect } from "./identity.js";
import { sendBatched } from "./send-batch.js";
import type { Backend, ConnectionTap } from "./tap.js";
import type { OpenedLeg } from "./upgrade.js";
import { challengeNonceOf, type OpenedPair } from "./upgrade-pair.js";
import { notReachable } from "./unreachable.js";

type Frame = { data: Buffer; isBinary: boolean };

export interface PairOwners {
  auth: Backend;
  node: Backend;
}

export interface PairHooks {
  /** Hands the chosen socket over: its held frames go to the client after the session took over. */
  startSession(backend: Backend, upstream: WebSocket, early: Frame[], first: Frame): void;
  /** hanzod challenged with a nonce other than legacy's (misconfigured trust or token). */
  nonceNotAdopted(): void;
  onEnd(p: HandshakePair): void;
}

/** One pre-opened upstream socket while the pair waits. */
interface Held {
  backend: Backend;
  leg: OpenedLeg;
  /** Frames to hand to the session if this socket is chosen (the challenge excluded). */
  frames: Frame[];
  sawChallenge: boolean;
  /** The shown backend's challenge, waiting for the client (the other one's is never shown). */
  challenge: Frame | undefined;
  onMessage(data: WebSocket.RawData, isBinary: boolean): void;
  onClose(code: number, reason: Buffer): void;
}

const TEXT = { binary: false } as const;

export class HandshakePair {
  private done = false;
  private readonly nonce: string | undefined;
  /** Whose challenge the client sees: legacy's, unless only hanzod could be opened. */
  private readonly shown: Backend;
  /** Set once the client surely listens: a legacy challenge arriving later is shown at once. */
  private clientListening = false;
  private readonly held: Held[] = [];
  private readonly onClientMessage = (data: WebSocket.RawData, isBinary: boolean): void => this.choose({ data: data as Buffer, isBinary });
  private readonly onClientClose = (code: number, reason: Buffer): void => this.clientGone(code, reason.toString());

  constructor(
    private readonly client: WebSocket,
    pair: OpenedPair,
    private readonly owners: PairOwners,
    private readonly tap: ConnectionTap | undefined,
    private readonly hooks: PairHooks,
  ) {
    this.nonce = pair.nonce;
    this.shown = pair.legacy !== undefined ? "legacy" : "hanzod";
    if (pair.legacy !== undefined) this.hold("legacy", pair.legacy);
    if (pair.hanzod !== undefined) this.hold("hanzod", pair.hanzod);
    client.on("message", this.onClientMessage);
    client.on("close", this.onClientClose);
    client.on("error", () => undefined);
    // Written with our 101 the challenge could reach a client before it attached its listener.
    setImmediate(() => {
      this.clientListening = true;
      this.deliverChallenge();
    });
    const closedAuth = this.held.find((h) => h.backend === owners.auth && h.leg.closed !== undefined);
    if (closedAuth?.leg.closed !== undefined) this.upstreamGone(closedAuth, closedAuth.leg.closed.code, closedAuth.leg.closed.reason);
  }

  /** Proxy shutdown before the client said anything. */
  shutdown(code: number, reason: string): void {
    if (this.done) return;
    mirrorClose(this.client, code, reason);
    this.finish(undefined, code, reason, "proxy");
  }

  private hold(backend: Backend, leg: OpenedLeg): void {
    leg.stopBuffering();
    const h: Held = {
      backend,
      leg,
      frames: [],
      sawChallenge: false,
      challenge: undefined,
      onMessage: (data, isBinary) => this.fromUpstream(h, { data: data as Buffer, isBinary }),
      onClose: (code, reason) => this.upstreamGone(h, code, reason.toString()),
    };
    this.held.push(h);
    for (const f of leg.early) this.fromUpstream(h, f);
    leg.upstream.on("message", h.onMessage);
    leg.upstream.on("close", h.onClose);
  }

  /** The first challenge of each socket is the handshake's (the shown backend's; the other's dropped); the rest is held. */
  private fromUpstream(h: Held, f: Frame): void {
    const nonce = h.sawChallenge ? undefined : challengeNonceOf(f.data, f.isBinary);
    if (nonce !== undefined) {
      h.sawChallenge = true;
      if (h.backend !== this.shown) {
        if (this.nonce !== undefined && nonce !== this.nonce) this.hooks.nonceNotAdopted();
        return;
      }
      h.challenge = f;
      if (this.clientListening) this.deliverChallenge();
      return;
    }
    h.frames.push(f);
  }

  private deliverChallenge(): void {
    if (this.done) return;
    const shown = this.held.find((h) => h.backend === this.shown);
    const challenge = shown?.challenge;
    if (shown === undefined || challenge === undefined) return;
    shown.challenge = undefined;
    this.sendToClient(challenge.data, this.shown);
  }

  private sendToClient(data: Buffer, backend: Backend): void {
    if (this.client.readyState !== this.client.OPEN) return;
    this.tap?.frame("s2c", data, false, backend, Date.now());
    sendBatched(this.client, data, TEXT);
  }

  /** The client's first frame decides which socket its handshake belongs to. */
  private choose(first: Frame): void {
    if (this.done) return;
    // A challenge still queued for delivery must precede whatever the session sends.
    this.deliverChallenge();
    const connect = first.isBinary ? undefined : readConnect(first.data);
    const backend = connect?.params.role === "node" ? this.owners.node : this.owners.auth;
    const chosen = this.held.find((h) => h.backend === backend);
    if (chosen === undefined) {
      // The backend that does not own auth was down at upgrade: hanzod (legacy owns auth), or legacy (a node's connect).
      const why = notReachable(backend);
      this.tap?.frame("c2s", first.data, first.isBinary, undefined, Date.now());
      if (connect !== undefined) this.sendToClient(Buffer.from(encodeFrame(errorResponse(connect.id, Errors.backendUnavailable(why)))), backend);
      mirrorClose(this.client, CloseCodes.TRY_AGAIN_LATER, why);
      this.finish(undefined, CloseCodes.TRY_AGAIN_LATER, why, "proxy");
      return;
    }
    if (chosen.leg.closed !== undefined) {
      const { code, reason } = chosen.leg.closed;
      mirrorClose(this.client, code, reason);
      this.finish(undefined, code, reason, "upstream");
      return;
    }
    this.finish(chosen, 1000, "", undefined);
    this.hooks.startSession(backend, chosen.leg.upstream, chosen.frames, first);
  }

  private upstreamGone(h: Held, code: number, reason: string): void {
    if (this.done) return;
    h.leg.closed ??= { code, reason };
    // The auth owner's socket is every operator's handshake: its close reaches the client as it would
    // directly. The other one only matters if the client turns out to need it.
    if (h.backend !== this.owners.auth) return;
    mirrorClose(this.client, code, reason);
    this.finish(undefined, code, reason, "upstream");
  }

  private clientGone(code: number, reason: string): void {
    if (this.done) return;
    const auth = this.held.find((h) => h.backend === this.owners.auth);
    if (auth !== undefined && auth.leg.closed === undefined) mirrorClose(auth.leg.upstream, code, reason);
    this.finish(undefined, code, reason, "client");
  }

  /** Detaches from everything; closes every socket but `keep` (which the session adopts). */
  private finish(keep: Held | undefined, code: number, reason: string, by: "client" | "upstream" | "proxy" | undefined): void {
    this.done = true;
    this.client.off("message", this.onClientMessage);
    this.client.off("close", this.onClientClose);
    for (const h of this.held) {
      h.leg.upstream.off("message", h.onMessage);
      h.leg.upstream.off("close", h.onClose);
      // Never used for a handshake: closed cleanly, as a client that changed its mind would.
      if (h !== keep && h.leg.upstream.readyState === h.leg.upstream.OPEN) h.leg.upstream.close(1000);
    }
    if (by !== undefined) this.tap?.close(code, reason, by, Date.now());
    this.hooks.onEnd(this);
  }
}
