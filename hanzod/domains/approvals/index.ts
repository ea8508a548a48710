/**
 * The approvals domain, read side: `exec.approvals.get` on the legacy's stored policy (state database
 * `exec_approvals_config`, opened read-only; see policy.ts for what is answered and what is refused). The
 * writer `exec.approvals.set` (compare-and-swap on the same hash), the per-node pair
 * `exec.approvals.node.get|set` (answered by the node itself through `node.invoke`) and the approval
 * requests stay on the legacy.
 */
import { defineDomain, declined } from "../../core/method.js";
import { ExecApprovalsReader } from "../../state/exec-approvals.js";
import { execApprovalsGet, isDefaultStateDir } from "./policy.js";

interface ApprovalsState {
  reader: ExecApprovalsReader;
  stateDir: string;
}

const unavailable = declined;

export default defineDomain<ApprovalsState | undefined>({
  name: "approvals",
  setup: (core) => (core.legacy ? { reader: new ExecApprovalsReader(core.legacy.stateDir, core.legacy.stateDb), stateDir: core.legacy.stateDir } : undefined),
  teardown: (state) => state?.reader.close(),
  methods: [
    {
      name: "exec.approvals.get",
      params: "contract",
      handler: ({ state }) => {
        if (!state) throw unavailable("exec.approvals.get: hanzod needs the legacy's state dir (--state-dir) for its exec approvals policy");
        // Where the legacy says the policy lives depends on whether its environment names this default dir.
        if (isDefaultStateDir(state.stateDir)) throw unavailable("exec.approvals.get on the default state dir (~/.openclaw): the legacy's answer names it as its environment does (OPENCLAW_STATE_DIR), which hanzod cannot see");
        const pending = state.reader.pendingFileImport();
        if (pending) throw unavailable(`exec.approvals.get while a policy file waits for the legacy's import (${pending}): the legacy refuses until \`openclaw doctor --fix\` imports it`);
        const read = execApprovalsGet(state.reader.raw(), state.stateDir);
        if (read.kind === "refuse") throw unavailable(read.reason);
        return read.payload;
      },
    },
  ],
});
