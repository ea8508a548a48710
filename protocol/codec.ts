/**
 * decode/encode for wire frames. The hot path only checks the discriminator and the fields routing
 * needs (id, method, event); full contract validation is `validators.ts`, used off the hot path.
 */
import type { Frame } from "./frames.js";

export type DecodeFailure =
  | { kind: "not-json"; message: string }
  | { kind: "not-object"; message: string }
  | { kind: "bad-frame"; message: string };

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; failure: DecodeFailure };

function fail(kind: DecodeFailure["kind"], message: string): DecodeResult {
  return { ok: false, failure: { kind, message } };
}

/** What `ws` hands a message listener (string, Buffer, fragments or ArrayBuffer), as UTF-8 text. */
export function wsDataToText(data: string | Buffer | ArrayBuffer | Buffer[]): string {
  if (typeof data === "string") return data;
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");
}

export type JsonResult = { ok: true; value: unknown } | { ok: false; failure: DecodeFailure };

/**
 * A message's text as JSON, before any frame check. For a server that answers shape errors itself, as the
 * legacy does (hanzod); everyone else wants `decodeFrame`.
 */
export function decodeJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, failure: { kind: "not-json", message: (err as Error).message } };
  }
}

export function decodeFrame(data: string | Buffer | ArrayBuffer | Buffer[]): DecodeResult {
  const json = decodeJson(wsDataToText(data));
  if (!json.ok) return json;
  const value = json.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return fail("not-object", "frame is not a JSON object");
  const frame = value as Record<string, unknown>;
  switch (frame.type) {
    case "req":
      if (typeof frame.id !== "string" || frame.id.length === 0) return fail("bad-frame", "req frame needs a non-empty string id");
      if (typeof frame.method !== "string" || frame.method.length === 0) return fail("bad-frame", "req frame needs a non-empty string method");
      return { ok: true, frame: value as Frame };
    case "res":
      if (typeof frame.id !== "string" || frame.id.length === 0) return fail("bad-frame", "res frame needs a non-empty string id");
      if (typeof frame.ok !== "boolean") return fail("bad-frame", "res frame needs a boolean ok");
      return { ok: true, frame: value as Frame };
    case "event":
      if (typeof frame.event !== "string" || frame.event.length === 0) return fail("bad-frame", "event frame needs a non-empty string event");
      return { ok: true, frame: value as Frame };
    default:
      return fail("bad-frame", `unknown frame type: ${String(frame.type)}`);
  }
}

/** The frame, or undefined when the data is not one (for callers that only act on well-formed frames). */
export function decodeFrameOrUndefined(data: string | Buffer): Frame | undefined {
  const d = decodeFrame(data);
  return d.ok ? d.frame : undefined;
}

export function encodeFrame(frame: Frame): string {
  return JSON.stringify(frame);
}

/** Byte length of a WS message as the peer's maxPayload check sees it. */
export function messageByteLength(data: string | Buffer | ArrayBuffer | Buffer[]): number {
  if (typeof data === "string") return Buffer.byteLength(data);
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}
