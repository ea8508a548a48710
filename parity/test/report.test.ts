/**
 * The report from a store filled with real answers: legacy (the shared real gateway) vs a real hanzod
 * with its test-only switch altering `status`, through the real sink. Terminal width, the JSON
 * format, --fail-under, and the HTML report rendered by headless Chromium.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_RULES } from "../compare/index.js";
import { ParityShadowSink } from "../shadow/sink.js";
import { DiffStore } from "../store/diff-store.js";
import type { BackendAnswer } from "../shadow-sink.js";
import { REPORT_FORMAT_VERSION, type ParityReport } from "../report/model.js";
import { runHanzonode } from "./support/cli.js";
import { ARTIFACTS_DIR, dumpDom, ensureChromium, screenshot } from "./support/chromium.js";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { HANZOD_TOKEN, startTestHanzod, tempDir, writeChecklist, type TempDir } from "./support/env.js";
import { connectRawClient, type TimedResponse } from "./support/raw-client.js";

const legacy = inject("legacy");

function answer(r: TimedResponse): BackendAnswer {
  const a: BackendAnswer = { ok: r.frame.ok, latencyMs: r.latencyMs };
  if (r.frame.payload !== undefined) a.payload = r.frame.payload;
  if (r.frame.error !== undefined) a.error = r.frame.error;
  return a;
}

// The CLI runs under tsx: 10-25 s a run on a loaded two-core machine, up to three runs a test.
describe("parity report", { timeout: 180_000 }, () => {
  let dir: TempDir;
  let storePath: string;
  let checklist: string;

  beforeAll(async () => {
    dir = tempDir("parity-report-");
    storePath = dir.file("parity.sqlite");
    checklist = dir.file("checklist.yaml");
    writeChecklist(checklist, ["version: 1", "methods:", "  status: shadow", "  system-presence: shadow", "  health: hanzod"]);
    const hanzod = await startTestHanzod({ status: { "/extraField": "<injected & escaped>" } });
    const sink = new ParityShadowSink({ store: DiffStore.open(storePath), ownsStore: true, rules: () => DEFAULT_RULES });
    const l = await connectRawClient(legacy.url, legacy.token);
    const h = await connectRawClient(hanzod.url, HANZOD_TOKEN);
    try {
      for (let i = 0; i < 6; i++) {
        for (const method of ["status", "system-presence"]) {
          const expected = answer(await l.call(method, {}));
          const actual = answer(await h.call(method, {}));
          sink.submit({ kind: "shadow", at: Date.now(), method, connectionId: "c1", requestId: `${method}-${i}`, params: {}, expected, actual });
          sink.recordLatency(method, "legacy", expected.latencyMs, expected.ok);
        }
        const health = await h.call("health", {});
        sink.recordLatency("health", "hanzod", health.latencyMs, health.frame.ok);
      }
    } finally {
      await l.close();
      await h.close();
      await sink.close();
      await hanzod.close();
    }
  });
  afterAll(() => dir?.dispose());

  it("--json is the documented format, with shadowed and routed rows and coverage", async () => {
    const r = await runHanzonode(["parity", "report", "--json", "--store", storePath, "--checklist", checklist, "--since", "1h"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ParityReport;
    expect(report.formatVersion).toBe(REPORT_FORMAT_VERSION);
    expect(Object.keys(report)).toEqual(["format", "formatVersion", "generatedAt", "window", "sources", "noiseThresholds", "failUnderPercent", "totals", "coverage", "phases", "events", "samples", "failing", "map", "seriesBucketMs", "instances"]);
    expect(report.window.sinceArg).toBe("1h");
    const rows = report.phases.flatMap((p) => p.methods);
    const status = rows.find((m) => m.method === "status")!;
    expect(status).toMatchObject({ phase: "phase1", route: "shadow", shadowCalls: 6, matchRate: 0 });
    expect(status.topPaths.map((p) => p.path)).toContain("/extraField");
    const health = rows.find((m) => m.method === "health")!;
    expect(health).toMatchObject({ route: "hanzod", shadowCalls: 0, matchRate: null });
    expect(health.latency.source).toBe("routed");
    expect(health.latency.hanzod.n).toBe(6);
    expect(report.coverage).toMatchObject({ contractMethods: 410, shadowed: 2, cutOver: 1 });
    // hanzod's own method table says which methods it implements.
    expect(report.coverage.implemented).toBeGreaterThanOrEqual(4);
    expect(report.samples.some((s) => s.method === "status" && s.path === "/extraField")).toBe(true);
    // The map: every contract method once, by phase, with its route and the gate's verdict.
    const cells = report.map.flatMap((g) => g.cells);
    expect(cells).toHaveLength(410);
    expect(new Set(cells.map((c) => c.method)).size).toBe(410);
    expect(cells.find((c) => c.method === "status")).toMatchObject({ route: "shadow", verdict: "inconclusive", matchRate: 0 });
    expect(cells.find((c) => c.method === "health")).toMatchObject({ route: "hanzod", verdict: null });
    // Per method, the evidence over time and the shift with its interval.
    expect(status.series.reduce((n, p) => n + p.calls, 0)).toBe(6);
    expect(status.series.every((p) => p.matchRate === 0)).toBe(true);
    expect(status.latency.shift).not.toBeNull();
    const mr = status.gate!.checks.find((c) => c.check === "match-rate")!;
    expect(mr.verdict).toBe("inconclusive");
    expect(mr.lacking).toBeTruthy();
  });

  it("the terminal table fits 100 columns and --fail-under fails only for shadowed/cut-over methods under it", async () => {
    const r = await runHanzonode(["parity", "report", "--store", storePath, "--checklist", checklist]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(lines.some((l) => /^status\s+shadow\s+6\s+0\.00%/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("differs /extraField extra 6 (100.0%)"))).toBe(true);

    const under = await runHanzonode(["parity", "report", "--store", storePath, "--checklist", checklist, "--fail-under", "99"]);
    expect(under.code).toBe(1);
    expect(under.stderr).toMatch(/below 99%: .*status/);
    const zero = await runHanzonode(["parity", "report", "--store", storePath, "--checklist", checklist, "--fail-under", "0"]);
    expect(zero.code).toBe(0);
  });

  it("a missing store is a clear error, not an empty report", async () => {
    const r = await runHanzonode(["parity", "report", "--store", dir.file("missing.sqlite")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no parity store at");
  });

  it("the HTML report is one self-contained file whose table and side-by-side diffs render in headless Chromium", async () => {
    const html = dir.file("report.html");
    const r = await runHanzonode(["parity", "report", "--html", html, "--store", storePath, "--checklist", checklist]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(html, "utf8");
    // Self-contained: no external scripts, styles, images or fonts.
    expect(text).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(text).not.toMatch(/url\(\s*['"]?https?:/i);

    const chromium = ensureChromium();
    const dom = await dumpDom(chromium, html);
    expect(dom).toMatch(/<tr class="method" data-method="status">/);
    expect(dom).toMatch(/<tr class="method" data-method="health">/);
    expect(dom).toContain('<svg class="bar"');
    expect(dom).toContain('<svg class="latency" data-scale="log"');
    // The map: 410 cells grouped by phase, coloured by route and verdict.
    expect(dom.match(/<span class="cell r-[a-z]+ v-[a-z]+[^"]*" data-method=/g)?.length).toBe(410);
    expect(dom).toMatch(/<span class="cell r-shadow v-inconclusive[^"]*" data-method="status"/);
    expect(dom).toMatch(/<span class="cell r-hanzod v-none[^"]*" data-method="health"/);
    expect(dom).toMatch(/<div class="phase-map" data-phase="phase1"><h3>phase1 <small>3 of \d+ off legacy<\/small>/);
    // Evidence: status's gate checks, each saying what it lacks; its trend over time.
    expect(dom).toMatch(/<section class="method-detail" id="m-status"[\s\S]*?<li class="check v-inconclusive" data-check="match-rate">[\s\S]*?<div class="lacking">lacks: /);
    expect(dom).toMatch(/<svg class="series match"/);
    // The side-by-side sample: hanzod's side has the injected line marked as a difference, escaped.
    expect(dom).toMatch(/<section class="sample" data-method="status" data-path="\/extraField">/);
    expect(dom).toMatch(/<pre class="actual">[\s\S]*<span class="ln diff">\s*"extraField": "&lt;injected &amp; escaped&gt;",?<\/span>/);
    expect(dom).toMatch(/<pre class="expected">/);

    // A picture people can look at after the run (test-results/parity-report.png).
    const png = join(ARTIFACTS_DIR, "parity-report.png");
    await screenshot(chromium, html, png);
    expect(existsSync(png)).toBe(true);
    expect(statSync(png).size).toBeGreaterThan(10_000);
  }, 600_000);
});

describe("HTML latency scale", () => {
  it("keeps a sub-millisecond row visible beside a 566 ms one (log scale)", async () => {
    const { buildReport } = await import("../report/build.js");
    const { renderHtml } = await import("../report/render-html.js");
    const dir = tempDir("parity-scale-");
    const store = DiffStore.open(dir.file("parity.sqlite"));
    try {
      const row = (method: string, e: number, a: number, i: number) => ({ at: Date.now() - i, kind: "shadow" as const, method, connectionId: "c", expectedOk: true, actualOk: true, expectedMs: e, actualMs: a, failure: null, signature: "", differenceCount: 0 });
      store.writeBatch({ comparisons: [...Array.from({ length: 30 }, (_, i) => row("config.get", 560 + i, 300 + i, i)), ...Array.from({ length: 30 }, (_, i) => row("health", 0.39 + i / 1000, 0.08 + i / 1000, i))] });
      const html = renderHtml(buildReport({ store, since: 0 }));
      const svg = /<svg class="latency"[\s\S]*?<\/svg>/.exec(html)![0];
      const widths = (name: string): number[] => [...svg.matchAll(new RegExp(`<rect class="p50"[^>]*width="([\\d.]+)"[^>]*><title>${name} p50`, "g"))].map((m) => Number(m[1]));
      const all = [...widths("legacy"), ...widths("hanzod")];
      expect(all).toHaveLength(4);
      // On a linear scale hanzod's 0.08 ms health bar would be 420 * 0.08 / 589 = 0.06 px wide.
      expect(Math.min(...all)).toBeGreaterThan(Math.max(...all) * 0.15);
    } finally {
      store.close();
      dir.dispose();
    }
  });
});
