/**
 * Replay results as parity evidence: per method, how many replayed exchanges were green, stored in the
 * parity store (`recordReplayRun`) so `parity report` can show replay-green coverage and the
 * promotion gate's contract-replay check has data.
 */
import { DiffStore } from "../parity/store/diff-store.js";
import { defaultInstance, isPostgresUrl } from "../parity/store/open.js";
import { PgStore } from "../parity/store/pg/store.js";
import type { ReplayMethodResult } from "../parity/store/types.js";
import type { ReplayReport } from "./replay.js";

/** The runtime a replay ran against: the report keeps legacy and hanzod results apart. */
export const TARGET_KINDS = ["legacy", "hanzod"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Exchanges aggregated per method: passed/failed counts and the first failure seen. */
export function methodResults(report: ReplayReport): ReplayMethodResult[] {
  const byMethod = new Map<string, ReplayMethodResult>();
  for (const r of report.results) {
    for (const e of r.exchanges) {
      let m = byMethod.get(e.method);
      if (!m) byMethod.set(e.method, (m = { method: e.method, passed: 0, failed: 0 }));
      if (e.ok) m.passed++;
      else {
        m.failed++;
        m.firstFailure ??= `${r.fixture} ${e.firstFailure ?? "failed"}`;
      }
    }
  }
  return [...byMethod.values()].sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0));
}

export interface StoreReplayOptions {
  /** A parity store file, or a fleet's postgres:// URL. */
  storePath: string;
  targetKind: TargetKind;
  /** Provenance for the report: the fixture files or folders replayed. */
  source: string;
  at?: number;
}

/** Writes one replay run into the SQLite file or the fleet's PostgreSQL; returns the per-method rows written. */
export async function storeReplayRun(report: ReplayReport, o: StoreReplayOptions): Promise<ReplayMethodResult[]> {
  const results = methodResults(report);
  const run = { at: o.at ?? Date.now(), target: o.targetKind, source: o.source, results };
  if (isPostgresUrl(o.storePath)) {
    const store = await PgStore.open(o.storePath, { instance: defaultInstance("replay") });
    try {
      await store.recordReplayRun(run);
    } finally {
      await store.close();
    }
    return results;
  }
  const store = DiffStore.open(o.storePath);
  try {
    store.recordReplayRun(run);
  } finally {
    store.close();
  }
  return results;
}
