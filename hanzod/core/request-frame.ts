/**
 * What a request frame must look like before the pipeline sees it, and the legacy's answer when it does
 * not. Pure functions of the value: the off-thread intake (./intake) runs them on a worker too.
 */
import { Errors } from "../../protocol/errors.js";
import type { ErrorShape } from "../../protocol/frames.js";
import { validateDefinition } from "../../protocol/validators.js";
import { formatIssues as formatIssuesFor } from "./handshake/validation.js";

export interface RequestFrameLike {
  type: "req";
  id: string;
  method: string;
  params?: unknown;
}

const FRAME_KEYS = new Set(["type", "id", "method", "params", "traceparent", "expectedProfileId"]);

/** Cheap structural check for the common case; the contract validator only runs to explain a failure. */
export function isPlainRequestFrame(v: unknown): v is RequestFrameLike {
  if (typeof v !== "object" || v === null) return false;
  const f = v as Record<string, unknown>;
  if (f.type !== "req" || typeof f.id !== "string" || f.id.length === 0 || typeof f.method !== "string" || f.method.length === 0) return false;
  for (const k in f) if (!FRAME_KEYS.has(k)) return false;
  if (f.traceparent !== undefined && (typeof f.traceparent !== "string" || f.traceparent.length > 128)) return false;
  return true;
}

export function invalidFrameError(v: unknown): { id: string; error: ErrorShape } {
  const outcome = validateDefinition("RequestFrame", v);
  const id = typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" ? (v as { id: string }).id : "invalid";
  return { id, error: Errors.invalidRequestFrame(formatIssuesFor(outcome.issues)) };
}
