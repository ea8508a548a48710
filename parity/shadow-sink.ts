/**
 * What the proxy hands to the parity side in shadow mode. The proxy only observes and submits; the
 * sink (parity/) compares, learns noise and stores, off the hot path. `submit*` must never block or
 * throw: implementations queue and drop-and-count when full.
 */
import type { ErrorShape } from "../protocol/index.js";

/** One backend's answer to a request (the final `res`; interim "accepted" answers are not compared). */
export interface BackendAnswer {
  ok: boolean;
  payload?: unknown;
  error?: ErrorShape;
  /** Wall time from sending the request on that leg to its final `res`. */
  latencyMs: number;
}

/** The backend did not answer usefully (leg down, timeout, closed). */
export interface BackendFailure {
  failed: string;
  latencyMs: number;
  /**
   * The copy was never sent: its client connection had closed first. Not a comparison, so the proxy
   * drops it instead of submitting a "no answer" that would count against hanzod.
   */
  abandoned?: true;
}

export interface ShadowObservation {
  /**
   * `shadow`: legacy answered the client, hanzod got a copy.
   * `noise-probe`: the same read request sent to legacy twice (expected = first, actual = second),
   * used to learn which paths are noise.
   */
  kind: "shadow" | "noise-probe";
  at: number;
  method: string;
  connectionId: string;
  requestId: string;
  /** Request params with secrets redacted. */
  params?: unknown;
  expected: BackendAnswer;
  actual: BackendAnswer | BackendFailure;
}

export interface ShadowEventObservation {
  at: number;
  connectionId: string;
  backend: "legacy" | "hanzod";
  event: string;
  payload?: unknown;
}

export interface ShadowSink {
  submit(observation: ShadowObservation): void;
  submitEvent(observation: ShadowEventObservation): void;
  /** Latency of every answered request, shadowed or not, for the report's p50/p99 columns. */
  recordLatency(method: string, backend: "legacy" | "hanzod", latencyMs: number, ok: boolean): void;
  close(): Promise<void>;
}
