/**
 * Judges stored comparisons against the learned noise: per method, how many shadow calls matched
 * once noise is discounted, and which paths differ how often. Shared by the report and the gates so
 * both always agree.
 */
import { decodeSignature, OVERFLOW_KIND } from "../noise/signature.js";
import type { NoiseModel } from "../noise/model.js";
import type { SignatureGroup } from "../store/diff-store.js";
import { NO_ANSWER_KIND } from "../shadow/observation.js";

export interface PathStat {
  path: string;
  kind: string;
  /** Comparisons that differed at this path (pattern). */
  count: number;
  /** count / comparisons of the method or event (the report's shadowCalls / compared), 0..1. */
  rate: number;
  /** Legacy-vs-legacy difference rate at this path, 0..1; 0 when none learned. */
  noiseRate: number;
  /** True when the difference is explained by learned noise and does not count. */
  discounted: boolean;
}

export interface MethodComparisons {
  method: string;
  calls: number;
  /** Comparisons without any difference (before noise is discounted). */
  exactMatches: number;
  /** Comparisons whose every difference was discounted as noise (includes exact matches). */
  matchesAfterNoise: number;
  /** The second side never answered. */
  noAnswer: number;
  expectedErrors: number;
  actualErrors: number;
  /** Sorted by count, descending; discounted paths included (flagged). */
  paths: PathStat[];
}

export function analyzeGroups(groups: readonly SignatureGroup[], noise: NoiseModel | undefined): Map<string, MethodComparisons> {
  const byMethod = new Map<string, SignatureGroup[]>();
  for (const g of groups) {
    const list = byMethod.get(g.method);
    if (list) list.push(g);
    else byMethod.set(g.method, [g]);
  }
  const out = new Map<string, MethodComparisons>();
  for (const [method, list] of byMethod) out.set(method, analyzeMethod(method, list, noise));
  return out;
}

function analyzeMethod(method: string, groups: readonly SignatureGroup[], noise: NoiseModel | undefined): MethodComparisons {
  const calls = groups.reduce((n, g) => n + g.count, 0);
  const decoded = groups.map((g) => ({ group: g, entries: decodeSignature(g.signature) }));
  const counts = new Map<string, { path: string; kind: string; count: number }>();
  for (const { group, entries } of decoded) {
    for (const e of entries) {
      const key = `${e.kind}\t${e.path}`;
      const c = counts.get(key);
      if (c) c.count += group.count;
      else counts.set(key, { path: e.path, kind: e.kind, count: group.count });
    }
  }
  const stats = new Map<string, PathStat>();
  for (const [key, c] of counts) {
    const rate = calls === 0 ? 0 : c.count / calls;
    const neverNoise = c.kind === NO_ANSWER_KIND || c.kind === OVERFLOW_KIND;
    const judged = noise && !neverNoise ? noise.judge(method, { path: c.path, kind: c.kind }, rate) : { discounted: false, noiseRate: 0 };
    stats.set(key, { path: c.path, kind: c.kind, count: c.count, rate, noiseRate: judged.noiseRate, discounted: judged.discounted });
  }
  let exactMatches = 0;
  let matchesAfterNoise = 0;
  let noAnswer = 0;
  let expectedErrors = 0;
  let actualErrors = 0;
  for (const { group, entries } of decoded) {
    if (entries.length === 0) exactMatches += group.count;
    if (entries.every((e) => stats.get(`${e.kind}\t${e.path}`)?.discounted === true)) matchesAfterNoise += group.count;
    noAnswer += group.failures;
    expectedErrors += group.expectedErrors;
    actualErrors += group.actualErrors;
  }
  const paths = [...stats.values()].sort((a, b) => b.count - a.count || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { method, calls, exactMatches, matchesAfterNoise, noAnswer, expectedErrors, actualErrors, paths };
}
