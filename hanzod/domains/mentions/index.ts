/**
 * The mentions domain (openclaw 2026.9.6): a person's mention Inbox, `mentions.list` and
 * `mentions.dismiss`, and the `mentions.changed` event the legacy sends a connection when its view
 * changes. One family: the view and its revision are per connection and per person, so the method that
 * reads it, the one that changes it and the event that announces it are served by the runtime that holds
 * the client's own connection (the proxy routes them to the auth owner: a brokered leg carries no
 * person). The store is the legacy's (`config_machine_state` rows of its state database), read-only
 * here; see inbox.ts for what is answered and what is refused.
 */
import { defineDomain, declined } from "../../core/method.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { MentionsState, mentionsDismiss, mentionsList } from "./inbox.js";

function need(state: MentionsState | undefined, method: string): MentionsState {
  if (!state) throw declined(`${method}: hanzod needs the legacy's state dir (--state-dir) for the mention Inbox`);
  return state;
}

export default defineDomain<MentionsState | undefined>({
  name: "mentions",
  setup: (core) => (core.legacy ? new MentionsState(core.legacy.stateDb, core.opts.configPath ?? core.legacy.configPath ?? legacyStateLayout(core.opts.stateDir).configPath) : undefined),
  teardown: (state) => state?.store.close(),
  methods: [
    { name: "mentions.list", params: "contract", handler: ({ core, state, caller }) => mentionsList(need(state, "mentions.list"), core.bootId, caller) },
    { name: "mentions.dismiss", params: "contract", handler: ({ core, state, caller }) => mentionsDismiss(need(state, "mentions.dismiss"), core.bootId, caller) },
  ],
  // Sent to one connection when its PROJECTED view changes (its revision moves). Not sent by hanzod yet:
  // a store watcher is easy (README: PRAGMA data_version), but hanzod cannot project a retained
  // mention, so every change it could decide (empty view to empty view) is one the legacy announces
  // with nothing; see hanzod/state/README.md, "Issue 13, gaps 2 and 4".
  events: [{ name: "mentions.changed", guard: "operator.read", audience: "connection" }],
});
