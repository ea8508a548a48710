/**
 * hanzod's way of saying "this call is the legacy's to answer": a method hanzod declares but cannot yet
 * answer exactly as the legacy would in the state at hand (a config it cannot resolve, a row it cannot
 * project, a release it does not know). A client never sees it behind the proxy: the proxy hands the
 * same request to the legacy, whose answer the client gets. Only a client talking to hanzod directly sees
 * it, as the legacy-shaped UNAVAILABLE with one detail code.
 *
 * One rule, here: hanzod builds the shape with `declinedError`, the proxy recognizes it with
 * `mayBeDeclined` (bytes, cheap) and `isDeclinedError` (the decoded error).
 */
import { errorShape } from "./errors.js";
import type { ErrorShape } from "./frames.js";

export const DECLINED_DETAIL_CODE = "HANZOD_DECLINED";
const DECLINED_BYTES = Buffer.from(`"code":"${DECLINED_DETAIL_CODE}"`);

/** A decline is made before any side effect: whoever answers the same request next answers it first. */
export function declinedError(message: string): ErrorShape {
  return errorShape("UNAVAILABLE", message, { code: DECLINED_DETAIL_CODE });
}

export function isDeclinedError(error: ErrorShape | undefined): boolean {
  if (error?.code !== "UNAVAILABLE") return false;
  const details = error.details;
  return typeof details === "object" && details !== null && (details as { code?: unknown }).code === DECLINED_DETAIL_CODE;
}

/** False means certainly not a decline; true means decode and ask `isDeclinedError`. */
export function mayBeDeclined(frame: Buffer): boolean {
  return frame.includes(DECLINED_BYTES);
}
