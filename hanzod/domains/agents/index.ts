/**
 * The agents domain, read side: `agents.list` on the legacy's own config and state database (see
 * list.ts for what is answered and what is refused), and the agent's workspace bootstrap files,
 * `agents.files.list` / `agents.files.get`, read from disk (files.ts). Writers (`agents.create/update/
 * delete`, `agents.files.set`) stay on the legacy: they rewrite the config and files through its
 * validator, migrations and workspace write queue.
 */
import { defineDomain, declined } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { agentsFilesGet, agentsFilesList } from "./files.js";
import { agentsList } from "./list.js";
import { AgentsState } from "./state.js";

export default defineDomain<AgentsState | undefined>({
  name: "agents",
  setup: (core) => (core.legacy ? new AgentsState(core.legacy.stateDir, core.opts.configPath ?? core.legacy.configPath ?? legacyStateLayout(core.opts.stateDir).configPath, core.legacy.stateDb) : undefined),
  teardown: (state) => state?.close(),
  methods: [
    {
      name: "agents.list",
      params: "contract",
      handler: ({ core, state, caller }) => {
        if (!state) throw declined("agents.list: hanzod needs the legacy's state dir (--state-dir) for the agent roster");
        return agentsList(state, core.version, caller.caps ?? []);
      },
    },
    {
      name: "agents.files.list",
      params: typeboxParams("agents.files.list"),
      handler: ({ core, state, params }) => {
        if (!state) throw declined("agents.files.list: hanzod needs the legacy's state dir (--state-dir) for the agent roster");
        return agentsFilesList(state, core.version, params);
      },
    },
    {
      name: "agents.files.get",
      params: typeboxParams("agents.files.get"),
      handler: ({ core, state, params }) => {
        if (!state) throw declined("agents.files.get: hanzod needs the legacy's state dir (--state-dir) for the agent roster");
        return agentsFilesGet(state, core.version, params);
      },
    },
  ],
});
