/** The terminal table: per phase, one line per method plus its top differing paths; never over 100 columns. */
import { fit, pair, pct } from "./format.js";
import type { DifferingPath, MethodRow, ParityReport } from "./model.js";

export const TERMINAL_WIDTH = 100;
const PATHS_SHOWN = 5;

const COLS: Array<{ title: string; width: number; right?: boolean }> = [
  { title: "METHOD", width: 24 },
  { title: "ROUTE", width: 9 },
  { title: "CALLS", width: 6, right: true },
  { title: "MATCH", width: 8, right: true },
  { title: "ERR L/H", width: 7, right: true },
  { title: "LEGACY p50/99", width: 13, right: true },
  { title: "HANZOD p50/99", width: 13, right: true },
  { title: "GATE", width: 12 },
];

function line(cells: string[]): string {
  return COLS.map((c, i) => {
    const text = fit(cells[i] ?? "", c.width);
    return c.right ? text.padStart(c.width) : text.padEnd(c.width);
  })
    .join(" ")
    .trimEnd();
}

function methodLine(r: MethodRow): string {
  return line([
    r.method,
    r.route,
    r.shadowCalls > 0 ? String(r.shadowCalls) : "-",
    pct(r.matchRate),
    `${r.errors.legacy}/${r.errors.hanzod}`,
    pair(r.latency.legacy.p50Ms, r.latency.legacy.p99Ms),
    pair(r.latency.hanzod.p50Ms, r.latency.hanzod.p99Ms),
    r.gate ? r.gate.verdict : "",
  ]);
}

function pathLine(label: string, p: DifferingPath): string {
  const tail = ` ${p.kind} ${p.count} (${pct(p.rate, 1)}${p.noiseRate > 0 ? `, noise ${pct(p.noiseRate, 1)}` : ""})`;
  const head = `    ${label} `;
  const room = TERMINAL_WIDTH - head.length - tail.length;
  return `${head}${fit(p.path || "/", Math.max(10, room))}${tail}`.slice(0, TERMINAL_WIDTH);
}

export function renderTerminal(report: ParityReport): string {
  const out: string[] = [];
  const w = report.window;
  out.push(fit(`Parity report ${report.generatedAt}`, TERMINAL_WIDTH));
  out.push(fit(`window: ${w.sinceArg ? `last ${w.sinceArg}` : "everything retained"}${w.firstComparison ? ` (data ${w.firstComparison} .. ${w.lastComparison})` : " (no comparisons)"}`, TERMINAL_WIDTH));
  out.push(fit(`store: ${report.sources.store}`, TERMINAL_WIDTH));
  if (report.sources.checklist) out.push(fit(`checklist: ${report.sources.checklist}`, TERMINAL_WIDTH));
  const c = report.coverage;
  out.push(
    fit(
      `coverage (${c.contractMethods} methods): recorded ${c.recorded}, replay-green ${c.replayGreenLegacy}, ` +
        `in hanzod ${c.implemented ?? "?"}, shadowed ${c.shadowed}, cut over ${c.cutOver}`,
      TERMINAL_WIDTH,
    ),
  );
  const t = report.totals;
  out.push(
    fit(
      `shadow calls ${t.shadowCalls}, match after noise ${pct(t.matchRate)}, noise probes ${t.noiseProbes}, events ${t.eventComparisons}, ` +
        `dropped ${t.droppedObservations}/${t.droppedEvents}`,
      TERMINAL_WIDTH,
    ),
  );
  if (report.phases.length === 0) out.push("", "No shadowed, routed or measured methods yet.");
  for (const group of report.phases) {
    out.push("", group.phase, line(COLS.map((col) => col.title)));
    for (const r of group.methods) {
      out.push(methodLine(r) + (r.belowThreshold ? " !" : ""));
      for (const p of r.topPaths.slice(0, PATHS_SHOWN)) out.push(pathLine("differs", p));
      if (r.topPaths.length > PATHS_SHOWN) out.push(`    ... ${r.topPaths.length - PATHS_SHOWN} more differing paths (--json or --html for all)`);
      if (r.noAnswer > 0) out.push(fit(`    no answer from hanzod: ${r.noAnswer}`, TERMINAL_WIDTH));
      for (const g of r.gate?.checks ?? []) if (g.verdict === "fail") out.push(fit(`    gate ${g.check} fails: ${g.detail}`, TERMINAL_WIDTH));
      for (const g of r.gate?.checks ?? []) {
        if (g.verdict !== "inconclusive") continue;
        const more = g.moreCalls === null || g.moreCalls === undefined ? "" : ` (~${g.moreCalls} more calls)`;
        out.push(fit(`    gate ${g.check} lacks ${g.lacking ?? "evidence"}${more}`, TERMINAL_WIDTH));
      }
    }
  }
  if (report.events.length > 0) {
    out.push("", "events (shadowed families)", `${"EVENT".padEnd(32)} ${"COMPARED".padStart(8)} ${"MATCH".padStart(8)} ${"MISSING".padStart(8)} ${"EXTRA".padStart(8)}`);
    for (const e of report.events) {
      out.push(`${fit(e.event, 32).padEnd(32)} ${String(e.compared).padStart(8)} ${pct(e.matchRate).padStart(8)} ${String(e.missing).padStart(8)} ${String(e.extra).padStart(8)}`);
      for (const p of e.topPaths.slice(0, PATHS_SHOWN)) if (p.path !== "/event") out.push(pathLine("differs", p));
    }
  }
  if (report.failUnderPercent !== null) {
    out.push("", report.failing.length === 0 ? `fail-under ${report.failUnderPercent}%: ok` : fit(`fail-under ${report.failUnderPercent}%: below: ${report.failing.join(", ")}`, TERMINAL_WIDTH));
  }
  return out.map((l) => l.slice(0, TERMINAL_WIDTH)).join("\n") + "\n";
}
