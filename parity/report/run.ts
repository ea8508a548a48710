/** `hanzonode parity report`: build the report and print it (table, JSON) or write it (HTML). */
import { writeFileSync } from "node:fs";
import { loadChecklist } from "../checklist/index.js";
import { DiffStore } from "../store/diff-store.js";
import { buildReport } from "./build.js";
import { DEFAULT_FIXTURES_DIR, fixtureFiles, hanzodMethods, recordedMethods } from "./coverage-sources.js";
import type { ParityReport } from "./model.js";
import { renderHtml } from "./render-html.js";
import { renderTerminal } from "./render-terminal.js";

export interface ReportCommandOptions {
  storePath: string;
  checklistPath?: string;
  since?: number;
  sinceArg?: string;
  json?: boolean;
  htmlFile?: string;
  failUnderPercent?: number;
  fixtures?: string[];
  allMethods?: boolean;
  out?: (text: string) => void;
}

/** Returns the process exit code: 0, or 1 when --fail-under found a method below the threshold. */
export async function runReport(o: ReportCommandOptions): Promise<{ exitCode: number; report: ParityReport }> {
  const out = o.out ?? ((t: string) => process.stdout.write(t));
  const table = o.checklistPath ? await loadChecklist(o.checklistPath) : undefined;
  const fixtureSources = o.fixtures && o.fixtures.length > 0 ? o.fixtures : [DEFAULT_FIXTURES_DIR];
  const store = DiffStore.open(o.storePath, { mustExist: true });
  let report: ParityReport;
  try {
    report = buildReport({
      store,
      table,
      checklistPath: o.checklistPath,
      since: o.since ?? 0,
      sinceArg: o.sinceArg,
      recorded: recordedMethods(fixtureFiles(fixtureSources)),
      fixtureSources,
      implemented: hanzodMethods(),
      failUnderPercent: o.failUnderPercent,
      allMethods: o.allMethods,
    });
  } finally {
    store.close();
  }
  if (o.htmlFile) {
    writeFileSync(o.htmlFile, renderHtml(report), "utf8");
    out(`wrote ${o.htmlFile}\n`);
  } else if (o.json) out(JSON.stringify(report, null, 2) + "\n");
  else out(renderTerminal(report));
  if (report.failing.length > 0 && !o.json) process.stderr.write(`below ${o.failUnderPercent}%: ${report.failing.join(", ")}\n`);
  return { exitCode: report.failing.length > 0 ? 1 : 0, report };
}
