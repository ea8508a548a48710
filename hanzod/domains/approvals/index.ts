/**
 * The approvals domain: `exec.approvals.get` and `exec.approvals.set` on the legacy's stored policy (state
 * database `exec_approvals_config`; see policy.ts for what get answers and refuses, set.ts for set), and the
 * exec approval requests hanzod holds (`exec.approval.*`, exec-approvals-live.ts; rows in `operator_approvals`
 * under hanzod's own runtime epoch) with the `system.run` approval binder it provides to the node handler.
 * The per-node pair `exec.approvals.node.get|set` (answered by the node itself through `node.invoke`) stays on
 * the legacy.
 */
import { defineDomain, declined, invalidRequest } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { ExecApprovalsReader, ExecApprovalsWriter } from "../../state/exec-approvals.js";
import { execApprovalsGet, isDefaultStateDir } from "./policy.js";
import { planSet } from "./set.js";
import { execApprovalMethods, setupExecApprovals, teardownExecApprovals, type ExecApprovalsLive } from "./exec-approvals-live.js";

interface PolicyState {
  reader: ExecApprovalsReader;
  writer: ExecApprovalsWriter;
  stateDir: string;
}

interface ApprovalsState {
  policy: PolicyState | undefined;
  live: ExecApprovalsLive | undefined;
}

const unavailable = declined;

export default defineDomain<ApprovalsState>({
  name: "approvals",
  setup: (core) => ({
    policy: core.legacy ? { reader: new ExecApprovalsReader(core.legacy.stateDir, core.legacy.stateDb), writer: new ExecApprovalsWriter(core.legacy.stateDb), stateDir: core.legacy.stateDir } : undefined,
    live: setupExecApprovals(core),
  }),
  teardown: (state) => {
    state.policy?.reader.close();
    state.policy?.writer.close();
    teardownExecApprovals(state.live);
  },
  events: [
    // The legacy's EVENT_SCOPE_GUARDS; sent only to the approval clients that may see the record.
    { name: "exec.approval.requested", guard: "operator.approvals" },
    { name: "exec.approval.resolved", guard: "operator.approvals" },
  ],
  methods: [
    {
      name: "exec.approvals.get",
      params: "contract",
      handler: ({ state: { policy: state } }) => {
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
    {
      name: "exec.approvals.set",
      // The contract's ExecApprovalsSetParams (a strict document and an optional `baseHash`), in the legacy's validator wording.
      params: typeboxParams("exec.approvals.set"),
      handler: ({ state: { policy: state }, params }) => {
        if (!state) throw unavailable("exec.approvals.set: hanzod needs the legacy's state dir (--state-dir) for its exec approvals policy");
        // Both answer with the display path, and a new socket path comes from the legacy's environment.
        if (isDefaultStateDir(state.stateDir)) throw unavailable("exec.approvals.set on the default state dir (~/.openclaw): the legacy's answer names it as its environment does (OPENCLAW_STATE_DIR), which hanzod cannot see");
        const pending = state.reader.pendingFileImport();
        if (pending) throw unavailable(`exec.approvals.set while a policy file waits for the legacy's import (${pending}): the legacy refuses until \`openclaw doctor --fix\` imports it`);
        // The compare-and-swap and the write in one transaction, as the legacy's second hash check does.
        const done = state.writer.transaction((tx) => {
          const plan = planSet(tx.raw(), params, state.stateDir, tx.pendingAgentDeletions());
          if (plan.kind === "write") tx.write(plan.raw, plan.columns, Date.now());
          return plan;
        });
        if (!done.ok) throw unavailable(`exec.approvals.set on ${done.reason}`);
        const plan = done.value;
        if (plan.kind === "invalid") throw invalidRequest(plan.message);
        if (plan.kind === "decline") throw unavailable(plan.reason);
        return plan.payload;
      },
    },
    ...execApprovalMethods,
  ],
});
