/**
 * Known replay differences (fixtures/known-differences.json): differences a target shows against the
 * recordings that no general normalisation rule can honestly cover (hanzod does not implement a method
 * a fixture calls). They stay visible: a test replays, expects exactly these, and fails both on a
 * new difference and on an entry that no longer happens (so the list shrinks as hanzod grows).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../protocol/index.js";
import type { ReplayDifference, ReplayReport } from "./replay.js";
import { TARGET_KINDS } from "./replay-store.js";

export const KNOWN_DIFFERENCES_PATH = join(REPO_ROOT, "fixtures", "known-differences.json");

const entrySchema = z
  .object({
    target: z.enum(TARGET_KINDS),
    /** Fixture file name, e.g. `error.missing-scope.gateway-client.jsonl`. */
    fixture: z.string().min(1),
    /** The method whose answer differs (the `(method)` of the difference's `at`). */
    method: z.string().min(1),
    kind: z.string().min(1),
    /** The difference's path, exactly. */
    path: z.string(),
    reason: z.string().min(20, "say why this cannot be a general rule"),
  })
  .strict();

const fileSchema = z.object({ comment: z.string().optional(), differences: z.array(entrySchema) }).strict();

export type KnownDifference = z.infer<typeof entrySchema>;

export function loadKnownDifferences(target: KnownDifference["target"], path = KNOWN_DIFFERENCES_PATH): KnownDifference[] {
  const parsed = fileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  return parsed.differences.filter((d) => d.target === target);
}

function matches(k: KnownDifference, fixture: string, d: ReplayDifference): boolean {
  return k.fixture === fixture && d.at.endsWith(`(${k.method})`) && k.kind === d.kind && k.path === d.path;
}

export interface KnownDifferenceCheck {
  /** Differences not listed: failures. */
  unexpected: string[];
  /** Listed entries that did not occur: the list is stale. */
  stale: KnownDifference[];
  /** Listed entries that occurred, with their reason. */
  known: { entry: KnownDifference; difference: ReplayDifference }[];
}

export function checkKnownDifferences(report: ReplayReport, known: readonly KnownDifference[]): KnownDifferenceCheck {
  const used = new Set<KnownDifference>();
  const out: KnownDifferenceCheck = { unexpected: [], stale: [], known: [] };
  for (const r of report.results) {
    if (r.error) out.unexpected.push(`${r.fixture}: ${r.error}`);
    for (const d of r.differences) {
      const entry = known.find((k) => matches(k, r.fixture, d));
      if (entry) {
        used.add(entry);
        out.known.push({ entry, difference: d });
      } else out.unexpected.push(`${r.fixture} ${d.at}: ${d.kind} at ${d.path}`);
    }
  }
  out.stale = known.filter((k) => !used.has(k));
  return out;
}
