/**
 * THE default normalisation rules: data, in one place, used by replay (against the legacy gateway and
 * against hanzod alike) and by shadow diffing (learned noise and checklist rules layer on top through
 * `mergeRuleSets`). Every entry says why it exists; an entry without a reason does not belong here.
 *
 * What stays strict, always: frame kinds, ids, `ok`, error `code` and `details.code` and the error
 * shape, close codes (compare.ts / replay.ts do not consult rules for those), and in payloads the
 * role, the granted scopes, protocol numbers and policy limits (no rule below touches them).
 *
 * Globs are JSON pointers into the payload of a `res` (per method) or an `event` (per event).
 * Volatile detectors (see volatile.ts) already cover clocks, durations, uuids, connection/boot ids,
 * versions, nonces, digests and throwaway temp folders everywhere.
 */
import { mergeRules } from "./normalize.js";
import type { NormalizationRules, PathGlob, RuleSet } from "./types.js";

/** The same rules for a structure embedded below `prefix` (hello-ok carries a health snapshot). */
function under(prefix: PathGlob, rules: NormalizationRules): NormalizationRules {
  const move = (globs: PathGlob[] | undefined): PathGlob[] | undefined => globs?.map((g) => `${prefix}${g}`);
  const out: NormalizationRules = {};
  for (const key of ["ignore", "unordered", "shapeOnly", "typeOnly", "optional"] as const) {
    const moved = move(rules[key]);
    if (moved) out[key] = moved;
  }
  return out;
}

/** The `health` payload: the method's result, the `health` event and hello-ok's `snapshot.health`. */
const HEALTH: NormalizationRules = {
  typeOnly: [
    // The plugin inventory is each build's own truth (which plugins it loads); a legacy patch release
    // alone changes the list (DRIFT-2026.9.6). Agents are compared: hanzod reads them from the same state.
    "/plugins/loaded",
  ],
  shapeOnly: [
    // Where the session stores live: a deployment fact (state dir layout), not behaviour.
    "/sessions/path",
    "/agents/*/sessions/path",
  ],
};

/**
 * One presence row (the gateway's own `self` row and each client's). A row carries facts about the
 * machine it describes: host name, primary address, OS and kernel release, device family, CPU
 * architecture, and a one-line summary composed of them. They are facts of the deployment, not of
 * behaviour: a recording made on one machine replays on any other, and a shadowed pair on one host
 * agrees anyway. So they keep their type and presence, never their value. What the row says about
 * the connection (mode, reason, roles, scopes, version) stays compared.
 * These host facts are also what the recorder scrubs from fixtures at record time (recorder/host-facts.ts).
 */
export const PRESENCE_HOST_FACTS: readonly PathGlob[] = [
  "/host", // os.hostname() of the machine
  "/ip", // its primary LAN address (the host name when it has none)
  "/platform", // OS and kernel release ("linux 6.18.44-..."), or the client's OS
  "/deviceFamily", // "Linux", "Mac", "Windows"
  "/modelIdentifier", // CPU architecture, or the Mac's hardware model
  "/text", // "Gateway: <host> (<ip>) · app <version> · mode <mode> · reason <reason>": each part has its own field
];

const PRESENCE_ROW: NormalizationRules = {
  shapeOnly: [
    ...PRESENCE_HOST_FACTS,
    // 2026.9.6, the gateway owner's profile (`user`): its name is the host account's full name (passwd
    // GECOS), and its avatar URL's `?v=` revision is the profile's update time (or its avatar's digest),
    // both facts of the state dir the profile was made in. Who the row names (`user/id`, `user/identity`)
    // stays compared; `onlineSince` is a timestamp (volatile detectors).
    "/user/name",
    "/user/avatarUrl",
  ],
  optional: [
    // Whether the host account has a full name at all (the legacy leaves `name` out when it has none).
    "/user/name",
  ],
};

export const DEFAULT_RULES: RuleSet = {
  global: {
    volatile: ["timestamp", "duration", "uuid", "connId", "version", "nonce", "tempPath", "digest"],
    ignore: [
      // Event-loop health: values, degraded flags, reasons and even its presence in a snapshot vary with load.
      "/**/eventLoop",
    ],
    shapeOnly: [
      // Runtime metrics: must be there with the right type, never repeat.
      "/**/processMemory",
      // Process-global counters (legacy-protocol.md §7): they count health refreshes and presence
      // broadcasts since boot, so two processes never agree.
      "/**/stateVersion",
    ],
  },
  methods: {
    "cron.list": {
      // Jobs are listed by next run, and each job's schedule anchor is randomised per install
      // (jitter), so order and anchor differ between two gateways with the same jobs.
      unordered: ["/jobs"],
      shapeOnly: ["/jobs/*/schedule/anchorMs"],
    },
    health: HEALTH,
    "system-presence": under("/*", PRESENCE_ROW),
    status: {
      shapeOnly: [
        // Where each agent's session store lives: a deployment fact (state dir layout), not behaviour.
        "/sessions/byAgent/*/path",
        // 2026.9.6: the gateway's process id, a fact of the running process.
        "/pid",
        // 2026.9.6: work in flight when the answer is built (whether the status request itself is
        // already counted depends on timing) and worker-pool activity: runtime metrics.
        "/shutdownBudget/activeWork/*",
        "/workerPools/*/*",
      ],
    },
    connect: mergeRules(mergeRules(under("/snapshot/health", HEALTH), under("/snapshot/presence/*", PRESENCE_ROW)), {
      typeOnly: [
        // Discovery lists: what this runtime and release implements. They change with every legacy
        // release (2026.9.6 adds methods, events and capabilities) and, during the migration, list
        // what hanzod implements; the contract fixes their type (string arrays).
        "/features/methods",
        "/features/events",
        "/features/capabilities",
      ],
      shapeOnly: [
        // A device token is a bearer credential each runtime mints at random for the device it paired.
        "/auth/deviceToken",
        // Per-gateway recovery scope id (random per state dir).
        "/auth/recoveryScope",
        // Capability URLs: the gateway's own port plus a random per-connection capability.
        "/pluginSurfaceUrls/*",
        // Where the runtime keeps its state and config: deployment facts (absolute paths).
        "/snapshot/stateDir",
        "/snapshot/configPath",
      ],
      optional: [
        // Control UI and plugin surfaces: sent only by a runtime that serves the Control UI and
        // plugin UIs (the legacy, until the Control UI moves). Compared whenever both sides send them.
        "/controlUiWidgetKinds",
        // 2026.9.6: the link readers plugins contribute (the github plugin's github.detail/image).
        "/controlUiLinkReaders",
        "/pluginSurfaceUrls",
        "/server/controlUiBuildSource",
        // Device-recovery hints for the Control UI's recovery flow (legacy-protocol.md §hello-ok):
        // optional in the contract, and not authority (role and scopes stay strict).
        "/auth/recoveryScope",
        "/auth/recoveryMigrationAllowed",
        // Present only when the runtime was started from a config file.
        "/snapshot/configPath",
        "/snapshot/appliedConfigHash",
      ],
    }),
  },
  events: {
    health: HEALTH,
    presence: under("/presence/*", PRESENCE_ROW),
  },
};
