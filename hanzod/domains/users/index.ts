/**
 * The users domain, read side: `users.list`, every user profile of the legacy's state database
 * (hanzod/state/user-profiles.ts), answered as the release hanzod speaks for. The legacy reads the rows on
 * every call (no in-memory copy takes part), so the list can move alone. Its writers (`users.linkEmail`,
 * `users.setDisplayName`, `users.setRole`, `users.setAvatar`, ...) stay on the legacy: they publish
 * profile changes to the legacy's live connections (presence, operator role policy, disconnects).
 * `users.self` stays too: it may first sync the caller's GitHub identity (a write).
 *
 * `users.prefs.get`: the caller's own preferences (hanzod/state/user-preferences.ts), for the person
 * hanzod attributes the connection to exactly as the legacy does (the gateway owner for a shared-secret
 * operator from 2026.9.6, nobody for ephemeral clients); other callers are routed to the legacy.
 */
import { defineDomain, declined } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { UserProfilesReader, userProfilesRules } from "../../state/user-profiles.js";

const unavailable = declined;

export default defineDomain<UserProfilesReader | undefined>({
  name: "users",
  setup: (core) => (core.legacy ? new UserProfilesReader(core.legacy.stateDb) : undefined),
  teardown: (reader) => reader?.close(),
  methods: [
    {
      name: "users.list",
      // The contract's UsersListParams: `{}` only; the legacy's validator answers anything else.
      params: "contract",
      handler: ({ state, core }) => {
        if (!state) throw unavailable("users.list: hanzod needs the legacy's state dir (--state-dir) for its user profiles");
        const rules = userProfilesRules(core.version);
        if (!rules) throw unavailable(`hanzod does not serve users.list as ${core.version} yet; route this call to the legacy gateway`);
        const read = state.list(rules);
        if (read.kind === "refused") throw unavailable(`hanzod does not serve users.list while ${read.reason}; route this call to the legacy gateway`);
        return { profiles: read.profiles };
      },
    },
    {
      name: "users.prefs.get",
      // The contract's UsersPrefsGetParams (`keys`: up to 32 distinct keys of 1-256 characters).
      params: typeboxParams("users.prefs.get"),
      handler: ({ state, core, caller, params }) => {
        const route = (why: string) => unavailable(`hanzod does not serve users.prefs.get ${why}; route this call to the legacy gateway`);
        if (!userProfilesRules(core.version)) throw route(`as ${core.version} yet`);
        // A verified user identity: the legacy answers from that person's own profile (or its pending
        // GitHub sync), which hanzod does not resolve.
        if (caller.verifiedUser) throw route("for a connection with a verified user identity");
        // No person (ephemeral clients; 2026.9.1 attributes no owner): the legacy's answer, no state read.
        if (caller.profileId === undefined) return { status: "no_durable_identity" };
        // The legacy attributes the owner to a connect without a shared secret only while no gateway.roles
        // are configured; hanzod does not read that setting, so it answers shared-secret owners only.
        if (caller.authMethod !== "token" && caller.authMethod !== "password") throw route(`for an owner connection authenticated by ${caller.authMethod ?? "no method"}`);
        if (!state) throw unavailable("users.prefs.get: hanzod needs the legacy's state dir (--state-dir) for its user preferences");
        const keys = Array.isArray(params.keys) ? params.keys.filter((k): k is string => typeof k === "string") : undefined;
        const read = state.preferences(caller.profileId, keys);
        if (read.kind === "refused") throw route(`while ${read.reason}`);
        return { status: "ok", entries: read.entries };
      },
    },
  ],
});
