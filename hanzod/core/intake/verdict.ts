/**
 * What hanzod makes of one frame received after hello, before the pipeline: JSON, then the request
 * frame's shape, then its params against the contract window. A pure function of the text, so the same
 * code runs inline and on the intake worker (off-thread.ts).
 *
 * Params travel with the verdict only when the window accepted them (or a contract method has no params
 * definition) and the frame is under PARAMS_LEFT_BEHIND_CHARS: a hostile frame's huge params are then never
 * rebuilt on the main thread; a stage that still needs them (a handler-checked method, a scope computed from
 * params) reparses the frame there.
 */
// Module by module, not the protocol barrel: the intake worker loads only what judging a frame needs.
import { decodeJson } from "../../../protocol/codec.js";
import { methodPolicy } from "../../../protocol/methods.js";
import { validateParamsInWindow } from "../../../protocol/window.js";
import type { ErrorShape } from "../../../protocol/frames.js";
import { invalidFrameError, isPlainRequestFrame, type RequestFrameLike } from "../request-frame.js";
import type { ParamsPrecheck } from "../pipeline.js";

export type FrameVerdict =
  /** Not JSON: after hello the legacy ignores the frame. */
  | { kind: "not-json" }
  | { kind: "invalid-frame"; id: string; error: ErrorShape }
  /** `frame.params` is absent when `paramsShipped` is false (see the header). */
  | { kind: "request"; frame: RequestFrameLike; paramsShipped: boolean; prechecked: ParamsPrecheck | undefined };

export function judgeFrame(text: string, compat: string): FrameVerdict {
  const json = decodeJson(text);
  if (!json.ok) return { kind: "not-json" };
  const value = json.value;
  if (!isPlainRequestFrame(value)) return { kind: "invalid-frame", ...invalidFrameError(value) };
  // Only the method table's names are looked up: a client's unknown method name is never memoized here.
  if (methodPolicy(value.method) === undefined) return withoutParams(value, undefined);
  const prechecked: ParamsPrecheck = { compat, verdict: validateParamsInWindow(value.method, value.params ?? {}, compat) };
  if (prechecked.verdict !== undefined && !prechecked.verdict.valid) return withoutParams(value, prechecked);
  // Accepted but large: left behind too, read from the text only if a stage asks (issue 16: a method that
  // accepts any params, such as system-presence with 40,000 keys, otherwise rebuilt them on the main heap for
  // a handler that never reads them; a handler that does pays one parse instead of one clone).
  if (text.length >= PARAMS_LEFT_BEHIND_CHARS) return withoutParams(value, prechecked);
  return { kind: "request", frame: value, paramsShipped: true, prechecked };
}

/** Frames of this many characters or more keep their params in their text even when accepted. */
export const PARAMS_LEFT_BEHIND_CHARS = 256 * 1024;

/**
 * The same verdict with its params left behind (the main thread reads them from the frame's text if a
 * stage needs them): for params the worker cannot hand back, such as nesting deeper than a structured
 * clone can walk (it recurses; JSON.parse does not).
 */
export function withParamsLeftBehind(verdict: FrameVerdict): FrameVerdict {
  return verdict.kind === "request" && verdict.paramsShipped ? withoutParams(verdict.frame, verdict.prechecked) : verdict;
}

function withoutParams(frame: RequestFrameLike, prechecked: ParamsPrecheck | undefined): FrameVerdict {
  const bare: RequestFrameLike = { type: "req", id: frame.id, method: frame.method };
  const rest = frame as RequestFrameLike & { traceparent?: unknown; expectedProfileId?: unknown };
  if (rest.traceparent !== undefined) (bare as typeof rest).traceparent = rest.traceparent;
  if (rest.expectedProfileId !== undefined) (bare as typeof rest).expectedProfileId = rest.expectedProfileId;
  return { kind: "request", frame: bare, paramsShipped: false, prechecked };
}

/** Gives a frame whose params stayed behind a `params` read on first use, from the frame's own text. */
export function withDeferredParams(frame: RequestFrameLike, text: () => string): RequestFrameLike {
  let params: unknown;
  let read = false;
  return Object.defineProperty(frame, "params", {
    enumerable: true,
    get(): unknown {
      if (!read) {
        read = true;
        const json = decodeJson(text());
        params = json.ok ? (json.value as { params?: unknown }).params : undefined;
      }
      return params;
    },
  });
}
