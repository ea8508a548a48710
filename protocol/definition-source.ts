/**
 * The definitions of a contract schema, one at a time. The frozen schemas are 1.3 to 3.5 MB of JSON and a
 * validator needs a few of their ~1,000 definitions: parsing a whole file was most of hanzod's time from
 * spawn to the first `health` (the connect frame and `health` touch all three schemas), and the parsed
 * trees most of its heap at ready. The files are written pretty-printed by JSON.stringify(.., null, 2),
 * so each definition is one span of lines: the file is indexed by those spans (names and byte offsets)
 * and a definition is read and parsed when first asked for. A file in any other layout is parsed whole,
 * as before.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";

export interface DefinitionSource {
  /** The schema's `$id`. */
  id(): string;
  has(name: string): boolean;
  /** The definition as JSON.parse of the whole file would give it; undefined when there is none. */
  get(name: string): object | undefined;
}

export interface WholeSchema {
  $id: string;
  definitions: Record<string, object>;
}

/** A source over an already parsed (or lazily parsed) whole schema. */
export function wholeSchemaSource(load: () => WholeSchema): DefinitionSource {
  return {
    id: () => load().$id,
    has: (name) => Object.prototype.hasOwnProperty.call(load().definitions, name),
    get: (name) => (Object.prototype.hasOwnProperty.call(load().definitions, name) ? load().definitions[name] : undefined),
  };
}

interface PrettyIndex {
  id: string;
  /** The file's size and mtime when indexed: a span is read from the file only while these still hold. */
  size: number;
  mtimeMs: number;
  /** Definition name -> [start, end) byte offsets of its value in the file. */
  spans: Map<string, readonly [number, number]>;
}

const TOP_ID = Buffer.from('\n  "$id": ');
const TOP_DEFINITIONS = Buffer.from('\n  "definitions": {\n');
/** A key at depth 2: JSON strings hold no raw newline, so a line of exactly four spaces and a quote is one. */
const ENTRY = Buffer.from('\n    "');
const KEY_END = Buffer.from('": ');
/** The line closing the depth-1 object `definitions`: every line inside it is indented four spaces or more. */
const DEFINITIONS_END = Buffer.from("\n  }");
const START = Buffer.from('{\n  "');

/**
 * Byte spans of the definitions in a schema file written with two-space indentation; undefined when the
 * layout is not that one (the caller then parses the whole file), so a differently written file costs
 * time, never correctness. Works on bytes (Buffer.indexOf), so the file is never decoded whole.
 */
export function indexPrettySchema(file: Buffer | string): Omit<PrettyIndex, "size" | "mtimeMs"> | undefined {
  const buf = typeof file === "string" ? Buffer.from(file) : file;
  if (buf.indexOf(START) !== 0) return undefined;
  const idAt = buf.indexOf(TOP_ID);
  const defsAt = buf.indexOf(TOP_DEFINITIONS);
  if (idAt < 0 || defsAt < 0 || buf.indexOf(TOP_ID, idAt + 1) >= 0 || buf.indexOf(TOP_DEFINITIONS, defsAt + 1) >= 0) return undefined;
  let id: unknown;
  try {
    const line = buf.toString("utf8", idAt + TOP_ID.length, buf.indexOf(10, idAt + 1));
    id = JSON.parse(line.endsWith(",") ? line.slice(0, -1) : line);
  } catch {
    return undefined;
  }
  if (typeof id !== "string") return undefined;
  const regionStart = defsAt + TOP_DEFINITIONS.length - 1;
  const regionEnd = buf.indexOf(DEFINITIONS_END, regionStart);
  if (regionEnd < 0) return undefined;
  const spans = new Map<string, readonly [number, number]>();
  let at = buf.indexOf(ENTRY, regionStart);
  while (at >= 0 && at < regionEnd) {
    const keyEnd = buf.indexOf(KEY_END, at + ENTRY.length);
    if (keyEnd < 0 || keyEnd > regionEnd) return undefined;
    let name: unknown;
    const keyStart = at + ENTRY.length;
    // A key without escapes is its bytes (a thousand JSON.parse calls per file saved); one with any is parsed.
    if (!hasBackslash(buf, keyStart, keyEnd)) name = buf.toString("utf8", keyStart, keyEnd);
    else {
      try {
        name = JSON.parse(buf.toString("utf8", keyStart - 1, keyEnd + 1));
      } catch {
        return undefined;
      }
    }
    if (typeof name !== "string" || spans.has(name)) return undefined;
    const next = buf.indexOf(ENTRY, keyEnd);
    const end = next >= 0 && next < regionEnd ? next : regionEnd;
    // The value runs to the next entry (or the end of `definitions`), less the separating comma.
    spans.set(name, [keyEnd + KEY_END.length, buf[end - 1] === 44 /* , */ ? end - 1 : end]);
    at = next;
  }
  return { id, spans };
}

function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 92 /* \\ */) return true;
  return false;
}

function readSpan(path: string, start: number, end: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.toString("utf8", 0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Definitions of the schema file at `path`, each read from the file when first asked for (only the
 * index of names and byte spans is held); `whole` (the caller's cached full parse) answers instead when
 * the file is not laid out as indexPrettySchema expects, a span does not parse to an object, or the file
 * changed since it was indexed.
 */
export function schemaFileSource(path: string, whole: () => WholeSchema): DefinitionSource {
  let index: PrettyIndex | null | undefined;
  const parsed = new Map<string, object>();
  const fallback = wholeSchemaSource(whole);
  const indexed = (): PrettyIndex | null => {
    if (index === undefined) {
      const st = statSync(path);
      const found = indexPrettySchema(readFileSync(path));
      index = found ? { ...found, size: st.size, mtimeMs: st.mtimeMs } : null;
    }
    return index;
  };
  return {
    id: () => indexed()?.id ?? fallback.id(),
    has: (name) => {
      const i = indexed();
      return i ? i.spans.has(name) : fallback.has(name);
    },
    get: (name) => {
      const i = indexed();
      if (!i) return fallback.get(name);
      let def = parsed.get(name);
      if (def) return def;
      const span = i.spans.get(name);
      if (!span) return undefined;
      let value: unknown;
      try {
        const st = statSync(path);
        value = st.size === i.size && st.mtimeMs === i.mtimeMs ? JSON.parse(readSpan(path, span[0], span[1])) : undefined;
      } catch {
        value = undefined;
      }
      if (typeof value !== "object" || value === null) {
        // Not the layout it looked like, or not the file indexed: the whole parse answers from now on.
        index = null;
        parsed.clear();
        return fallback.get(name);
      }
      def = value;
      parsed.set(name, def);
      return def;
    },
  };
}
