/**
 * Difference signatures: the set of (kind, path pattern) a comparison produced. Storing the
 * signature instead of raw paths lets the report re-judge old comparisons against noise learned
 * later, and lets it count by `GROUP BY signature` (few distinct values) instead of per path row.
 */
import type { Difference } from "../compare/types.js";
import type { SignatureEntry } from "../store/types.js";

/** More distinct differing paths than this in one comparison are summarised by one `overflow` entry. */
export const MAX_SIGNATURE_ENTRIES = 64;

/** An entry the noise filter never discounts: too many differences to judge path by path. */
export const OVERFLOW_KIND = "overflow";

/**
 * Difference kinds that can be noise: payload differences. Frame-level facts (ok, error codes, ids),
 * contract violations, a missing answer and overflow always count.
 */
export const NOISE_KINDS: ReadonlySet<string> = new Set(["missing", "extra", "type", "value", "length", "element-missing", "element-extra"]);

/** Array indices become `*` so the same field of every list element counts as one path. */
export function pathPattern(pointer: string): string {
  if (pointer === "" || pointer === "/") return pointer;
  return pointer
    .split("/")
    .map((segment, i) => (i > 0 && /^(0|[1-9][0-9]*)$/.test(segment) ? "*" : segment))
    .join("/");
}

export function signatureEntries(differences: readonly Difference[]): SignatureEntry[] {
  const seen = new Map<string, SignatureEntry>();
  for (const d of differences) {
    const entry = { kind: d.kind, path: pathPattern(d.path) };
    seen.set(`${entry.kind} ${entry.path}`, entry);
  }
  const entries = [...seen.values()].sort(compareEntries);
  if (entries.length <= MAX_SIGNATURE_ENTRIES) return entries;
  return [...entries.slice(0, MAX_SIGNATURE_ENTRIES - 1), { kind: OVERFLOW_KIND, path: "" }];
}

function compareEntries(a: SignatureEntry, b: SignatureEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

// One entry per line, "kind<TAB>path"; a newline inside a JSON key is escaped so lines stay lines.
export function encodeSignature(entries: readonly SignatureEntry[]): string {
  return entries.map((e) => `${e.kind}\t${e.path.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`).join("\n");
}

export function decodeSignature(signature: string): SignatureEntry[] {
  if (signature === "") return [];
  return signature.split("\n").map((line) => {
    const tab = line.indexOf("\t");
    const path = line.slice(tab + 1).replace(/\\(\\|n)/g, (_m, c: string) => (c === "n" ? "\n" : "\\"));
    return { kind: line.slice(0, tab), path };
  });
}
