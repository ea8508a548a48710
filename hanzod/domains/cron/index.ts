/**
 * The cron domain, read side: `cron.list`, `cron.get`, `cron.status` on the legacy's stored jobs (state
 * database `cron_jobs`, opened read-only; see read.ts for what is answered and what is refused). The
 * writers (`cron.add/update/remove/run`, scratch) and the scheduler stay on the legacy as one family: the
 * scheduler holds its jobs in memory. `cron.runs` (the task-run ledger) and `cron.scratch.get` stay there too.
 */
import { errorShape } from "../../../protocol/index.js";
import { defineDomain, MethodError } from "../../core/method.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { CronStoreReader } from "../../state/cron.js";
import { cronGet, cronList, cronStatus, type CronReadState } from "./read.js";

function need(state: CronReadState | undefined, method: string): CronReadState {
  if (!state) throw new MethodError(errorShape("UNAVAILABLE", `${method}: hanzod needs the legacy's state dir (--state-dir) for its cron jobs`));
  return state;
}

export default defineDomain<CronReadState | undefined>({
  name: "cron",
  setup: (core) =>
    core.legacy
      ? { reader: new CronStoreReader(core.legacy.stateDb), stateDir: core.legacy.stateDir, stateDb: core.legacy.stateDb, configPath: core.opts.configPath ?? core.legacy.configPath ?? legacyStateLayout(core.opts.stateDir).configPath }
      : undefined,
  teardown: (state) => state?.reader.close(),
  methods: [
    { name: "cron.list", params: "contract", handler: ({ core, state, params }) => cronList(need(state, "cron.list"), core.version, params) },
    { name: "cron.get", params: "contract", handler: ({ core, state, params }) => cronGet(need(state, "cron.get"), core.version, params) },
    { name: "cron.status", params: "contract", handler: ({ state }) => cronStatus(need(state, "cron.status")) },
  ],
});
