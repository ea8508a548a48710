/**
 * The usage domain, read side. Of the legacy's five usage reads only `sessions.usage.timeseries` is a pure
 * read of state (hanzod/state/README.md, "usage"): it re-reads one session's stored transcript on every
 * call. hanzod answers it where it proves the legacy's model rates zero (state/usage-pricing.ts) and
 * declines the rest. `usage.cost` and `sessions.usage` (a 30 s per-process result cache, rollups in the
 * agent databases that the read path itself refreshes and prunes), `usage.status` (provider plugins,
 * credentials and a stale-while-revalidate cache) and `sessions.usage.logs` (the legacy's inbound-envelope
 * stripping, not ported) stay on the legacy.
 */
import { defineDomain } from "../../core/method.js";
import { legacyStateLayout } from "../../state/legacy-state.js";
import { SessionStoreReader } from "../../state/sessions.js";
import { TranscriptReader } from "../../state/transcripts.js";
import { UsagePricing } from "../../state/usage-pricing.js";
import { sessionsUsageTimeseries, type UsageReadState } from "./timeseries.js";

export default defineDomain<UsageReadState>({
  name: "usage",
  setup: (core) => {
    const layout = legacyStateLayout(core.opts.stateDir);
    return {
      stateDir: layout.stateDir,
      sessions: new SessionStoreReader(layout.stateDir, core.opts.configPath ?? layout.configPath),
      transcripts: new TranscriptReader(core.legacy?.stateDb ?? layout.stateDb),
      pricing: new UsagePricing(layout.stateDir),
    };
  },
  teardown: (state) => {
    state.sessions.close();
    state.transcripts.close();
  },
  methods: [
    // The legacy checks this method's params itself (no validator): `key` (trimmed), and from 2026.9.6 `agentId`.
    { name: "sessions.usage.timeseries", params: "handler", handler: ({ core, state, params }) => sessionsUsageTimeseries(state, core.version, params) },
  ],
});
