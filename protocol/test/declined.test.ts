import { describe, expect, it } from "vitest";
import { DECLINED_DETAIL_CODE, declinedError, encodeFrame, errorResponse, errorShape, Errors, isDeclinedError, mayBeDeclined } from "../index.js";

const bytes = (error: ReturnType<typeof errorShape>) => Buffer.from(encodeFrame(errorResponse("r1", error)));

describe("a decline", () => {
  it("is the legacy's UNAVAILABLE shape with one detail code, recognized from its bytes and from the error", () => {
    const error = declinedError("hanzod does not serve users.list as 2026.9.9 yet; route this call to the legacy gateway");
    expect(error).toEqual({ code: "UNAVAILABLE", message: expect.stringMatching(/^hanzod does not serve/), details: { code: DECLINED_DETAIL_CODE } });
    expect(isDeclinedError(error)).toBe(true);
    expect(mayBeDeclined(bytes(error))).toBe(true);
  });

  it("is not any other UNAVAILABLE, nor another code carrying the detail", () => {
    for (const other of [Errors.backendUnavailable("hanzod is not reachable"), errorShape("UNAVAILABLE", "The mention Inbox is unavailable. Reconnect to retry.", undefined, { retryable: true })]) {
      expect(isDeclinedError(other)).toBe(false);
      expect(mayBeDeclined(bytes(other))).toBe(false);
    }
    // Only hanzod declines, and only with UNAVAILABLE: a forbidden answer with the same detail is not one.
    expect(isDeclinedError(errorShape("FORBIDDEN", "missing scope: operator.admin", { code: DECLINED_DETAIL_CODE }))).toBe(false);
    expect(isDeclinedError(errorShape("UNAVAILABLE", "x", { code: "OTHER" }))).toBe(false);
    expect(isDeclinedError(undefined)).toBe(false);
  });
});
