/**
 * The chat domain, read side: `chat.history`, `chat.message.get` (one message of it) and `sessions.get` (the raw read of the same transcript) on the legacy's own stored conversations (agent databases,
 * opened read-only: hanzod/state/transcripts.ts, with the session records of hanzod/state/sessions.ts).
 * The legacy reads transcripts from SQLite per call (no transcript cache); what it keeps in memory is run
 * state (runs in flight, their partial replies), so the readers move separately from the runs, and a
 * session whose run may be in flight is refused.
 *
 * `chat.send` (run.ts), first slice: a text-only turn on an existing session, its `chat` / `agent`
 * events and the turn written into the legacy's agent database; everything else is declined to the
 * legacy. `chat.abort` and `agent.wait` (control.ts) for hanzod's own runs; other runs are the legacy's.
 * Injects and `agent` stay on the legacy (state README, "Run controls").
 */
import { ADMIN_SCOPE } from "../../../protocol/index.js";
import { declined, defineDomain } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { SessionStoreReader } from "../../state/sessions.js";
import { TranscriptReader } from "../../state/transcripts.js";
import { TranscriptWriter } from "../../state/transcript-writer.js";
import { chatHistory, chatMessageGet, sessionsGet } from "./history.js";
import { agentWait, chatAbort } from "./control.js";
import { chatSend, type ChatRunState } from "./run.js";

/** Until hanzod's turns send the legacy's system prompt and tools, running them is the operator's choice. */
const TURNS_OFF = "chat.send: hanzod runs turns only when started with --turns text-only (its turns send the model neither the legacy's system prompt nor its tools yet), so the legacy runs this one";

/** Without turns hanzod holds no run to abort or wait for. */
const RUNS_OFF = (method: string) => `${method}: hanzod runs no turns unless started with --turns text-only, so the run is the legacy's`;

export default defineDomain<ChatRunState>({
  name: "chat",
  setup: (core) => {
    const layout = legacyStateLayout(core.opts.stateDir);
    return {
      sessions: new SessionStoreReader(layout.stateDir, core.opts.configPath ?? layout.configPath),
      transcripts: new TranscriptReader(core.legacy?.stateDb ?? layout.stateDb),
      writer: new TranscriptWriter(),
      runs: new Map(),
      shutdown: new AbortController(),
    };
  },
  teardown: (state) => {
    state.sessions.close();
    state.transcripts.close();
    state.shutdown.abort();
    state.writer.close();
  },
  methods: [
    { name: "chat.history", params: typeboxParams("chat.history"), handler: ({ core, state, params, caller }) => chatHistory(state, core.version, params, caller.scopes.includes(ADMIN_SCOPE)) },
    { name: "chat.message.get", params: typeboxParams("chat.message.get"), handler: ({ state, params }) => chatMessageGet(state, params) },
    // The raw read of the same transcript; the contract has no params schema for it (the legacy checks them itself).
    { name: "sessions.get", params: "handler", handler: ({ state, params }) => sessionsGet(state, params) },
    {
      name: "chat.send",
      params: typeboxParams("chat.send"),
      emits: ["chat", "agent", "sessions.changed", "session.message"],
      handler: ({ core, state, params, caller, emit }) => {
        if (core.opts.turns !== "text-only") throw declined(TURNS_OFF);
        // 2026.9.6 stamps the sender's presence (lastActivityAt) after acking a started run, and broadcasts a
        // presence snapshot unless the person's last one is under 30 s old (core/presence.ts recordActivity).
        const recordActivity = () => {
          if (core.presence.recordActivity(caller.connId)) core.broadcastPresence();
        };
        return chatSend(
          state,
          core.version,
          params,
          { connId: caller.connId, scopes: caller.scopes, clientId: caller.clientId, clientMode: caller.clientMode },
          (event, payload) => emit(event, payload),
          // Only to the subscribed connections; the legacy drops sessions.changed for a slow consumer, not session.message.
          (event, payload, topics) => emit(event, payload, { topic: topics, dropIfSlow: event === "sessions.changed" }),
          recordActivity,
        );
      },
    },
    {
      // Only hanzod's own runs (control.ts); the legacy's runs and unknown ids are declined to the legacy.
      name: "chat.abort",
      params: typeboxParams("chat.abort"),
      emits: ["chat", "agent"],
      handler: ({ core, state, params, caller }) => {
        if (core.opts.turns !== "text-only") throw declined(RUNS_OFF("chat.abort"));
        return chatAbort(state, core.version, params, { connId: caller.connId, scopes: caller.scopes });
      },
    },
    {
      name: "agent.wait",
      params: typeboxParams("agent.wait"),
      handler: ({ core, state, params, signal }) => {
        if (core.opts.turns !== "text-only") throw declined(RUNS_OFF("agent.wait"));
        return agentWait(state, params, signal);
      },
    },
  ],
  // Both go to every operator.read connection (the legacy's EVENT_SCOPE_GUARDS; a client without session subscriptions gets them too).
  events: [
    { name: "chat", guard: "operator.read" },
    { name: "agent", guard: "operator.read" },
    // Per subscriber (core/session-subscriptions.ts): only connections that asked for them, operator.read as in the legacy's guards.
    { name: "sessions.changed", guard: "operator.read", audience: "subscribers" },
    { name: "session.message", guard: "operator.read", audience: "subscribers" },
  ],
});
