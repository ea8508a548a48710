/**
 * The normaliser: turns a payload into the value that is actually compared. Ignored paths vanish,
 * type-only paths become one type marker, shape-only paths keep their structure with type markers for
 * scalars, volatile scalars become placeholders, unordered arrays are sorted canonically (and remembered
 * as sets, so the comparator reports added/missing elements), and object keys come out sorted (so
 * JSON.stringify of the result is canonical). Optional paths are not a normalisation: the comparator
 * asks `isOptionalPath` before reporting a missing or extra key.
 */
import { GlobMatcher, parsePointerGlob, type TaggedGlob } from "./glob.js";
import { detectorMask, normalizeKey, normalizeScalar } from "./volatile.js";
import type { NormalizationRules, RuleSet } from "./types.js";

const IGNORE = 1;
const UNORDERED = 2;
const SHAPE_ONLY = 4;
const TYPE_ONLY = 8;
const OPTIONAL = 16;

export interface CompiledRules {
  readonly source: NormalizationRules;
  readonly matcher: GlobMatcher;
  readonly mask: number;
}

const compiledCache = new WeakMap<NormalizationRules, CompiledRules>();

/** Compiles once per rules object (cached by identity), so callers may pass the same rules every call. */
export function compileRules(rules: NormalizationRules | CompiledRules): CompiledRules {
  if (isCompiled(rules)) return rules;
  let c = compiledCache.get(rules);
  if (!c) {
    const globs: TaggedGlob[] = [
      ...(rules.ignore ?? []).map((glob) => ({ glob, tag: IGNORE })),
      ...(rules.unordered ?? []).map((glob) => ({ glob, tag: UNORDERED })),
      ...(rules.shapeOnly ?? []).map((glob) => ({ glob, tag: SHAPE_ONLY })),
      ...(rules.typeOnly ?? []).map((glob) => ({ glob, tag: TYPE_ONLY })),
      ...(rules.optional ?? []).map((glob) => ({ glob, tag: OPTIONAL })),
    ];
    c = { source: rules, matcher: new GlobMatcher(globs), mask: detectorMask(rules.volatile) };
    compiledCache.set(rules, c);
  }
  return c;
}

function isCompiled(r: NormalizationRules | CompiledRules): r is CompiledRules {
  return (r as CompiledRules).matcher instanceof GlobMatcher;
}

function uniq<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])];
}

/**
 * Union of two rule layers. A layer that leaves a list unset inherits the other's; that holds for
 * `volatile` too: unset means "not said here", so `volatile: []` merged with a layer that does not
 * mention detectors stays `[]` (none), and only a result where neither layer set it means "all".
 */
export function mergeRules(a: NormalizationRules, b: NormalizationRules): NormalizationRules {
  const out: NormalizationRules = {};
  const ignore = uniq(a.ignore, b.ignore);
  const unordered = uniq(a.unordered, b.unordered);
  const shapeOnly = uniq(a.shapeOnly, b.shapeOnly);
  const typeOnly = uniq(a.typeOnly, b.typeOnly);
  const optional = uniq(a.optional, b.optional);
  const volatile = uniq(a.volatile, b.volatile);
  if (ignore) out.ignore = ignore;
  if (unordered) out.unordered = unordered;
  if (shapeOnly) out.shapeOnly = shapeOnly;
  if (typeOnly) out.typeOnly = typeOnly;
  if (optional) out.optional = optional;
  if (volatile) out.volatile = volatile;
  return out;
}

function mergeMaps(a: Record<string, NormalizationRules> | undefined, b: Record<string, NormalizationRules> | undefined): Record<string, NormalizationRules> {
  const out: Record<string, NormalizationRules> = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) out[k] = out[k] ? mergeRules(out[k], v) : v;
  return out;
}

/** Layers rule sets (e.g. defaults + learned noise); later layers add to earlier ones. */
export function mergeRuleSets(...sets: RuleSet[]): RuleSet {
  return sets.reduce<RuleSet>(
    (acc, s) => ({ global: mergeRules(acc.global, s.global), methods: mergeMaps(acc.methods, s.methods), events: mergeMaps(acc.events, s.events) }),
    { global: {}, methods: {}, events: {} },
  );
}

const resolvedCache = new WeakMap<RuleSet, Map<string, CompiledRules>>();

/** Compiled rules for one method's result (`{method}`) or one event's payload (`{event}`), cached per rule set. */
export function rulesFor(set: RuleSet, target: { method?: string; event?: string }): CompiledRules {
  let perSet = resolvedCache.get(set);
  if (!perSet) {
    perSet = new Map();
    resolvedCache.set(set, perSet);
  }
  const key = target.method !== undefined ? `m:${target.method}` : target.event !== undefined ? `e:${target.event}` : "";
  let c = perSet.get(key);
  if (!c) {
    const specific = target.method !== undefined ? set.methods?.[target.method] : target.event !== undefined ? set.events?.[target.event] : undefined;
    c = compileRules(specific ? mergeRules(set.global, specific) : set.global);
    perSet.set(key, c);
  }
  return c;
}

/** Type marker used for shape-only values. */
export function typeMarker(value: unknown): string {
  return `<${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}>`;
}

/**
 * Arrays the normaliser sorted because a rule says they are sets. The comparator diffs these as
 * multisets (added/missing elements) instead of index by index, where one insertion shifts every
 * later element.
 */
const unorderedArrays = new WeakSet<readonly unknown[]>();

export function isUnorderedArray(value: unknown): boolean {
  return Array.isArray(value) && unorderedArrays.has(value);
}

/** Whether a payload pointer (as the comparator reports it) falls under an `optional` rule. */
export function isOptionalPath(rules: CompiledRules, pointer: string): boolean {
  if (!rules.source.optional?.length) return false;
  // Only the path itself: below an optional object that both sides have, keys compare normally.
  const m = rules.matcher;
  let states: readonly number[] = m.root;
  for (const segment of parsePointerGlob(pointer)) {
    states = m.step(states, segment);
    if (states.length === 0) return false;
  }
  return (m.tagsOf(states) & OPTIONAL) !== 0;
}

const IGNORED: unique symbol = Symbol("ignored");

export function normalize(value: unknown, rules: NormalizationRules | CompiledRules): unknown {
  const c = compileRules(rules);
  if (c.matcher.rootTags & IGNORE) return undefined;
  const out = walk(value, undefined, c.matcher.root, c.matcher.rootTags, c);
  return out === IGNORED ? undefined : out;
}

function walk(value: unknown, key: string | undefined, states: readonly number[], tags: number, c: CompiledRules): unknown {
  if (tags & TYPE_ONLY) return typeMarker(value);
  if (tags & SHAPE_ONLY) return shapeOf(value);
  if (value === null || typeof value !== "object") {
    if (value === undefined || typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") return value;
    return normalizeScalar(value as string | number | boolean | null, key, c.mask);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const idx = String(i);
      const next = states.length ? c.matcher.step(states, idx) : states;
      const t = next.length ? c.matcher.tagsOf(next) : 0;
      if (t & IGNORE) continue;
      out.push(walk(value[i], undefined, next, t, c));
    }
    if (tags & UNORDERED) {
      const sorted = sortCanonically(out);
      unorderedArrays.add(sorted);
      return sorted;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let renamed: { key: string; value: unknown }[] | undefined;
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    const next = states.length ? c.matcher.step(states, k) : states;
    const t = next.length ? c.matcher.tagsOf(next) : 0;
    if (t & IGNORE) continue;
    const nv = walk(v, k, next, t, c);
    const nk = normalizeKey(k, c.mask);
    if (nk === k) out[k] = nv;
    else (renamed ??= []).push({ key: nk, value: nv });
  }
  if (renamed) addRenamed(out, renamed);
  return out;
}

/**
 * Volatile keys collide once normalised (three jobs all become `<uuid>`): order them by their
 * normalised value, so the same set of entries gets the same names on both sides.
 */
function addRenamed(out: Record<string, unknown>, entries: { key: string; value: unknown }[]): void {
  const keyed = entries.map((e) => ({ ...e, sort: `${e.key}\u0000${JSON.stringify(e.value) ?? ""}` }));
  keyed.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  const seen = new Map<string, number>();
  for (const e of keyed) {
    const n = (seen.get(e.key) ?? 0) + 1;
    seen.set(e.key, n);
    out[n === 1 && !keyed.some((o) => o !== e && o.key === e.key) ? e.key : `${e.key}#${n}`] = e.value;
  }
}

/** Shape-only: keep structure (keys, array lengths) and replace every scalar by its type marker. */
function shapeOf(value: unknown): unknown {
  if (value === null || typeof value !== "object") return typeMarker(value);
  if (Array.isArray(value)) return value.map(shapeOf);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = shapeOf((value as Record<string, unknown>)[k]);
  return out;
}

function sortCanonically(items: unknown[]): unknown[] {
  const keyed = items.map((v) => ({ v, k: JSON.stringify(v) ?? "" }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((e) => e.v);
}
