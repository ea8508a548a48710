/**
 * Path globs over JSON pointers, compiled once into a small NFA that the normaliser advances one key at
 * a time while it walks a value. Walking costs one state step per node instead of one glob match per
 * node per rule, and no path string is built unless a difference is reported.
 */
import type { PathGlob } from "./types.js";
import { escapePointerSegment, pointerSegments } from "../../protocol/json-pointer.js";

const ANY_ONE = "*";
const ANY_DEPTH = "**";

/** Each glob carries a bit saying which rule category (ignore, unordered, ...) it belongs to. */
export interface TaggedGlob {
  glob: PathGlob;
  tag: number;
}

interface Compiled {
  segments: string[];
  tag: number;
}

/** Positions are encoded as `globIndex * STRIDE + segmentIndex`; STRIDE bounds glob depth. */
const STRIDE = 256;

export function parsePointerGlob(glob: PathGlob): string[] {
  if (glob === "" || glob === "/") return [];
  if (!glob.startsWith("/")) throw new Error(`path glob must be a JSON pointer starting with "/": ${glob}`);
  return pointerSegments(glob);
}

export { escapePointerSegment };

export class GlobMatcher {
  private readonly globs: Compiled[];
  /** States at the root, already closed over leading `**`. */
  readonly root: readonly number[];
  /** Tags whose globs match the root itself ("" or "/"). */
  readonly rootTags: number;

  constructor(globs: TaggedGlob[]) {
    this.globs = globs.map((g) => {
      const segments = parsePointerGlob(g.glob);
      if (segments.length >= STRIDE) throw new Error(`path glob too deep: ${g.glob}`);
      return { segments, tag: g.tag };
    });
    const start: number[] = [];
    for (let i = 0; i < this.globs.length; i++) start.push(i * STRIDE);
    this.root = this.close(start);
    this.rootTags = this.tagsOf(this.root);
  }

  get empty(): boolean {
    return this.globs.length === 0;
  }

  /** States after consuming one key (object key or array index as a string). */
  step(states: readonly number[], key: string): number[] {
    const out: number[] = [];
    for (const s of states) {
      const g = this.globs[Math.floor(s / STRIDE)];
      if (!g) continue;
      const pos = s % STRIDE;
      const seg = g.segments[pos];
      if (seg === undefined) continue;
      if (seg === ANY_DEPTH) out.push(s);
      else if (seg === ANY_ONE || seg === key) out.push(s + 1);
    }
    return out.length === 0 ? out : this.close(out);
  }

  /** Union of the tags of every glob that matches exactly at these states. */
  tagsOf(states: readonly number[]): number {
    let tags = 0;
    for (const s of states) {
      const g = this.globs[Math.floor(s / STRIDE)];
      if (g && s % STRIDE === g.segments.length) tags |= g.tag;
    }
    return tags;
  }

  /** `**` also matches zero segments, so a state sitting on `**` implies the state after it. */
  private close(states: number[]): number[] {
    // Runs once per walked node: the sets are a handful of states, so arrays beat a Set, and most steps
    // have no state on `**` at all.
    let out = states;
    for (let i = 0; i < out.length; i++) {
      const s = out[i]!;
      const g = this.globs[Math.floor(s / STRIDE)];
      if (g === undefined || g.segments[s % STRIDE] !== ANY_DEPTH || out.includes(s + 1)) continue;
      if (out === states) out = states.slice();
      out.push(s + 1);
    }
    return out === states ? dedupe(states) : dedupe(out);
  }
}

function dedupe(states: number[]): number[] {
  for (let i = 1; i < states.length; i++) if (states.lastIndexOf(states[i]!, i - 1) !== -1) return [...new Set(states)];
  return states;
}
