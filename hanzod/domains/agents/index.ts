/**
 * The agents domain, read side: `agents.list` on the legacy's own config and state database (see
 * list.ts for what is answered and what is refused). Writers (`agents.create/update/delete`, the
 * workspace files) stay on the legacy: they rewrite the config through its validator and migrations.
 */
import { defineDomain, declined } from "../../core/method.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
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
  ],
});
