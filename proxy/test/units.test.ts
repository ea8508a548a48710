/** Hot-path helpers: sniffing routing fields, seq merging, the breaker. */
import { describe, expect, it } from "vitest";
import { sniffRequest, sniffResponse, mayBeInterim } from "../sniff.js";
import { EventSequencer } from "../sequencer.js";
import { CircuitBreaker } from "../breaker.js";

describe("sniffing", () => {
  it("reads id and method / ok from the usual key order and gives up on anything else", () => {
    expect(sniffRequest(Buffer.from('{"type":"req","id":"1:abc","method":"health","params":{}}'))).toEqual({ id: "1:abc", method: "health" });
    expect(sniffRequest(Buffer.from('{"id":"1","type":"req","method":"health"}'))).toBeUndefined();
    expect(sniffRequest(Buffer.from('{"type":"req","id":"a\\"b","method":"health"}'))).toBeUndefined();
    expect(sniffResponse(Buffer.from('{"type":"res","id":"7","ok":false,"error":{}}'))).toEqual({ id: "7", ok: false });
    expect(sniffResponse(Buffer.from('{"type":"event","event":"tick"}'))).toBeUndefined();
    expect(mayBeInterim(Buffer.from('{"type":"res","id":"7","ok":true,"payload":{"runId":"r","status":"accepted"}}'))).toBe(true);
  });
});

describe("EventSequencer", () => {
  it("merges two streams into one monotonic seq, keeps upstream gaps, hides deliberate drops", () => {
    const s = new EventSequencer<"legacy" | "hanzod">();
    expect(s.deliver("legacy", 1)).toBe(1);
    expect(s.deliver("hanzod", 1)).toBe(2);
    s.skip("hanzod", 2); // non-owner event dropped on purpose: no gap
    expect(s.deliver("hanzod", 3)).toBe(3);
    expect(s.deliver("legacy", 2)).toBe(4);
    expect(s.deliver("legacy", 4)).toBe(6); // upstream gap of one kept
    s.reset("hanzod"); // a new hanzod socket numbers from 1 again
    expect(s.deliver("hanzod", 1)).toBe(7);
  });
});

describe("CircuitBreaker", () => {
  it("opens on failure, lets one half-open probe through after the wait, closes on its success", () => {
    const b = new CircuitBreaker(1, 1000);
    expect(b.allow(0)).toBe(true);
    b.failure(0);
    expect(b.allow(500)).toBe(false);
    expect(b.allow(1000)).toBe(true);
    expect(b.current).toBe("half-open");
    expect(b.allow(1001)).toBe(false);
    b.success();
    expect(b.current).toBe("closed");
    expect(b.allow(1002)).toBe(true);
  });
});
