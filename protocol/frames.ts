/** Wire frame types, straight from the generated contract types. */
import type { RequestFrame, ResponseFrame, EventFrame, ErrorShape } from "./generated/contract-types.js";

export type { RequestFrame, ResponseFrame, EventFrame, ErrorShape };
export type Frame = RequestFrame | ResponseFrame | EventFrame;
export type FrameKind = Frame["type"];

/** Direction of a frame relative to the gateway: client-to-server or server-to-client. */
export type Direction = "c2s" | "s2c";

export function isRequest(frame: Frame): frame is RequestFrame {
  return frame.type === "req";
}
export function isResponse(frame: Frame): frame is ResponseFrame {
  return frame.type === "res";
}
export function isEvent(frame: Frame): frame is EventFrame {
  return frame.type === "event";
}

/**
 * An interim answer (`agent`, two-phase approval requests): `ok` with `payload.status: "accepted"`,
 * meaning the work goes on and the final `res` follows on the same id. The one place this rule lives;
 * which methods can answer that way at all is `mayAnswerTwice` (methods.ts, with the method policy).
 */
export function isInterimAnswer(frame: { readonly type?: unknown; readonly ok?: unknown; readonly payload?: unknown }): boolean {
  return frame.type === "res" && frame.ok === true && (frame.payload as { status?: unknown } | null | undefined)?.status === "accepted";
}
