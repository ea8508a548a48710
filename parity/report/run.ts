/** `hanzonode parity report`: build the report and print it (table, JSON) or write it (HTML). */
import { writeFileSync } from "node:fs";
import { loadChecklist } from "../checklist/index.js";
import { FleetChecklist } from "../store/pg/checklist.js";
import { defaultInstance, isPostgresUrl, openReader } from "../store/open.js";
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
  let table = o.checklistPath ? await loadChecklist(o.checklistPath) : undefined;
  let checklistLabel = o.checklistPath;
  if (!table && isPostgresUrl(o.storePath)) {
    // A fleet's routes are the checklist in its store.
    const fleet = await FleetChecklist.open(o.storePath, { instance: defaultInstance("report") }).catch(() => undefined);
    if (fleet) {
      table = fleet.current();
      checklistLabel = fleet.label;
      await fleet.close();
    }
  }
  const fixtureSources = o.fixtures && o.fixtures.length > 0 ? o.fixtures : [DEFAULT_FIXTURES_DIR];
  const { reader: store, close } = await openReader(o.storePath, o.since ?? 0);
  let report: ParityReport;
  try {
    report = buildReport({
      store,
      table,
      checklistPath: checklistLabel,
      since: o.since ?? 0,
      sinceArg: o.sinceArg,
      recorded: recordedMethods(fixtureFiles(fixtureSources)),
      fixtureSources,
      implemented: hanzodMethods(),
      failUnderPercent: o.failUnderPercent,
      allMethods: o.allMethods,
    });
  } finally {
    await close();
  }
  if (o.htmlFile) {
    writeFileSync(o.htmlFile, renderHtml(report), "utf8");
    out(`wrote ${o.htmlFile}\n`);
  } else if (o.json) out(JSON.stringify(report, null, 2) + "\n");
  else out(renderTerminal(report));
  if (report.failing.length > 0 && !o.json) process.stderr.write(`below ${o.failUnderPercent}%: ${report.failing.join(", ")}\n`);
  return { exitCode: report.failing.length > 0 ? 1 : 0, report };
}
