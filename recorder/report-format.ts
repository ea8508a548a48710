/** Human-readable replay output: one line per fixture, differences indented under failures, a summary, drift by definition. */
import type { ContractFinding, FixtureResult, ReplayReport } from "./replay.js";

const MAX_DIFFS_SHOWN = 8;

function short(v: unknown): string {
  if (v === undefined) return "—";
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

export function formatResultLine(r: FixtureResult, index: number, total: number): string {
  const head = `[${index + 1}/${total}] ${r.ok ? "PASS" : "FAIL"} ${r.fixture} (${r.durationMs} ms, ${r.framesSent} sent, ${r.framesReceived} received)`;
  if (r.ok) return head;
  const lines = [head];
  if (r.error) lines.push(`    error: ${r.error}`);
  for (const d of r.differences.slice(0, MAX_DIFFS_SHOWN)) {
    lines.push(`    ${d.at}: ${d.kind} at ${d.path}: expected ${short(d.expected)}, got ${short(d.actual)}${d.note ? ` (${d.note})` : ""}`);
  }
  if (r.differences.length > MAX_DIFFS_SHOWN) lines.push(`    ... ${r.differences.length - MAX_DIFFS_SHOWN} more differences`);
  return lines.join("\n");
}

export function formatDrift(drift: Record<string, ContractFinding[]>): string {
  const defs = Object.keys(drift).sort();
  if (defs.length === 0) return "contract: every frame the target sent is allowed by the frozen contract (or a known deviation)";
  const lines = [`contract drift: ${defs.length} definition(s) with frames the frozen contract does not allow`];
  for (const def of defs) {
    const findings = drift[def] ?? [];
    const distinct = new Map<string, { f: ContractFinding; count: number }>();
    for (const f of findings) {
      const key = `${f.path}|${f.issue}`;
      const e = distinct.get(key);
      if (e) e.count++;
      else distinct.set(key, { f, count: 1 });
    }
    lines.push(`  ${def} (${findings.length} finding(s))`);
    for (const { f, count } of distinct.values()) lines.push(`    ${f.path}: ${f.issue}  [${count}x, e.g. ${f.fixture} ${f.at}]`);
  }
  return lines.join("\n");
}

export function formatSummary(report: ReplayReport): string {
  const known = report.results.reduce((n, r) => n + r.contract.filter((c) => c.knownReason).length, 0);
  return `replayed ${report.results.length} fixture(s) against ${report.target}: ${report.passed} passed, ${report.failed} failed${known ? `; ${known} known contract deviation(s)` : ""}`;
}
