/** The gates' statistics against published values, and the weighted (binned) path against brute force. */
import { describe, expect, it } from "vitest";
import { Distribution, hodgesLehmann, kthDifference, wilson, zFor } from "../stats.js";

describe("normal quantile (@stdlib)", () => {
  it("gives the textbook z values", () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 6);
    expect(zFor(0.9)).toBeCloseTo(1.644854, 6);
    expect(zFor(0.99)).toBeCloseTo(2.575829, 6);
    expect(() => zFor(1)).toThrow(RangeError);
  });
});

describe("Hodges-Lehmann shift and Moses interval", () => {
  // Hollander & Wolfe's example as published with SAS PROC NPAR1WAY HL (refclass B): location shift
  // (A - B) 0.5600, asymptotic (Moses) 95 % limits -0.3700 .. 1.1830.
  const a = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

  it("matches the published estimate and limits", () => {
    const r = hodgesLehmann(Distribution.of(b), Distribution.of(a), 0.95)!;
    expect(r.estimate).toBeCloseTo(0.56, 10);
    expect(r.low).toBeCloseTo(-0.37, 10);
    expect(r.high).toBeCloseTo(1.183, 10);
    // U of A over B: 58 (the rank-sum statistic minus n(n+1)/2), as every textbook table has it.
    expect(r.u).toBe(58);
  });

  it("k-th difference equals the brute-force order statistic, for exact and weighted samples", () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const x = Array.from({ length: 37 }, () => Math.round(rand() * 50) / 10);
    const y = Array.from({ length: 23 }, () => Math.round(rand() * 50) / 10 + 0.3);
    const all = x.flatMap((xi) => y.map((yj) => yj - xi)).sort((p, q) => p - q);
    const dx = Distribution.of(x);
    const dy = Distribution.of(y);
    for (const k of [1, 2, 100, 425, 426, 850, all.length]) expect(kthDifference(dx, dy, k)).toBeCloseTo(all[k - 1]!, 12);
    // The same sample given as (value, count) pairs gives the same differences.
    const counts = (v: number[]): Array<[number, number]> => [...v.reduce((m, e) => m.set(e, (m.get(e) ?? 0) + 1), new Map<number, number>())];
    expect(kthDifference(Distribution.weighted(counts(x)), Distribution.weighted(counts(y)), 425)).toBeCloseTo(all[424]!, 12);
  });

  it("large samples are merged into fine log bins: every sample keeps its weight, the shift stays within the bin width", () => {
    const x = Array.from({ length: 60_000 }, (_, i) => 1 + (i % 1000) / 100 + i / 1e6);
    const y = x.map((v) => v * 0.8);
    const dx = Distribution.of(x);
    expect(dx.n).toBe(60_000);
    expect(dx.values.length).toBeLessThan(10_000);
    const r = hodgesLehmann(dx, Distribution.of(y), 0.95)!;
    // Every pair is y_j - x_i; the shift of a 20 % faster copy of x: the median difference is known from x itself.
    const med = [...x].sort((a, b) => a - b)[30_000]!;
    expect(r.estimate).toBeLessThan(0);
    expect(Math.abs(r.estimate) / med).toBeLessThan(0.3);
    expect(r.low!).toBeLessThanOrEqual(r.estimate);
    expect(r.high!).toBeGreaterThanOrEqual(r.estimate);
  });

  it("has no interval when the samples are too small for the confidence", () => {
    const r = hodgesLehmann(Distribution.of([1, 2]), Distribution.of([3, 4]), 0.95)!;
    expect(r.estimate).toBe(2);
    expect(r.low).toBeNull();
  });

  it("the upper tail keeps exactly the slowest share of the weight", () => {
    const d = Distribution.of(Array.from({ length: 100 }, (_, i) => i + 1));
    const t = d.upperTail(0.1);
    expect(t.n).toBe(10);
    expect(t.values[0]).toBe(91);
    expect(d.quantile(0.5)).toBe(50);
  });
});

describe("Wilson score interval", () => {
  // Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (score, no continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])("%i/%i -> %f .. %f", (k, n, low, high) => {
    const w = wilson(k, n, 0.95)!;
    expect(w.low).toBeCloseTo(low, 4);
    expect(w.high).toBeCloseTo(high, 4);
  });
});
