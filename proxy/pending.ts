/** One client request the proxy forwarded and still owes an answer for. */
import { loadRelease, methodPolicy, windowReleases } from "../protocol/index.js";
import type { Backend } from "./tap.js";
import type { LegKey } from "./leg.js";
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";

/** Where a copy of the request goes once the client has its answer. */
export type ShadowMode = "none" | "hanzod" | "isolated";

export interface Pending {
  leg: LegKey;
  method: string;
  sentAt: number;
  shadow: ShadowMode;
  fallback: boolean;
  /** The request bytes, kept while hanzod may decline or fail it, or a shadow copy needs them. */
  data: Buffer | undefined;
  /** The id the request carries upstream when the proxy had to alias the client's (see LateAnswers). */
  upstreamId?: string;
  /** performance.now() after which a hanzod answer is given up on; 0 = no deadline (legacy, or hanzod said "accepted"). */
  deadline: number;
  /** A connection-state call's copy on the other backend (mirror.ts), compared once the client has its answer. */
  mirror?: Promise<BackendAnswer | BackendFailure>;
  /** A list call's copy on the legacy, merged into hanzod's answer (merged-list.ts). */
  merge?: Promise<BackendAnswer | BackendFailure>;
  /** A `session.typing` with `typing: true` of a hanzod-auth session: the legacy's ok answer is the client's activity (activity.ts). */
  activity?: true;
}

/** A client cannot hold more requests open than this; more get a retryable UNAVAILABLE. */
export const MAX_PENDING = 10_000;

export function backendOf(key: LegKey): Backend {
  return key === "legacy" ? "legacy" : "hanzod";
}

let windowMethods: ReadonlySet<string> | undefined;

/** Every method of a release in the supported window (the pinned contract's and newer ones), read once. */
function inWindowMethods(): ReadonlySet<string> {
  return (windowMethods ??= new Set(windowReleases().flatMap((r) => Object.keys(loadRelease(r).methods))));
}

/**
 * Metric label for a method: a method of the pinned contract or of any release in the supported window is
 * labelled by its name (a fixed, finite set); any other name a client sends collapses into "(unknown)", so
 * clients cannot grow the series (issue 16).
 */
export function methodLabel(method: string): string {
  return methodPolicy(method) !== undefined || method === "connect" || inWindowMethods().has(method) ? method : "(unknown)";
}
