/**
 * Issue 16 finding 1: error text built from hostile input. De-duplication is a Set (the old
 * `Array.includes` made 7,000 unknown keys cost 24 M string compares), and what is echoed back is
 * bounded: each property name or path to MAX_ECHO_CHARS, the whole text to MAX_ISSUES_TEXT. Small
 * inputs keep the legacy's exact words (wire-parity.test.ts compares those against the real legacy).
 */
import { describe, expect, it } from "vitest";
import { validateDefinition } from "../../protocol/index.js";
import { classifyFirstFrame, formatIssues, MAX_ECHO_CHARS, MAX_ISSUES_TEXT } from "../core/handshake/validation.js";
import { connectFrame, isRes, openRaw, useTestHanzod } from "./helpers.js";

const hz = useTestHanzod();

function keys(n: number): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  return o;
}

function connectWith(extra: Record<string, unknown>): unknown {
  const f = connectFrame({ auth: { token: "x" } });
  return { ...f, params: { ...(f.params as Record<string, unknown>), ...extra } };
}

describe("validation text from hostile input", () => {
  it("names a few unknown properties exactly as the legacy does", () => {
    const v = classifyFirstFrame(connectWith({ a: 1, b: 2 }));
    expect(v).toMatchObject({ kind: "reject", error: { message: "invalid connect params: at root: unexpected property 'a'; at root: unexpected property 'b'" } });
  });

  it("1,500 unknown keys are listed up to the cap, then counted", () => {
    const outcome = validateDefinition("ConnectParams", { ...(connectWith({}) as { params: object }).params, ...keys(1_500) });
    expect(outcome.issues.length).toBe(1_500);
    const text = formatIssues(outcome.issues);
    expect(text.length).toBeLessThanOrEqual(MAX_ISSUES_TEXT + 32);
    expect(text).toMatch(/^at root: unexpected property 'k0'; at root: unexpected property 'k1'; /);
    expect(text).toMatch(/; … \(\d+ more\)$/);
  });

  it("40,000 unknown keys are refused by their first error alone (listing them all would stall the process)", () => {
    const outcome = validateDefinition("ConnectParams", { ...(connectWith({}) as { params: object }).params, ...keys(40_000) });
    expect(outcome.valid).toBe(false);
    expect(formatIssues(outcome.issues)).toBe("at root: unexpected property 'k0'");
  });

  it("a 1 MB property name or path is echoed cut, not whole", () => {
    const huge = "(".repeat(1 << 20);
    const top = classifyFirstFrame(connectWith({ [huge]: 1 }));
    const nested = classifyFirstFrame(connectWith({ client: { id: "x", version: "1", platform: "p", mode: "cli", [huge]: true } }));
    for (const v of [top, nested]) {
      expect(v.kind).toBe("reject");
      const message = v.kind === "reject" ? v.error.message : "";
      expect(message.length).toBeLessThan(MAX_ECHO_CHARS * 3 + 64);
      expect(message).toContain(`'${"(".repeat(MAX_ECHO_CHARS)}…'`);
    }
  });

  it("hanzod answers a connect with 5,000 unknown keys with the bounded text and closes 1008", async () => {
    const s = await openRaw(hz.url);
    const params: Record<string, number> = {};
    for (let i = 0; i < 5_000; i++) params[`k${i}`] = i;
    // As many keys as fit under the 64 KiB pre-auth limit (a bigger frame is closed 1009 unread).
    const frame = JSON.stringify(connectWith(params));
    expect(frame.length).toBeLessThan(65_536);
    s.sendText(frame);
    const res = await s.next(isRes("c1"));
    const message = (res.error as { message: string }).message;
    expect(message.length).toBeLessThanOrEqual(MAX_ISSUES_TEXT + 64);
    expect(await s.closed).toMatchObject({ code: 1008 });
  });
});
