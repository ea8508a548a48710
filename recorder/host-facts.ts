/**
 * Host facts scrubbed at record time: a fixture does not carry the recording machine's host name,
 * address, kernel release and the like. Which fields are host facts is the comparison rules' one list
 * (PRESENCE_HOST_FACTS in parity/compare/default-rules.ts); where they sit in each method's answer and
 * each event's payload is read from DEFAULT_RULES themselves: the shape-only globs that end in one of
 * those facts. So nothing here lists either, and only values the rules already compare by shape alone
 * are touched: a scrubbed fixture gets the same replay verdicts as the raw one.
 */
import { DEFAULT_RULES, GlobMatcher, PRESENCE_HOST_FACTS, rulesFor, type PathGlob } from "../parity/compare/index.js";

const FOUND = 1;
/** Per method and event the rules name, plus one entry for every other name (bounded: clients invent names). */
const matchers = new Map<string, GlobMatcher | null>();

/** A matcher for the host-fact globs of one method's result or one event's payload, or null when it has none. */
function hostFactsOf(target: { method: string } | { event: string }): GlobMatcher | null {
  const named = "method" in target ? DEFAULT_RULES.methods?.[target.method] !== undefined : DEFAULT_RULES.events?.[target.event] !== undefined;
  const key = !named ? "" : "method" in target ? `m:${target.method}` : `e:${target.event}`;
  let m = matchers.get(key);
  if (m === undefined) {
    const rules = named ? rulesFor(DEFAULT_RULES, target) : rulesFor(DEFAULT_RULES, {});
    const globs: PathGlob[] = (rules.source.shapeOnly ?? []).filter((g) => PRESENCE_HOST_FACTS.some((fact) => g.endsWith(fact)));
    m = globs.length === 0 ? null : new GlobMatcher(globs.map((glob) => ({ glob, tag: FOUND })));
    matchers.set(key, m);
  }
  return m;
}

/** Whether a method's answer can carry host facts at all (the recorder tracks request ids only for those). */
export function methodCarriesHostFacts(method: string): boolean {
  return hostFactsOf({ method }) !== null;
}

/** The neutral value a host fact is written as: a string of the same type, naming the field. */
export function scrubbedHostFact(field: string): string {
  return `<recording host's ${field}>`;
}

/**
 * Replaces, in place, every string host fact in `payload` (a method's result or an event's payload).
 * Returns how many values were replaced.
 */
export function scrubHostFacts(payload: unknown, target: { method: string } | { event: string }): number {
  const m = hostFactsOf(target);
  if (m === null) return 0;
  return walk(payload, m, m.root);
}

function walk(value: unknown, matcher: GlobMatcher, states: readonly number[]): number {
  if (value === null || typeof value !== "object" || states.length === 0) return 0;
  let n = 0;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, child] of entries) {
    const next = matcher.step(states, key);
    if (next.length === 0) continue;
    if (matcher.tagsOf(next) & FOUND && typeof child === "string") {
      const scrubbed = scrubbedHostFact(key);
      if (child !== scrubbed) {
        (value as Record<string, unknown>)[key] = scrubbed;
        n++;
      }
      continue;
    }
    n += walk(child, matcher, next);
  }
  return n;
}
