/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, a few lines of inline script,
 * no external assets) that opens from disk. Everything is rendered statically so it reads the same
 * with scripts off; the script only adds the filter box.
 */
import { pct, pair, ms } from "./format.js";
import { jsonLines } from "./json-lines.js";
import type { MethodRow, ParityReport, SampleView } from "./model.js";

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

/** Grouped horizontal bars: p50 and p99 of legacy and hanzod per method, on one shared scale. */
function latencyChart(rows: readonly MethodRow[]): string {
  const data = rows.filter((r) => r.latency.legacy.p99Ms !== null || r.latency.hanzod.p99Ms !== null);
  if (data.length === 0) return "<p>No latency samples in this window.</p>";
  const max = Math.max(...data.flatMap((r) => [r.latency.legacy.p99Ms ?? 0, r.latency.hanzod.p99Ms ?? 0, r.latency.legacy.p50Ms ?? 0, r.latency.hanzod.p50Ms ?? 0]), 0.001);
  const label = 200;
  const plot = 420;
  const rowH = 34;
  const height = data.length * rowH + 30;
  const parts: string[] = [`<svg class="latency" width="${label + plot + 90}" height="${height}" role="img" aria-label="latency p50 and p99, legacy vs hanzod">`];
  data.forEach((r, i) => {
    const y = 20 + i * rowH;
    parts.push(`<text x="0" y="${y + 14}" font-size="12">${h(r.method)}</text>`);
    const bars: Array<[string, number | null, number | null, string]> = [
      ["legacy", r.latency.legacy.p50Ms, r.latency.legacy.p99Ms, "#1565c0"],
      ["hanzod", r.latency.hanzod.p50Ms, r.latency.hanzod.p99Ms, "#ef6c00"],
    ];
    bars.forEach(([name, p50, p99, color], j) => {
      const by = y + j * 14;
      if (p99 !== null) parts.push(`<rect x="${label}" y="${by}" width="${((p99 / max) * plot).toFixed(1)}" height="12" fill="${color}" opacity="0.35"><title>${name} p99 ${h(ms(p99))} ms</title></rect>`);
      if (p50 !== null) parts.push(`<rect x="${label}" y="${by}" width="${((p50 / max) * plot).toFixed(1)}" height="12" fill="${color}"><title>${name} p50 ${h(ms(p50))} ms</title></rect>`);
      parts.push(`<text x="${label + plot + 6}" y="${by + 10}" font-size="11">${name} ${h(pair(p50, p99))}</text>`);
    });
  });
  parts.push(`<text x="${label}" y="12" font-size="11" fill="#555">0 .. ${h(ms(max))} ms (solid p50, light p99)</text></svg>`);
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
    ? `<span class="gate ${h(r.gate.verdict)}" title="${h(r.gate.checks.map((c) => `${c.check}: ${c.verdict}: ${c.detail}`).join("\n"))}">${h(r.gate.verdict)}</span>`
    : "";
  return (
    `<tr class="method${r.belowThreshold ? " below" : ""}" data-method="${h(r.method)}">` +
    `<td class="name">${h(r.method)}</td><td>${h(r.route)}</td><td class="num">${r.shadowCalls}</td>` +
    `<td class="num">${h(pct(r.matchRate))} ${matchBar(r.matchRate)}</td>` +
    `<td class="num">${r.errors.legacy}/${r.errors.hanzod}${r.noAnswer > 0 ? ` (${r.noAnswer} no answer)` : ""}</td>` +
    `<td class="num">${h(pair(r.latency.legacy.p50Ms, r.latency.legacy.p99Ms))}</td><td class="num">${h(pair(r.latency.hanzod.p50Ms, r.latency.hanzod.p99Ms))}</td>` +
    `<td>${paths ? `<ul class="paths">${paths}</ul>` : ""}${noise ? `<details><summary>noise (${r.noisePaths.length})</summary><ul>${noise}</ul></details>` : ""}</td>` +
    `<td>${gate}</td><td class="cov">${[r.coverage.recorded ? "rec" : "", r.coverage.replayGreenLegacy ? "replay" : "", r.coverage.implemented ? "impl" : ""].filter(Boolean).join(" ")}</td></tr>`
  );
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
  const phases = report.phases
    .map(
      (g) =>
        `<h2>${h(g.phase)}</h2><table class="methods"><thead><tr><th>method</th><th>route</th><th>shadow calls</th><th>match after noise</th>` +
        `<th>errors L/H</th><th>legacy p50/p99 ms</th><th>hanzod p50/p99 ms</th><th>top differing paths</th><th>gate</th><th>coverage</th></tr></thead>` +
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
<input id="filter" type="search" placeholder="filter methods">
${phases || "<p>No shadowed, routed or measured methods yet.</p>"}
<h2>Latency</h2>${latencyChart(allRows)}
${events}
<h2>Mismatch samples</h2>${samples}
<script type="application/json" id="report-data">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
