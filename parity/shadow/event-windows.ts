/**
 * Event comparison for shadowed method families. Per client connection, the events each backend
 * emitted are collected in tumbling windows; when a window closes, the two name sequences are
 * aligned (longest common subsequence, so one missing event does not shift every later pair),
 * aligned pairs compare their payloads under the event's rules, and unaligned events become
 * `missing` (legacy only) or `extra` (hanzod only) differences at `/event`.
 */
import { compareFrames, rulesFor, type Difference, type RuleSet } from "../compare/index.js";
import type { ShadowEventObservation } from "../shadow-sink.js";
import { encodeSignature, signatureEntries } from "../noise/signature.js";
import type { ComparisonRow, SampleRow } from "../store/types.js";

export interface EventWindowOptions {
  /** Window length; must be well above the expected skew between the two backends (default 2 s). */
  windowMs: number;
  /** How long after a window's end late events are still awaited before it is compared (default 1 s). */
  graceMs: number;
  /** Events never compared: per-backend timers and handshake traffic. */
  ignoredEvents: ReadonlySet<string>;
  /** At most this many events per backend per window; more are counted as dropped. */
  maxEventsPerWindow: number;
}

export const DEFAULT_EVENT_WINDOW: EventWindowOptions = {
  windowMs: 2_000,
  graceMs: 1_000,
  ignoredEvents: new Set(["tick", "connect.challenge"]),
  maxEventsPerWindow: 200,
};

interface Window {
  start: number;
  legacy: ShadowEventObservation[];
  hanzod: ShadowEventObservation[];
}

export interface EventComparisonOutput {
  comparisons: ComparisonRow[];
  samples: SampleRow[];
  dropped: number;
}

export class EventWindows {
  private readonly open = new Map<string, Window>();
  /** Windows replaced by a newer one of the same connection before they were due. */
  private pendingClose: Window[] = [];
  private dropped = 0;

  constructor(private readonly options: EventWindowOptions = DEFAULT_EVENT_WINDOW) {}

  add(e: ShadowEventObservation): void {
    if (this.options.ignoredEvents.has(e.event)) return;
    let w = this.open.get(e.connectionId);
    if (w && e.at >= w.start + this.options.windowMs) w = undefined; // belongs to the next window; the old one closes on its own
    if (!w) {
      const existing = this.open.get(e.connectionId);
      if (existing) this.pendingClose.push(existing);
      w = { start: e.at, legacy: [], hanzod: [] };
      this.open.set(e.connectionId, w);
    }
    const side = e.backend === "legacy" ? w.legacy : w.hanzod;
    if (side.length >= this.options.maxEventsPerWindow) this.dropped++;
    else side.push(e);
  }

  /** Compares every window that is due (or all of them, on close). */
  closeDue(now: number, ctx: { rules: RuleSet; wantsSample: (method: string, path: string) => boolean }, all = false): EventComparisonOutput {
    const due = this.pendingClose;
    this.pendingClose = [];
    for (const [id, w] of this.open) {
      if (all || now >= w.start + this.options.windowMs + this.options.graceMs) {
        due.push(w);
        this.open.delete(id);
      }
    }
    const out: EventComparisonOutput = { comparisons: [], samples: [], dropped: this.dropped };
    this.dropped = 0;
    for (const w of due) compareWindow(w, ctx, out);
    return out;
  }

  get openWindows(): number {
    return this.open.size;
  }
}

function compareWindow(w: Window, ctx: { rules: RuleSet; wantsSample: (method: string, path: string) => boolean }, out: EventComparisonOutput): void {
  const L = w.legacy;
  const H = w.hanzod;
  for (const step of align(L.map((e) => e.event), H.map((e) => e.event))) {
    const l = step.legacy === undefined ? undefined : L[step.legacy];
    const h = step.hanzod === undefined ? undefined : H[step.hanzod];
    const anchor = l ?? h;
    if (!anchor) continue;
    let differences: Difference[];
    if (l && h) {
      differences = compareFrames(
        { type: "event", event: l.event, payload: l.payload },
        { type: "event", event: h.event, payload: h.payload },
        rulesFor(ctx.rules, { event: l.event }),
      );
    } else if (l) differences = [{ kind: "missing", path: "/event", expected: l.event, note: "legacy emitted it, hanzod did not (in order, within the window)" }];
    else differences = [{ kind: "extra", path: "/event", actual: anchor.event, note: "hanzod emitted it, legacy did not (in order, within the window)" }];
    const entries = signatureEntries(differences);
    out.comparisons.push({
      at: anchor.at,
      kind: "event",
      method: anchor.event,
      connectionId: anchor.connectionId,
      expectedOk: l !== undefined,
      actualOk: h !== undefined,
      expectedMs: 0,
      // How much later (or earlier) hanzod emitted the same event; informative only.
      actualMs: l && h ? h.at - l.at : null,
      failure: null,
      signature: encodeSignature(entries),
      differenceCount: differences.length,
    });
    for (const entry of entries) {
      if (!ctx.wantsSample(anchor.event, entry.path)) continue;
      out.samples.push({
        at: anchor.at,
        kind: "event",
        method: anchor.event,
        path: entry.path,
        params: undefined,
        expected: l ? { event: l.event, payload: l.payload } : undefined,
        actual: h ? { event: h.event, payload: h.payload } : undefined,
        differences,
      });
    }
  }
}

interface AlignStep {
  legacy?: number;
  hanzod?: number;
}

/** LCS alignment of two name sequences, in order; unmatched items appear as one-sided steps. */
export function align(a: readonly string[], b: readonly string[]): AlignStep[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i]!;
    const below = lcs[i + 1]!;
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? below[j + 1]! + 1 : Math.max(below[j]!, row[j + 1]!);
  }
  const steps: AlignStep[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) steps.push({ legacy: i++, hanzod: j++ });
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) steps.push({ legacy: i++ });
    else steps.push({ hanzod: j++ });
  }
  while (i < n) steps.push({ legacy: i++ });
  while (j < m) steps.push({ hanzod: j++ });
  return steps;
}
