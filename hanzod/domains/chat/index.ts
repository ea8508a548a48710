/**
 * The chat domain, read side: `chat.history`, `chat.message.get` (one message of it) and `sessions.get` (the raw read of the same transcript) on the legacy's own stored conversations (agent databases,
 * opened read-only: hanzod/state/transcripts.ts, with the session records of hanzod/state/sessions.ts).
 * The legacy reads transcripts from SQLite per call (no transcript cache); what it keeps in memory is run
 * state (runs in flight, their partial replies), so the readers move separately from the runs, and a
 * session whose run may be in flight is refused. Sends, aborts, injects and the chat events stay on the
 * legacy for now.
 */
import { ADMIN_SCOPE } from "../../../protocol/index.js";
import { defineDomain } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { SessionStoreReader } from "../../state/sessions.js";
import { TranscriptReader } from "../../state/transcripts.js";
import { chatHistory, chatMessageGet, sessionsGet, type ChatReadState } from "./history.js";

export default defineDomain<ChatReadState>({
  name: "chat",
  setup: (core) => {
    const layout = legacyStateLayout(core.opts.stateDir);
    return { sessions: new SessionStoreReader(layout.stateDir, core.opts.configPath ?? layout.configPath), transcripts: new TranscriptReader(core.legacy?.stateDb ?? layout.stateDb) };
  },
  teardown: (state) => {
    state.sessions.close();
    state.transcripts.close();
  },
  methods: [
    { name: "chat.history", params: typeboxParams("chat.history"), handler: ({ core, state, params, caller }) => chatHistory(state, core.version, params, caller.scopes.includes(ADMIN_SCOPE)) },
    { name: "chat.message.get", params: typeboxParams("chat.message.get"), handler: ({ state, params }) => chatMessageGet(state, params) },
    // The raw read of the same transcript; the contract has no params schema for it (the legacy checks them itself).
    { name: "sessions.get", params: "handler", handler: ({ state, params }) => sessionsGet(state, params) },
  ],
});
