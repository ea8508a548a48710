/**
 * The comparator: expected vs actual frame (recording vs live target, or legacy vs hanzod), after
 * normalisation. Frame-level facts (kind, id, ok, error code, details.code) are compared exactly;
 * payloads go through the rules; error answers compare on code, details.code and shape only, because
 * messages and detail values may legitimately carry volatile text.
 */
import { asRecord, PINNED_CONTRACT, definitionStem, validateFrame, validateResult, type Frame, type SchemaValidator, type ValidationOutcome } from "../../protocol/index.js";
import { escapePointerSegment } from "./glob.js";
import { compileRules, isOptionalPath, isUnorderedArray, normalize, rulesFor, type CompiledRules } from "./normalize.js";
import type { Difference, NormalizationRules, RuleSet } from "./types.js";

export interface CompareOptions {
  /** Validate the actual frame (and a `res` payload against the method's result definition). */
  checkContract?: boolean;
  /** Method a `res` answers; needed for result validation and per-method rules. */
  method?: string;
  /** Stop after this many differences (a broken answer can differ in thousands of places). */
  maxDifferences?: number;
  /** The contract checkContract validates against (default: the pinned package contract). */
  contract?: SchemaValidator;
}

const DEFAULT_MAX = 50;

type Json = unknown;

function jsonType(v: Json): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Says whether a missing/extra key at this payload pointer is allowed (an `optional` rule). */
export type OptionalPathTest = (pointer: string) => boolean;

/**
 * Structural diff of two already-normalised values. Arrays the normaliser marked as sets (unordered
 * rules) diff as multisets: one `element-missing` / `element-extra` per element, at the array's path.
 */
export function diffValues(expected: Json, actual: Json, path: string, out: Difference[], max: number, optional?: OptionalPathTest): void {
  if (out.length >= max) return;
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) {
    out.push({ kind: "type", path: path || "/", expected, actual });
    return;
  }
  if (te === "array") {
    const e = expected as Json[];
    const a = actual as Json[];
    if (isUnorderedArray(e) || isUnorderedArray(a)) {
      diffMultisets(e, a, path || "/", out, max);
      return;
    }
    if (e.length !== a.length) out.push({ kind: "length", path: path || "/", expected: e.length, actual: a.length });
    const n = Math.min(e.length, a.length);
    for (let i = 0; i < n && out.length < max; i++) diffValues(e[i], a[i], `${path}/${i}`, out, max, optional);
    return;
  }
  if (te === "object") {
    const e = expected as Record<string, Json>;
    const a = actual as Record<string, Json>;
    for (const k of Object.keys(e)) {
      if (out.length >= max) return;
      const p = `${path}/${escapePointerSegment(k)}`;
      if (!Object.prototype.hasOwnProperty.call(a, k)) {
        if (!optional?.(p)) out.push({ kind: "missing", path: p, expected: e[k] });
      } else diffValues(e[k], a[k], p, out, max, optional);
    }
    for (const k of Object.keys(a)) {
      if (out.length >= max) return;
      if (Object.prototype.hasOwnProperty.call(e, k)) continue;
      const p = `${path}/${escapePointerSegment(k)}`;
      if (!optional?.(p)) out.push({ kind: "extra", path: p, actual: a[k] });
    }
    return;
  }
  if (expected !== actual) out.push({ kind: "value", path: path || "/", expected, actual });
}

/** Elements are already normalised (keys sorted), so their JSON text is a canonical identity. */
function diffMultisets(expected: Json[], actual: Json[], path: string, out: Difference[], max: number): void {
  const left = new Map<string, { value: Json; count: number }>();
  for (const v of actual) {
    const k = JSON.stringify(v) ?? "undefined";
    const entry = left.get(k);
    if (entry) entry.count++;
    else left.set(k, { value: v, count: 1 });
  }
  for (const v of expected) {
    const entry = left.get(JSON.stringify(v) ?? "undefined");
    if (entry && entry.count > 0) entry.count--;
    else if (out.length < max) out.push({ kind: "element-missing", path, expected: v });
  }
  for (const { value, count } of left.values()) {
    for (let i = 0; i < count && out.length < max; i++) out.push({ kind: "element-extra", path, actual: value });
  }
}

// Error shapes compare on presence and JSON type; these rules make every scalar a type marker.
const ERROR_SHAPE_RULES: NormalizationRules = { shapeOnly: ["/"], volatile: [] };

/**
 * Compare one frame with another under already-chosen rules (payload-relative globs). Raw frames
 * (strings that are not JSON frames) compare byte-for-byte.
 */
export function compareFrames(expected: unknown, actual: unknown, rules: NormalizationRules | CompiledRules, opts: CompareOptions = {}): Difference[] {
  const max = opts.maxDifferences ?? DEFAULT_MAX;
  const out: Difference[] = [];
  const e = asRecord(expected);
  const a = asRecord(actual);
  if (!e || !a) {
    if (expected !== actual) out.push({ kind: "frame-kind", path: "/", expected, actual });
    return out;
  }
  if (e.type !== a.type) {
    out.push({ kind: "frame-kind", path: "/type", expected: e.type, actual: a.type });
    return out;
  }
  const c = compileRules(rules);
  if (e.type === "res") compareResponse(e, a, c, out, max);
  else if (e.type === "event") {
    if (e.event !== a.event) out.push({ kind: "frame-kind", path: "/event", expected: e.event, actual: a.event });
    else diffValues(normalize(e.payload, c), normalize(a.payload, c), "", out, max, optionalTest(c));
  } else {
    if (e.id !== a.id) out.push({ kind: "id", path: "/id", expected: e.id, actual: a.id });
    if (e.method !== a.method) out.push({ kind: "value", path: "/method", expected: e.method, actual: a.method });
    diffValues(normalize(e.params, c), normalize(a.params, c), "", out, max, optionalTest(c));
  }
  if (opts.checkContract) out.push(...contractDifferences(a, opts.method, opts.contract));
  return out;
}

function compareResponse(e: Record<string, unknown>, a: Record<string, unknown>, c: CompiledRules, out: Difference[], max: number): void {
  if (e.id !== a.id) out.push({ kind: "id", path: "/id", expected: e.id, actual: a.id });
  if (e.ok !== a.ok) {
    out.push({ kind: "ok", path: "/ok", expected: e.ok, actual: a.ok });
    return;
  }
  if (e.ok === false) {
    const ee = asRecord(e.error) ?? {};
    const ae = asRecord(a.error) ?? {};
    if (ee.code !== ae.code) out.push({ kind: "error-code", path: "/error/code", expected: ee.code, actual: ae.code });
    const ed = asRecord(ee.details)?.code;
    const ad = asRecord(ae.details)?.code;
    if (ed !== ad) out.push({ kind: "error-details-code", path: "/error/details/code", expected: ed, actual: ad });
    diffValues(normalize(e.error, ERROR_SHAPE_RULES), normalize(a.error, ERROR_SHAPE_RULES), "/error", out, max);
    return;
  }
  diffValues(normalize(e.payload, c), normalize(a.payload, c), "", out, max, optionalTest(c));
}

function optionalTest(c: CompiledRules): OptionalPathTest | undefined {
  return c.source.optional?.length ? (p) => isOptionalPath(c, p) : undefined;
}

/** Contract definition for a payload the method table does not name: hello-ok, and `<Event>Event` payloads. */
export function payloadDefinitionFor(frame: Record<string, unknown>, method: string | undefined, contract: SchemaValidator = PINNED_CONTRACT): string | undefined {
  if (frame.type === "res" && method === "connect") return "HelloOk";
  if (frame.type === "event" && typeof frame.event === "string") {
    const name = `${definitionStem(frame.event)}Event`;
    return contract.hasDefinition(name) ? name : undefined;
  }
  return undefined;
}

/** Every way the actual frame breaks the frozen contract (the pinned one, or a release's), as `contract` differences. */
export function contractDifferences(frame: Record<string, unknown>, method: string | undefined, contract: SchemaValidator = PINNED_CONTRACT): Difference[] {
  const out: Difference[] = [];
  const push = (outcome: ValidationOutcome | undefined, prefix: string): void => {
    for (const i of outcome?.issues ?? []) out.push({ kind: "contract", path: `${prefix}${i.path === "/" ? "" : i.path}` || "/", definition: i.definition, note: `${i.keyword}: ${i.message}` });
  };
  push(validateFrame(frame as unknown as Frame, contract), "");
  const okRes = frame.type === "res" && frame.ok === true;
  const payloadDef = payloadDefinitionFor(frame, method, contract);
  if (payloadDef && (okRes || frame.type === "event")) push(contract.validate(payloadDef, frame.payload), "/payload");
  else if (okRes && method !== undefined) push(validateResult(method, frame.payload, contract), "/payload");
  return out;
}

/**
 * Compare an answer using a rule set: per-method rules for `res` frames (the caller names the method
 * the request was for), per-event rules for events.
 */
export function compareAnswers(expected: unknown, actual: unknown, set: RuleSet, opts: CompareOptions = {}): Difference[] {
  const e = asRecord(expected);
  const target = e?.type === "event" && typeof e.event === "string" ? { event: e.event } : opts.method !== undefined ? { method: opts.method } : {};
  return compareFrames(expected, actual, rulesFor(set, target), opts);
}
