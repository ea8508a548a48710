/**
 * `hanzonode parity learn FIXTURES...`: noise learned offline from recordings. Answers to the same
 * method with the same params (across every connection and fixture) are pairs of legacy answers;
 * where consecutive ones differ, that is noise, counted exactly as the live noise probes count it.
 */
import { compareFrames, rulesFor, type RuleSet } from "../compare/index.js";
import { isInterimAnswer } from "../../protocol/frames.js";
import { readFixture, type Fixture } from "../../protocol/fixture-format.js";
import type { NoisePathRow, NoiseProbeCountRow } from "../store/types.js";
import { NOISE_KINDS, signatureEntries } from "./signature.js";

export interface OfflineLearning {
  fixtures: number;
  unreadable: Array<{ file: string; error: string }>;
  /** Answer pairs compared, per method. */
  probes: NoiseProbeCountRow[];
  paths: NoisePathRow[];
}

/** Params with keys sorted, so {a,b} and {b,a} group together. Secrets were redacted by the recorder. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "undefined";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

interface Answer {
  frame: Record<string, unknown>;
}

/** Final answers per (method, canonical params), in recording order. */
function collectAnswers(fixtures: readonly Fixture[]): Map<string, { method: string; answers: Answer[] }> {
  const groups = new Map<string, { method: string; answers: Answer[] }>();
  for (const fx of fixtures) {
    const pending = new Map<string, { method: string; key: string }>();
    for (const f of fx.frames) {
      const frame = f.frame;
      if (!frame) continue;
      if (f.dir === "c2s" && frame.type === "req" && typeof frame.method === "string" && typeof frame.id === "string") {
        // connect answers carry per-connection identity (connId, scopes): not comparable across connections.
        if (frame.method === "connect") continue;
        pending.set(frame.id, { method: frame.method, key: `${frame.method}\u0000${canonical(frame.params ?? null)}` });
      } else if (f.dir === "s2c" && frame.type === "res" && typeof frame.id === "string") {
        const req = pending.get(frame.id);
        if (!req) continue;
        if (isInterimAnswer(frame)) continue; // the final answer follows
        pending.delete(frame.id);
        let g = groups.get(req.key);
        if (!g) groups.set(req.key, (g = { method: req.method, answers: [] }));
        g.answers.push({ frame: { type: "res", id: "x", ok: frame.ok, payload: frame.payload, error: frame.error } });
      }
    }
  }
  return groups;
}

export function learnFromFixtures(files: readonly string[], rules: RuleSet): OfflineLearning {
  const fixtures: Fixture[] = [];
  const unreadable: OfflineLearning["unreadable"] = [];
  for (const file of files) {
    try {
      fixtures.push(readFixture(file));
    } catch (err) {
      unreadable.push({ file, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const probes = new Map<string, number>();
  const paths = new Map<string, NoisePathRow>();
  for (const { method, answers } of collectAnswers(fixtures).values()) {
    for (let i = 1; i < answers.length; i++) {
      const a = answers[i - 1]!;
      const b = answers[i]!;
      const diffs = compareFrames(a.frame, b.frame, rulesFor(rules, { method }), { method });
      probes.set(method, (probes.get(method) ?? 0) + 1);
      for (const e of signatureEntries(diffs)) {
        if (!NOISE_KINDS.has(e.kind)) continue;
        const key = `${method}\u0000${e.kind}\u0000${e.path}`;
        const row = paths.get(key) ?? { method, path: e.path, kind: e.kind, differences: 0 };
        row.differences++;
        paths.set(key, row);
      }
    }
  }
  return {
    fixtures: fixtures.length,
    unreadable,
    probes: [...probes].map(([method, n]) => ({ method, probes: n })),
    paths: [...paths.values()],
  };
}
