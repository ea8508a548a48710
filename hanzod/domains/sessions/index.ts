/**
 * The sessions domain, read side: `sessions.list`, `sessions.describe`, `sessions.preview`, `sessions.resolve` (by key) on the
 * legacy's own agent databases, and the connection-state methods (subscriptions.ts). Reads are
 * opened read-only (hanzod/state/sessions.ts). Writers (patch, reset,
 * delete, compact) and the sessions' events stay on the legacy for now; the reads re-read the
 * databases on every call, as the legacy does, so a write by either runtime is seen at once.
 */
import { ADMIN_SCOPE } from "../../../protocol/index.js";
import { defineDomain } from "../../core/method.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { SessionStoreReader } from "../../state/sessions.js";
import { sessionsDescribe } from "./describe.js";
import { sessionsList } from "./list.js";
import { sessionsPreview } from "./preview.js";
import { sessionsResolve } from "./resolve.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { sessionsMessagesSubscribe, sessionsMessagesUnsubscribe, sessionsSubscribe, sessionsViewersSet, paramsAs } from "./subscriptions.js";

export default defineDomain({
  name: "sessions",
  setup: (core) => new SessionStoreReader(core.opts.stateDir, core.opts.configPath ?? legacyStateLayout(core.opts.stateDir).configPath),
  teardown: (reader) => reader.close(),
  methods: [
    { name: "sessions.list", handler: ({ core, state, params, caller }) => sessionsList(state, core.version, params, caller.scopes.includes(ADMIN_SCOPE)) },
    { name: "sessions.describe", handler: ({ core, state, params, caller }) => sessionsDescribe(state, core.version, params, caller.scopes.includes(ADMIN_SCOPE)) },
    { name: "sessions.preview", handler: ({ state, params }) => sessionsPreview(state, params) },
    { name: "sessions.resolve", params: typeboxParams("sessions.resolve"), handler: ({ core, state, params }) => sessionsResolve(state, core.version, params) },
    // Connection state (subscriptions.ts): recorded on the calling connection, as the legacy records it.
    { name: "sessions.subscribe", params: paramsAs("sessions.subscribe", "SessionsListParams"), handler: ({ core, state, params, caller, subscribe }) => sessionsSubscribe(state, core.version, params, caller.scopes.includes(ADMIN_SCOPE), subscribe) },
    { name: "sessions.messages.subscribe", params: typeboxParams("sessions.messages.subscribe"), handler: ({ core, state, params, subscribe }) => sessionsMessagesSubscribe(state, core.version, params, subscribe) },
    { name: "sessions.messages.unsubscribe", params: typeboxParams("sessions.messages.unsubscribe"), handler: ({ core, state, params, unsubscribe }) => sessionsMessagesUnsubscribe(state, core.version, params, unsubscribe) },
    {
      name: "sessions.viewers.set",
      params: paramsAs("sessions.viewers.set", "SessionsViewerPresenceSetParams"),
      handler: ({ core, state, params, caller }) => {
        let hasRow = false;
        const viewers = { current: (id: string) => core.presence.viewedBy(id), replace: (id: string, keys: readonly string[]) => void (hasRow = core.presence.replaceViewers(id, keys)) };
        const { answer, changed } = sessionsViewersSet(state, core.version, params, caller.connId, viewers);
        // The snapshot goes out before the answer, as the legacy broadcasts it inside the call.
        if (changed && hasRow) core.broadcastPresence();
        return answer;
      },
    },
  ],
});
