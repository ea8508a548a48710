/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, a few lines of inline script,
 * no external assets) that opens from disk. Everything is rendered statically so it reads the same
 * with scripts off; the script only adds the filter box.
 */
import { pct, pair, ms } from "./format.js";
import { jsonLines } from "./json-lines.js";
import type { MapPhase, MethodRow, ParityReport, SampleView, SeriesPoint } from "./model.js";
import type { GateCheck, RateEvidence, ShiftEvidence } from "../gates/types.js";

function h(text: unknown): string {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function matchBar(rate: number | null): string {
  const w = 120;
  if (rate === null) return `<svg class="bar" width="${w}" height="12" role="img" aria-label="no data"><rect width="${w}" height="12" fill="#eee"/></svg>`;
  const filled = Math.round(rate * w);
  const color = rate >= 0.999 ? "#2e7d32" : rate >= 0.99 ? "#f9a825" : "#c62828";
  return (
    `<svg class="bar" width="${w}" height="12" role="img" aria-label="match ${h(pct(rate))}">` +
    `<rect width="${w}" height="12" fill="#f3d6d6"/><rect width="${filled}" height="12" fill="${color}"/></svg>`
  );
}

/** Decade ticks covering [lo, hi] (ms). */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); Math.pow(10, e) <= hi * 1.0001; e++) out.push(Math.pow(10, e));
  return out;
}

/**
 * Grouped horizontal bars: p50 and p99 of legacy and hanzod per method, on one shared logarithmic scale,
 * so a 0.08 ms row and a 566 ms row are both readable.
 */
function latencyChart(rows: readonly MethodRow[]): string {
  const data = rows.filter((r) => r.latency.legacy.p99Ms !== null || r.latency.hanzod.p99Ms !== null);
  if (data.length === 0) return "<p>No latency samples in this window.</p>";
  const values = data.flatMap((r) => [r.latency.legacy.p99Ms, r.latency.hanzod.p99Ms, r.latency.legacy.p50Ms, r.latency.hanzod.p50Ms]).filter((v): v is number => v !== null && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, lo * 10))));
  const label = 200;
  const plot = 420;
  const rowH = 34;
  const top = 28;
  const height = data.length * rowH + top + 6;
  const x = (v: number): number => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plot;
  const parts: string[] = [`<svg class="latency" data-scale="log" width="${label + plot + 110}" height="${height}" role="img" aria-label="latency p50 and p99, legacy vs hanzod, logarithmic scale">`];
  for (const t of decades(lo, hi)) {
    const tx = (label + x(t)).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${height}" stroke="#ddd"/><text class="tick" x="${tx}" y="${top - 10}" font-size="10" text-anchor="middle" fill="#555">${t >= 1000 ? `${t / 1000}s` : String(t)}</text>`);
  }
  data.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="0" y="${y + 14}" font-size="12">${h(r.method)}</text>`);
    const bars: Array<[string, number | null, number | null, string]> = [
      ["legacy", r.latency.legacy.p50Ms, r.latency.legacy.p99Ms, "#1565c0"],
      ["hanzod", r.latency.hanzod.p50Ms, r.latency.hanzod.p99Ms, "#ef6c00"],
    ];
    bars.forEach(([name, p50, p99, color], j) => {
      const by = y + j * 14;
      if (p99 !== null) parts.push(`<rect class="p99" x="${label}" y="${by}" width="${Math.max(1, x(p99)).toFixed(1)}" height="12" fill="${color}" opacity="0.35"><title>${name} p99 ${h(ms(p99))} ms</title></rect>`);
      if (p50 !== null) parts.push(`<rect class="p50" x="${label}" y="${by}" width="${Math.max(1, x(p50)).toFixed(1)}" height="12" fill="${color}"><title>${name} p50 ${h(ms(p50))} ms</title></rect>`);
      parts.push(`<text x="${label + plot + 6}" y="${by + 10}" font-size="11">${name} ${h(pair(p50, p99))}</text>`);
    });
  });
  parts.push(`<text x="0" y="10" font-size="11" fill="#555">ms, log scale (solid p50, light p99)</text></svg>`);
  return parts.join("");
}

function diffPointers(s: SampleView): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(s.differences)) {
    for (const d of s.differences as Array<{ path?: unknown }>) if (typeof d?.path === "string") out.add(d.path);
  }
  return out;
}

/** The side of a sample as shown: the payload (or error) the pointers of the differences refer to. */
function shown(side: unknown): unknown {
  if (side && typeof side === "object") {
    const o = side as Record<string, unknown>;
    if ("payload" in o && o.ok === true) return o.payload;
    if ("error" in o) return { error: o.error };
    if ("event" in o) return o.payload;
  }
  return side;
}

function sideHtml(value: unknown, marks: Set<string>): string {
  const lines = jsonLines(shown(value));
  return lines
    .map((l) => {
      const hit = marks.has(l.pointer) || [...marks].some((m) => m !== "" && m !== "/" && l.pointer.startsWith(m + "/"));
      return `<span class="${hit ? "ln diff" : "ln"}">${h(l.text)}</span>`;
    })
    .join("\n");
}

function sampleHtml(s: SampleView): string {
  const marks = diffPointers(s);
  const diffs = Array.isArray(s.differences) ? (s.differences as Array<Record<string, unknown>>) : [];
  const list = diffs
    .slice(0, 20)
    .map((d) => `<li><code>${h(d.kind)}</code> <code>${h(d.path || "/")}</code>${"expected" in d ? ` legacy <code>${h(JSON.stringify(d.expected))}</code>` : ""}${"actual" in d ? ` hanzod <code>${h(JSON.stringify(d.actual))}</code>` : ""}${d.note ? ` <em>${h(d.note)}</em>` : ""}</li>`)
    .join("");
  return (
    `<section class="sample" data-method="${h(s.method)}" data-path="${h(s.path)}">` +
    `<h3>${h(s.method)} <code>${h(s.path || "/")}</code> <small>${h(s.kind)} · ${h(s.at)}</small></h3>` +
    (s.params !== undefined ? `<p class="params">params <code>${h(JSON.stringify(s.params))}</code></p>` : "") +
    `<ul class="diffs">${list}</ul>` +
    `<div class="sbs"><div><h4>legacy</h4><pre class="expected">${sideHtml(s.expected, marks)}</pre></div>` +
    `<div><h4>hanzod</h4><pre class="actual">${sideHtml(s.actual, marks)}</pre></div></div></section>`
  );
}

function methodRowHtml(r: MethodRow): string {
  const paths = r.topPaths.slice(0, 10).map((p) => `<li><code>${h(p.path || "/")}</code> ${h(p.kind)} ${p.count} (${h(pct(p.rate, 1))})</li>`).join("");
  const noise = r.noisePaths.map((p) => `<li><code>${h(p.path || "/")}</code> ${h(p.kind)} noise ${h(pct(p.noiseRate, 0))}</li>`).join("");
  const gate = r.gate
    ? `<a href="#${anchor(r.method)}" class="gate ${h(r.gate.verdict)}" title="${h(r.gate.checks.map((c) => `${c.check}: ${c.verdict}: ${c.detail}`).join("\n"))}">${h(r.gate.verdict)}</a>`
    : "";
  return (
    `<tr class="method${r.belowThreshold ? " below" : ""}" data-method="${h(r.method)}">` +
    `<td class="name">${h(r.method)}</td><td>${h(r.route)}</td><td class="num">${r.shadowCalls}</td>` +
    `<td class="num">${h(pct(r.matchRate))} ${matchBar(r.matchRate)}</td>` +
    `<td class="num">${r.errors.legacy}/${r.errors.hanzod}${r.noAnswer > 0 ? ` (${r.noAnswer} no answer)` : ""}</td>` +
    `<td class="num">${h(pair(r.latency.legacy.p50Ms, r.latency.legacy.p99Ms))}</td><td class="num">${h(pair(r.latency.hanzod.p50Ms, r.latency.hanzod.p99Ms))}</td>` +
    `<td class="num shift">${r.latency.shift ? `${h(ms(r.latency.shift.estimateMs))}${r.latency.shift.lowMs !== null ? ` <small>[${h(ms(r.latency.shift.lowMs))}, ${h(ms(r.latency.shift.highMs))}]</small>` : ""}` : "-"}</td>` +
    `<td>${paths ? `<ul class="paths">${paths}</ul>` : ""}${noise ? `<details><summary>noise (${r.noisePaths.length})</summary><ul>${noise}</ul></details>` : ""}</td>` +
    `<td>${gate}</td><td class="cov">${[r.coverage.recorded ? "rec" : "", r.coverage.replayGreenLegacy ? "replay" : "", r.coverage.implemented ? "impl" : ""].filter(Boolean).join(" ")}</td></tr>`
  );
}

/** A cell's colour: the route's hue, its shade and pattern by the gate's verdict (legend in the page). */
function cellClass(route: string, verdict: string | null): string {
  const r = route.startsWith("canary:") ? (route === "canary:0" ? "shadow" : "canary") : route;
  return `cell r-${r} v-${verdict ?? "none"}`;
}

function anchor(method: string): string {
  return `m-${method.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** Every contract method as one square, grouped by phase. */
function migrationMap(map: readonly MapPhase[], detailed: ReadonlySet<string>): string {
  const groups = map
    .map((g) => {
      const moved = g.cells.filter((c) => c.route !== "legacy").length;
      const cells = g.cells
        .map((c) => {
          const title = `${c.method}: ${c.route}${c.verdict ? `, gate ${c.verdict}` : ""}${c.matchRate !== null ? `, match ${pct(c.matchRate)}` : ""}${c.implemented === false ? ", not in hanzod" : ""}`;
          const inner = `<span class="${cellClass(c.route, c.verdict)}${c.implemented ? " impl" : ""}" data-method="${h(c.method)}" data-route="${h(c.route)}" data-verdict="${h(c.verdict ?? "none")}" title="${h(title)}"></span>`;
          return detailed.has(c.method) ? `<a href="#${anchor(c.method)}">${inner}</a>` : inner;
        })
        .join("");
      return `<div class="phase-map" data-phase="${h(g.phase)}"><h3>${h(g.phase)} <small>${moved} of ${g.cells.length} off legacy</small></h3><div class="cells">${cells}</div></div>`;
    })
    .join("");
  const legend =
    `<p class="legend">` +
    [
      ["legacy", null, "legacy"],
      ["legacy", null, "legacy, hanzod implements it", " impl"],
      ["shadow", "pass", "shadow, gate passes"],
      ["shadow", "inconclusive", "shadow, gate inconclusive"],
      ["shadow", "fail", "shadow, gate fails"],
      ["canary", "pass", "canary"],
      ["hanzod", null, "cut over to hanzod"],
    ]
      .map(([route, verdict, text, extra]) => `<span><span class="${cellClass(route!, verdict ?? null)}${extra ?? ""}"></span> ${h(text)}</span>`)
      .join("") +
    `</p>`;
  return `<section class="map">${legend}${groups}</section>`;
}

/** Symmetric log scale for shifts: linear near zero (within `c` ms), logarithmic beyond, so 0.05 ms and 500 ms both read. */
function symlog(v: number, c = 0.1): number {
  return Math.sign(v) * Math.log10(1 + Math.abs(v) / c);
}

/** One latency check's evidence: the interval of the shift against the tolerance line, on a symlog axis. */
function intervalChart(e: ShiftEvidence, verdict: string): string {
  const w = 360;
  const hgt = 44;
  const pad = 12;
  const extent = Math.max(Math.abs(e.estimateMs), Math.abs(e.lowMs ?? 0), Math.abs(e.highMs ?? 0), Math.abs(e.toleranceMs), 0.1) * 1.2;
  const f = symlog(extent);
  const x = (v: number): number => pad + ((symlog(v) / f + 1) / 2) * (w - 2 * pad);
  const ticks = [-extent, 0, extent].concat(e.toleranceMs > 0 ? [e.toleranceMs] : []);
  const parts = [
    `<svg class="interval v-${h(verdict)}" width="${w}" height="${hgt}" role="img" aria-label="shift ${h(ms(e.estimateMs))} ms, interval ${h(ms(e.lowMs))} .. ${h(ms(e.highMs))}, tolerance ${h(ms(e.toleranceMs))}">`,
    `<rect x="${x(e.toleranceMs).toFixed(1)}" y="4" width="${(w - pad - x(e.toleranceMs)).toFixed(1)}" height="22" fill="#fdecea"><title>slower than the tolerance</title></rect>`,
    `<line x1="${x(0).toFixed(1)}" y1="2" x2="${x(0).toFixed(1)}" y2="28" stroke="#999"/>`,
    `<line class="tolerance" x1="${x(e.toleranceMs).toFixed(1)}" y1="2" x2="${x(e.toleranceMs).toFixed(1)}" y2="28" stroke="#c62828" stroke-dasharray="3 2"/>`,
  ];
  if (e.lowMs !== null && e.highMs !== null) parts.push(`<rect class="ci" x="${x(e.lowMs).toFixed(1)}" y="11" width="${Math.max(2, x(e.highMs) - x(e.lowMs)).toFixed(1)}" height="8" fill="#455a64" opacity="0.55"/>`);
  parts.push(`<circle class="estimate" cx="${x(e.estimateMs).toFixed(1)}" cy="15" r="4" fill="#263238"/>`);
  for (const t of ticks) parts.push(`<text x="${x(t).toFixed(1)}" y="40" font-size="10" text-anchor="middle" fill="#555">${t > 0 && t !== extent ? "tol " : ""}${h(ms(t))}</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

function rateChart(e: RateEvidence, threshold: number): string {
  const w = 360;
  const pad = 12;
  // Zoom on the part of 0..1 that matters: from a bit under the lowest of low/threshold up to 1.
  const floor = Math.max(0, Math.min(e.low, threshold) - (1 - Math.min(e.low, threshold)) * 0.5);
  const x = (v: number): number => pad + ((v - floor) / (1 - floor)) * (w - 2 * pad);
  return (
    `<svg class="interval rate" width="${w}" height="44" role="img" aria-label="match ${h(pct(e.rate))}, interval ${h(pct(e.low))} .. ${h(pct(e.high))}">` +
    `<rect x="${pad}" y="4" width="${(x(threshold) - pad).toFixed(1)}" height="22" fill="#fdecea"/>` +
    `<line class="threshold" x1="${x(threshold).toFixed(1)}" y1="2" x2="${x(threshold).toFixed(1)}" y2="28" stroke="#c62828" stroke-dasharray="3 2"/>` +
    `<rect class="ci" x="${x(e.low).toFixed(1)}" y="11" width="${Math.max(2, x(e.high) - x(e.low)).toFixed(1)}" height="8" fill="#455a64" opacity="0.55"/>` +
    `<circle class="estimate" cx="${x(e.rate).toFixed(1)}" cy="15" r="4" fill="#263238"/>` +
    `<text x="${pad}" y="40" font-size="10" fill="#555">${h(pct(floor))}</text><text x="${x(threshold).toFixed(1)}" y="40" font-size="10" text-anchor="middle" fill="#c62828">need ${h(pct(threshold))}</text><text x="${w - pad}" y="40" font-size="10" text-anchor="end" fill="#555">100%</text></svg>`
  );
}

function checkHtml(c: GateCheck): string {
  const chart = c.evidence?.kind === "shift" ? intervalChart(c.evidence, c.verdict) : c.evidence?.kind === "rate" && typeof c.threshold === "number" ? rateChart(c.evidence, c.threshold) : "";
  const missing =
    c.verdict === "inconclusive" && c.lacking
      ? `<div class="lacking">lacks: ${h(c.lacking)}${c.moreCalls === null || c.moreCalls === undefined ? "" : ` · about ${c.moreCalls.toLocaleString("en-US")} more calls would settle it`}</div>`
      : "";
  return `<li class="check v-${h(c.verdict)}" data-check="${h(c.check)}"><span class="gate ${h(c.verdict)}">${h(c.verdict)}</span> <b>${h(c.check)}</b> ${h(c.detail)}${missing}${chart}</li>`;
}

/** A small line chart over the window's buckets. `y` maps a point to [0,1] (null = gap). */
function sparkline(points: readonly SeriesPoint[], cls: string, label: string, y: (p: SeriesPoint) => number | null, band?: (p: SeriesPoint) => [number, number] | null, ref?: number): string {
  const w = 360;
  const hgt = 70;
  const pad = 6;
  if (points.length === 0) return "";
  const step = points.length > 1 ? (w - 2 * pad) / (points.length - 1) : 0;
  const px = (i: number): number => pad + (points.length > 1 ? i * step : (w - 2 * pad) / 2);
  const py = (v: number): number => hgt - pad - v * (hgt - 2 * pad);
  const parts = [`<svg class="series ${cls}" width="${w}" height="${hgt}" role="img" aria-label="${h(label)}"><rect width="${w}" height="${hgt}" fill="#fafafa"/>`];
  if (ref !== undefined) parts.push(`<line x1="0" x2="${w}" y1="${py(ref).toFixed(1)}" y2="${py(ref).toFixed(1)}" stroke="#999" stroke-dasharray="2 2"/>`);
  if (band) {
    points.forEach((p, i) => {
      const b = band(p);
      if (b) parts.push(`<line x1="${px(i).toFixed(1)}" x2="${px(i).toFixed(1)}" y1="${py(b[0]).toFixed(1)}" y2="${py(b[1]).toFixed(1)}" stroke="#90a4ae" stroke-width="5" opacity="0.6"/>`);
    });
  }
  let path = "";
  points.forEach((p, i) => {
    const v = y(p);
    if (v === null) return;
    path += `${path === "" ? "M" : "L"}${px(i).toFixed(1)},${py(v).toFixed(1)}`;
    parts.push(`<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="#37474f"><title>${h(p.at)}</title></circle>`);
  });
  if (path) parts.push(`<path d="${path}" fill="none" stroke="#37474f" stroke-width="1.5"/>`);
  parts.push(`<text x="4" y="12" font-size="10" fill="#555">${h(label)}</text></svg>`);
  return parts.join("");
}

function seriesHtml(r: MethodRow): string {
  const pts = r.series;
  if (pts.length === 0) return "";
  const rates = pts.map((p) => p.matchRate).filter((v): v is number => v !== null);
  const lowRate = Math.min(...rates, 0.99);
  const rateY = (v: number): number => Math.max(0, (v - lowRate) / (1 - lowRate || 1));
  const match = sparkline(pts, "match", `match after noise over time (${pct(lowRate, 1)} .. 100%)`, (p) => (p.matchRate === null ? null : rateY(p.matchRate)));
  const shifts = pts.flatMap((p) => [p.shiftMs, p.lowMs, p.highMs]).filter((v): v is number => v !== null);
  if (shifts.length === 0) return `<div class="trend">${match}</div>`;
  const extent = symlog(Math.max(...shifts.map(Math.abs), 0.1) * 1.2);
  const sy = (v: number): number => (symlog(v) / extent + 1) / 2;
  const shift = sparkline(
    pts,
    "shift",
    `latency shift hanzod - legacy over time (symlog, 0 dashed; +/-${ms(Math.max(...shifts.map(Math.abs)))} ms)`,
    (p) => (p.shiftMs === null ? null : sy(p.shiftMs)),
    (p) => (p.lowMs === null || p.highMs === null ? null : [sy(p.lowMs), sy(p.highMs)]),
    0.5,
  );
  return `<div class="trend">${match}${shift}</div>`;
}

function methodDetail(r: MethodRow): string {
  const gate = r.gate
    ? `<p>Gate for <code>${h(r.route)}</code> &rarr; <code>${h(r.gate.target)}</code>: <span class="gate ${h(r.gate.verdict)}">${h(r.gate.verdict)}</span></p><ul class="evidence">${r.gate.checks.map(checkHtml).join("")}</ul>`
    : r.latency.shift
      ? `<p>Latency shift hanzod - legacy: ${h(ms(r.latency.shift.estimateMs))} ms (95% interval ${h(ms(r.latency.shift.lowMs))} .. ${h(ms(r.latency.shift.highMs))})</p>`
      : "";
  return `<section class="method-detail" id="${anchor(r.method)}" data-method="${h(r.method)}"><h3>${h(r.method)} <small>${h(r.phase)} · ${h(r.route)} · ${r.shadowCalls} shadow calls</small></h3>${gate}${seriesHtml(r)}</section>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:16px}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}
tr.below td{background:#fff3f3}
ul{margin:0;padding-left:16px}
.gate.pass{color:#2e7d32}.gate.fail{color:#c62828}.gate.inconclusive{color:#8d6e00}
.sbs{display:grid;grid-template-columns:1fr 1fr;gap:8px}
pre{background:#f7f7f7;padding:6px;overflow:auto;max-height:420px;font-size:12px}
.ln.diff{background:#ffe0b2;display:inline-block;width:100%}
.summary span{margin-right:16px}
input#filter{margin:8px 0;padding:4px;width:260px}
.map .cells{display:flex;flex-wrap:wrap;gap:2px;max-width:880px}
.phase-map h3{margin:10px 0 4px;font-size:14px}
.cell{display:inline-block;width:14px;height:14px;border-radius:2px;box-sizing:border-box;vertical-align:middle}
.cell.r-legacy{background:#cfd8dc}.cell.r-legacy.impl{background:#90a4ae}
.cell.r-shadow{background:#64b5f6}.cell.r-canary{background:#ba68c8}.cell.r-hanzod{background:#2e7d32}
.cell.v-pass{box-shadow:inset 0 0 0 2px #1b5e20}
.cell.v-fail{background-image:linear-gradient(45deg,transparent 40%,#c62828 40%,#c62828 60%,transparent 60%);box-shadow:inset 0 0 0 2px #c62828}
.cell.v-inconclusive{background-image:repeating-linear-gradient(45deg,transparent 0 3px,rgba(255,255,255,.7) 3px 5px)}
.legend>span{margin-right:14px;white-space:nowrap}
.evidence{list-style:none;padding:0}.evidence li{margin:6px 0}
.lacking{color:#8d6e00;margin:2px 0 2px 0}
svg.interval,svg.series{display:block;margin:2px 0}
.trend{display:flex;gap:12px;flex-wrap:wrap}
.method-detail{border-top:1px solid #eee;padding-top:6px}
`;

const SCRIPT = `
document.getElementById("filter").addEventListener("input", function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll("[data-method]").forEach(function (el) {
    el.style.display = el.getAttribute("data-method").toLowerCase().indexOf(q) >= 0 ? "" : "none";
  });
});
`;

export function renderHtml(report: ParityReport): string {
  const c = report.coverage;
  const t = report.totals;
  const allRows = report.phases.flatMap((g) => g.methods);
  const detailRows = allRows.filter((r) => r.gate !== null || r.series.length > 0 || r.latency.shift !== null);
  const detailed = new Set(detailRows.map((r) => r.method));
  const phases = report.phases
    .map(
      (g) =>
        `<h2>${h(g.phase)}</h2><table class="methods"><thead><tr><th>method</th><th>route</th><th>shadow calls</th><th>match after noise</th>` +
        `<th>errors L/H</th><th>legacy p50/p99 ms</th><th>hanzod p50/p99 ms</th><th>shift ms [95%]</th><th>top differing paths</th><th>gate</th><th>coverage</th></tr></thead>` +
        `<tbody>${g.methods.map(methodRowHtml).join("")}</tbody></table>`,
    )
    .join("");
  const events =
    report.events.length === 0
      ? ""
      : `<h2>Events</h2><table class="events"><thead><tr><th>event</th><th>compared</th><th>match</th><th>missing in hanzod</th><th>extra in hanzod</th></tr></thead><tbody>` +
        report.events.map((e) => `<tr data-method="${h(e.event)}"><td>${h(e.event)}</td><td class="num">${e.compared}</td><td class="num">${h(pct(e.matchRate))} ${matchBar(e.matchRate)}</td><td class="num">${e.missing}</td><td class="num">${e.extra}</td></tr>`).join("") +
        `</tbody></table>`;
  const samples = report.samples.length === 0 ? "<p>No mismatch samples.</p>" : report.samples.map(sampleHtml).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hanzonode parity report ${h(report.generatedAt)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>Parity report</h1>
<p>${h(report.generatedAt)} · window ${h(report.window.sinceArg ? `last ${report.window.sinceArg}` : "everything retained")} · store <code>${h(report.sources.store)}</code>${report.sources.checklist ? ` · checklist <code>${h(report.sources.checklist)}</code>` : ""}</p>
<p class="summary"><span>shadow calls <b id="total-calls">${t.shadowCalls}</b></span><span>match after noise <b>${h(pct(t.matchRate))}</b></span><span>noise probes ${t.noiseProbes}</span><span>event comparisons ${t.eventComparisons}</span><span>dropped ${t.droppedObservations}/${t.droppedEvents}</span></p>
<p class="summary">Coverage of ${c.contractMethods} contract methods: <span>recorded ${c.recorded}</span><span>replay-green legacy ${c.replayGreenLegacy}</span><span>implemented in hanzod ${c.implemented ?? "unknown"}</span><span>shadowed ${c.shadowed}</span><span>cut over ${c.cutOver}</span></p>
${report.instances.length > 1 ? `<p class="summary instances">fleet: ${report.instances.map((i) => `<span data-instance="${h(i.instance)}">${h(i.instance)} ${i.comparisons}</span>`).join("")}</p>` : ""}
<h2>Migration map</h2>${migrationMap(report.map, detailed)}
<input id="filter" type="search" placeholder="filter methods">
${phases || "<p>No shadowed, routed or measured methods yet.</p>"}
<h2>Evidence per method</h2>${detailRows.map(methodDetail).join("") || "<p>No method has a gate or latency evidence yet.</p>"}
<h2>Latency</h2>${latencyChart(allRows)}
${events}
<h2>Mismatch samples</h2>${samples}
<script type="application/json" id="report-data">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
