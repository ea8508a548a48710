/** Hot-path helpers: seq merging, the breaker, the shadow budget (frame sniffing: protocol/test/sniff.test.ts). */
import { describe, expect, it } from "vitest";
import { EventSequencer } from "../sequencer.js";
import { CircuitBreaker } from "../breaker.js";
import { ShadowBudget } from "../shadow-budget.js";
import { methodLabel } from "../pending.js";
import { loadRelease, methodPolicy, releaseMethodRow, windowReleases } from "../../protocol/index.js";

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

describe("ShadowBudget", () => {
  it("copies a burst up to one second's worth, then samples at the rate, per method; 0 is unlimited", () => {
    let now = 0;
    const b = new ShadowBudget(() => now);
    const taken = (method: string, calls: number, rate: number): number => Array.from({ length: calls }, () => b.take(method, rate)).filter(Boolean).length;
    expect(taken("status", 10, 4)).toBe(4);
    expect(taken("health", 3, 4)).toBe(3); // buckets are per method
    now += 500; // half a second refills two tokens
    expect(taken("status", 10, 4)).toBe(2);
    now += 60_000; // a long quiet spell refills one second's worth, not sixty
    expect(taken("status", 10, 4)).toBe(4);
    expect(taken("status", 1000, 0)).toBe(1000);
    // A steady 100 calls/s against a budget of 10/s: one call in ten is copied.
    let copies = 0;
    for (let i = 0; i < 1000; i++) {
      now += 10;
      if (b.take("logs.tail", 10)) copies++;
    }
    expect(copies).toBeGreaterThanOrEqual(108);
    expect(copies).toBeLessThanOrEqual(110);
  });
});

describe("methodLabel (metric label of a request's method)", () => {
  it("names a method of the pinned contract, connect, and a method only a newer release in the window has", () => {
    expect(methodLabel("health")).toBe("health");
    expect(methodLabel("connect")).toBe("connect");
    // mentions.list is 2026.9.6's, newer than the pinned contract: named, not "(unknown)".
    expect(methodPolicy("mentions.list")).toBeUndefined();
    expect(windowReleases().some((r) => releaseMethodRow(r, "mentions.list") !== undefined)).toBe(true);
    expect(methodLabel("mentions.list")).toBe("mentions.list");
    // Every method of every release in the window is labelled by its own name.
    for (const r of windowReleases()) for (const m of Object.keys(loadRelease(r).methods)) expect(methodLabel(m), `${r} ${m}`).toBe(m);
  });

  it("collapses any other client-supplied name into one label (bounded series, issue 16)", () => {
    for (const name of ["no.such.method", "mentions.list ", "MENTIONS.LIST", "__proto__", "constructor", "toString", "", "x".repeat(5000)]) expect(methodLabel(name), name.slice(0, 40)).toBe("(unknown)");
  });
});
