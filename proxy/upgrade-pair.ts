/**
 * Opening BOTH client-header legs for one upgrade, used when auth and nodes are owned by different
 * backends: the client's role is only known from its `connect`, so each backend must be ready to verify
 * the same device proof. Legacy is opened first and its challenge nonce is asserted to hanzod (with an
 * HMAC proof under hanzod's token, see protocol/challenge-assertion.ts), so the one challenge the client
 * signs is valid on whichever socket its connect goes to.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type WebSocket from "ws";
import { CHALLENGE_NONCE_HEADER, CHALLENGE_PROOF_HEADER, challengeProof, decodeFrame } from "../protocol/index.js";
import type { Backend } from "./tap.js";
import { openUpstreamLeg, refuseUpgrade, reportOutcome, type OpenedLeg, type UpstreamSocketOptions } from "./upgrade.js";
import type { UpstreamReporter } from "./upstream-health.js";

export interface OpenedPair {
  /** Undefined when legacy was unreachable and hanzod owns auth: operators go on, a node's connect is refused. */
  legacy: OpenedLeg | undefined;
  /** Undefined when hanzod could not be opened but does not own auth (legacy can still serve operators). */
  hanzod: OpenedLeg | undefined;
  /** The nonce of legacy's challenge, asserted to hanzod (undefined when legacy sent none in time). */
  nonce: string | undefined;
}

export interface PairTargets {
  legacyUrl: string;
  hanzodUrl: string;
  /** hanzod's token, the key of the nonce proof; without it hanzod keeps its own nonce. */
  hanzodToken: string | undefined;
  /** Whose refusal the client gets when hanzod refuses: only the auth owner's matters to every client. */
  authOwner: Backend;
  reporter: UpstreamReporter;
}

/** The `connect.challenge` nonce in a frame, if that is what the frame is. */
export function challengeNonceOf(data: Buffer, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  const d = decodeFrame(data);
  if (!d.ok || d.frame.type !== "event" || d.frame.event !== "connect.challenge") return undefined;
  const nonce = (d.frame.payload as { nonce?: unknown } | undefined)?.nonce;
  return typeof nonce === "string" ? nonce : undefined;
}

/**
 * Opens legacy then hanzod; answers the client itself (refusal relayed, 502) and resolves undefined when
 * the connection cannot go on, exactly as a single auth leg would.
 */
export async function openLegPair(req: IncomingMessage, clientSocket: Duplex, targets: PairTargets, opts: UpstreamSocketOptions): Promise<OpenedPair | undefined> {
  const legacy = await openUpstreamLeg(targets.legacyUrl, req, clientSocket, opts);
  reportOutcome(targets.reporter, "legacy", legacy);
  if (legacy.kind === "client-gone") return undefined;
  if (legacy.kind === "failed" && targets.authOwner === "hanzod") return openHanzodAlone(req, clientSocket, targets, opts);
  if (legacy.kind !== "open") {
    refuseUpgrade(clientSocket, legacy, "legacy");
    return undefined;
  }
  const nonce = await firstChallengeNonce(legacy.leg, opts.handshakeTimeoutMs);
  const assert: Record<string, string> =
    nonce !== undefined && targets.hanzodToken ? { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(targets.hanzodToken, nonce) } : {};
  const hanzod = await openUpstreamLeg(targets.hanzodUrl, req, clientSocket, opts, assert);
  reportOutcome(targets.reporter, "hanzod", hanzod);
  if (hanzod.kind === "open") return { legacy: legacy.leg, hanzod: hanzod.leg, nonce };
  if (hanzod.kind === "client-gone" || targets.authOwner === "hanzod") {
    legacy.leg.upstream.terminate();
    if (hanzod.kind !== "client-gone") refuseUpgrade(clientSocket, hanzod, "hanzod");
    return undefined;
  }
  if (hanzod.kind === "refused") hanzod.res.destroy();
  return { legacy: legacy.leg, hanzod: undefined, nonce };
}

/**
 * Legacy unreachable while hanzod owns auth: an operator does not need the legacy to connect (its
 * legacy-routed calls get the legacy's retryable UNAVAILABLE), so the upgrade goes on with hanzod's own
 * challenge; only a node, whose connect the legacy owns, is refused, at its connect.
 */
async function openHanzodAlone(req: IncomingMessage, clientSocket: Duplex, targets: PairTargets, opts: UpstreamSocketOptions): Promise<OpenedPair | undefined> {
  const hanzod = await openUpstreamLeg(targets.hanzodUrl, req, clientSocket, opts);
  reportOutcome(targets.reporter, "hanzod", hanzod);
  if (hanzod.kind === "open") return { legacy: undefined, hanzod: hanzod.leg, nonce: undefined };
  if (hanzod.kind !== "client-gone") refuseUpgrade(clientSocket, hanzod, "hanzod");
  return undefined;
}

/** Waits for the backend's first frame (the challenge, sent right after the upgrade) and reads its nonce. */
function firstChallengeNonce(leg: OpenedLeg, timeoutMs: number): Promise<string | undefined> {
  const first = leg.early[0];
  if (first !== undefined) return Promise.resolve(challengeNonceOf(first.data, first.isBinary));
  if (leg.closed !== undefined) return Promise.resolve(undefined);
  const ws: WebSocket = leg.upstream;
  return new Promise((resolve) => {
    const done = (nonce: string | undefined): void => {
      clearTimeout(timer);
      ws.off("message", onMessage);
      ws.off("close", onClose);
      resolve(nonce);
    };
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => done(challengeNonceOf(data as Buffer, isBinary));
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    ws.on("message", onMessage);
    ws.on("close", onClose);
  });
}
