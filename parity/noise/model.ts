/**
 * The learned noise of every method (from the store's legacy-vs-legacy counts) and the judgement
 * of a legacy-vs-hanzod difference against it.
 */
import type { NormalizationRules } from "../compare/types.js";
import type { NoisePathRow, NoiseProbeCountRow, SignatureEntry } from "../store/types.js";
import { DEFAULT_NOISE_THRESHOLDS, type NoiseThresholds } from "./thresholds.js";
import { NOISE_KINDS } from "./signature.js";

export interface LearnedNoisePath {
  path: string;
  /** Difference kinds seen between two legacy answers at this path. */
  kinds: string[];
  rate: number;
  differences: number;
}

export interface MethodNoise {
  method: string;
  probes: number;
  /** Only paths at or above minNoiseRate, when probes >= minProbes. */
  paths: LearnedNoisePath[];
}

export interface EntryJudgement {
  discounted: boolean;
  noiseRate: number;
}

export class NoiseModel {
  private readonly byMethod = new Map<string, { probes: number; rates: Map<string, number>; paths: Map<string, LearnedNoisePath> }>();

  constructor(
    probeCounts: readonly NoiseProbeCountRow[],
    paths: readonly NoisePathRow[],
    readonly thresholds: NoiseThresholds = DEFAULT_NOISE_THRESHOLDS,
  ) {
    for (const p of probeCounts) this.byMethod.set(p.method, { probes: p.probes, rates: new Map(), paths: new Map() });
    for (const row of paths) {
      if (!NOISE_KINDS.has(row.kind)) continue;
      const m = this.byMethod.get(row.method);
      if (!m || m.probes === 0) continue;
      const rate = Math.min(1, row.differences / m.probes);
      m.rates.set(`${row.kind}\t${row.path}`, rate);
      const learned = m.paths.get(row.path) ?? { path: row.path, kinds: [], rate: 0, differences: 0 };
      learned.kinds.push(row.kind);
      learned.rate = Math.max(learned.rate, rate);
      learned.differences = Math.max(learned.differences, row.differences);
      m.paths.set(row.path, learned);
    }
  }

  probes(method: string): number {
    return this.byMethod.get(method)?.probes ?? 0;
  }

  /** Legacy-vs-legacy difference rate of (path, kind); 0 when too few probes to know. */
  noiseRate(method: string, entry: SignatureEntry): number {
    const m = this.byMethod.get(method);
    if (!m || m.probes < this.thresholds.minProbes) return 0;
    return m.rates.get(`${entry.kind}\t${entry.path}`) ?? 0;
  }

  /** Judges one differing (path, kind) whose legacy-vs-hanzod rate is `rawRate`. */
  judge(method: string, entry: SignatureEntry, rawRate: number): EntryJudgement {
    const t = this.thresholds;
    const noiseRate = this.noiseRate(method, entry);
    if (noiseRate < t.minNoiseRate) return { discounted: false, noiseRate };
    // A scalar that legacy itself answers differently for the same request (a clock, a duration, a
    // counter) has no reproducible value: only its type and presence can be compared, and those
    // are other difference kinds. How often hanzod's value differs says nothing more.
    if (entry.kind === "value" || noiseRate >= t.volatileRate) return { discounted: true, noiseRate };
    return { discounted: rawRate <= noiseRate * (1 + t.relative) + t.absolute, noiseRate };
  }

  learned(method: string): MethodNoise {
    const m = this.byMethod.get(method);
    if (!m || m.probes < this.thresholds.minProbes) return { method, probes: m?.probes ?? 0, paths: [] };
    const paths = [...m.paths.values()].filter((p) => p.rate >= this.thresholds.minNoiseRate).sort((a, b) => b.rate - a.rate || (a.path < b.path ? -1 : 1));
    return { method, probes: m.probes, paths };
  }

  methods(): string[] {
    return [...this.byMethod.keys()].sort();
  }

  /**
   * The learned noise as comparator rules (ignore globs), for consumers that cannot weigh rates:
   * the contract replay and the suggested checklist rules of `hanzonode parity learn`.
   */
  rulesFor(method: string): NormalizationRules {
    const paths = this.learned(method).paths;
    return paths.length === 0 ? {} : { ignore: paths.map((p) => p.path) };
  }
}
