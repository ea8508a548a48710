/**
 * The cron domain, read side: `cron.list`, `cron.get`, `cron.status`, `cron.scratch.get` on the legacy's stored jobs (state
 * database `cron_jobs`, opened read-only; see read.ts for what is answered and what is refused), and
 * `cron.runs` on its task ledger's cron rows (`task_runs`, read per call as the legacy reads them; runs.ts).
 * The writers (`cron.add/update/remove/run`, scratch) and the scheduler stay on the legacy as one family: the
 * scheduler holds its jobs in memory.
 */
import { Errors, validateParamsInWindow, type ContractIssue, type ErrorShape } from "../../../protocol/index.js";
import { defineDomain, declined } from "../../core/method.js";
import { typeboxWorded } from "../../core/typebox-params.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { CronStoreReader } from "../../state/cron.js";
import { CronRunLedgerReader } from "../../state/cron-runs.js";
import { cronGet, cronList, cronScratchGet, cronStatus, type CronReadState } from "./read.js";
import { cronRuns } from "./runs.js";

function need(state: CronReadState | undefined, method: string): CronReadState {
  if (!state) throw declined(`${method}: hanzod needs the legacy's state dir (--state-dir) for its cron jobs`);
  return state;
}

/**
 * The legacy's wording of params errors in the cron handlers (also `cron.runs`, a single object: it too
 * words a too-short string in lower case).
 * `cron.get`'s params are one of two objects (`{id}` or `{jobId}`): the legacy's message names the missing
 * property of each branch (`must have required property 'id'; must have required property 'jobId'; must
 * match a schema in anyOf`), where the shared formatter keeps one `required` per path (right for a single
 * object, which the legacy's validator leaves at its first miss), in its validator's wording (typebox-params.ts).
 */
function anyOfParams(method: string): (params: Record<string, unknown>) => ErrorShape | undefined {
  const part = (issue: ContractIssue): string => {
    const path = issue.path === "/" ? "" : issue.path.slice(0, 64);
    if (issue.keyword === "additionalProperties") return issue.property ? `${path ? `at ${path}` : "at root"}: unexpected property '${issue.property.slice(0, 64)}'` : `${path ? `at ${path}: ` : ""}must NOT have additional properties`;
    return `${path ? `at ${path}: ` : ""}${typeboxWorded(issue).message}`;
  };
  return (params) => {
    const check = validateParamsInWindow(method, params);
    if (!check || check.valid) return undefined;
    const parts = [...new Set(check.issues.slice(0, 16).map(part))];
    return Errors.invalidMethodParams(method, parts.join("; "));
  };
}

export default defineDomain<CronReadState | undefined>({
  name: "cron",
  setup: (core) =>
    core.legacy
      ? { reader: new CronStoreReader(core.legacy.stateDb), runs: new CronRunLedgerReader(core.legacy.stateDb), stateDir: core.legacy.stateDir, stateDb: core.legacy.stateDb, configPath: core.opts.configPath ?? core.legacy.configPath ?? legacyStateLayout(core.opts.stateDir).configPath }
      : undefined,
  teardown: (state) => {
    state?.reader.close();
    state?.runs.close();
  },
  methods: [
    { name: "cron.list", params: "contract", handler: ({ core, state, params }) => cronList(need(state, "cron.list"), core.version, params) },
    { name: "cron.get", params: anyOfParams("cron.get"), handler: ({ core, state, params }) => cronGet(need(state, "cron.get"), core.version, params) },
    { name: "cron.status", params: "contract", handler: ({ state }) => cronStatus(need(state, "cron.status")) },
    { name: "cron.scratch.get", params: anyOfParams("cron.scratch.get"), handler: ({ core, state, params }) => cronScratchGet(need(state, "cron.scratch.get"), core.version, params) },
    { name: "cron.runs", params: anyOfParams("cron.runs"), handler: ({ core, state, params }) => cronRuns(need(state, "cron.runs"), core.version, params) },
  ],
});
