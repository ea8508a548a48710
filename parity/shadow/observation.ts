/**
 * Turns one shadow observation (legacy vs hanzod, or legacy vs legacy for a noise probe) into the
 * rows the store keeps: the comparison with its difference signature, samples for paths that still
 * want one, and noise counts. Pure apart from asking the store which samples it still wants.
 */
import { compareFrames, rulesFor, type Difference, type RuleSet } from "../compare/index.js";
import type { BackendAnswer, BackendFailure, ShadowObservation } from "../shadow-sink.js";
import { encodeSignature, NOISE_KINDS, signatureEntries } from "../noise/signature.js";
import type { ComparisonRow, NoisePathRow, SampleRow, SignatureEntry } from "../store/types.js";

/** Signature entry of a comparison where the second side never answered; never discounted as noise. */
export const NO_ANSWER_KIND = "no-answer";

export interface ObservationRows {
  comparison: ComparisonRow;
  entries: SignatureEntry[];
  differences: Difference[];
  samples: SampleRow[];
  noisePaths: NoisePathRow[];
  /** 1 when this was a complete noise probe (counts toward the method's probe total). */
  noiseProbes: number;
}

export interface ObservationContext {
  rules: RuleSet;
  wantsSample: (method: string, path: string) => boolean;
  /** Validate hanzod's answer against the frozen contract (shadow comparisons only). */
  checkContract: boolean;
}

function isFailure(a: BackendAnswer | BackendFailure): a is BackendFailure {
  return typeof (a as BackendFailure).failed === "string";
}

function responseFrame(id: string, answer: BackendAnswer): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: "res", id, ok: answer.ok };
  if (answer.payload !== undefined) frame.payload = answer.payload;
  if (answer.error !== undefined) frame.error = answer.error;
  return frame;
}

export function answerView(a: BackendAnswer | BackendFailure): unknown {
  if (isFailure(a)) return { failed: a.failed };
  return a.ok ? { ok: true, payload: a.payload } : { ok: false, error: a.error };
}

export function rowsForObservation(o: ShadowObservation, ctx: ObservationContext): ObservationRows {
  let differences: Difference[];
  let entries: SignatureEntry[];
  const actual = o.actual;
  if (isFailure(actual)) {
    differences = [{ kind: "ok", path: "", expected: o.expected.ok, actual: actual.failed, note: `no answer: ${actual.failed}` }];
    entries = [{ kind: NO_ANSWER_KIND, path: "" }];
  } else {
    differences = compareFrames(responseFrame(o.requestId, o.expected), responseFrame(o.requestId, actual), rulesFor(ctx.rules, { method: o.method }), {
      method: o.method,
      checkContract: ctx.checkContract,
    });
    entries = signatureEntries(differences);
  }

  const comparison: ComparisonRow = {
    at: o.at,
    kind: o.kind,
    method: o.method,
    connectionId: o.connectionId,
    expectedOk: o.expected.ok,
    actualOk: isFailure(actual) ? null : actual.ok,
    expectedMs: o.expected.latencyMs,
    actualMs: actual.latencyMs,
    failure: isFailure(actual) ? actual.failed : null,
    signature: encodeSignature(entries),
    differenceCount: differences.length,
  };

  const samples: SampleRow[] = [];
  if (o.kind === "shadow") {
    for (const entry of entries) {
      if (!ctx.wantsSample(o.method, entry.path)) continue;
      samples.push({
        at: o.at,
        kind: o.kind,
        method: o.method,
        path: entry.path,
        params: o.params,
        expected: answerView(o.expected),
        actual: answerView(actual),
        differences,
      });
    }
  }

  const probeComplete = o.kind === "noise-probe" && !isFailure(actual);
  return {
    comparison,
    entries,
    differences,
    samples,
    noisePaths: probeComplete ? entries.filter((e) => NOISE_KINDS.has(e.kind)).map((e) => ({ method: o.method, path: e.path, kind: e.kind, differences: 1 })) : [],
    noiseProbes: probeComplete ? 1 : 0,
  };
}
