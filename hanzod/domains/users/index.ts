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
import { Errors, validateParamsInWindow, type ErrorShape } from "../../../protocol/index.js";
import { formatIssues } from "../../core/handshake/validation.js";
import { defineDomain, declined } from "../../core/method.js";
import { UserProfilesReader, userProfilesRules } from "../../state/user-profiles.js";

const unavailable = declined;

/**
 * The contract check in the wording of the legacy's validator (TypeBox 1.3, en_US) where it differs from
 * the contract's (ajv): limits in lower case ("must not have more than 32 items") and duplicates without
 * the item numbers ("must not have duplicate items").
 */
function typeboxWorded(method: string): (params: Record<string, unknown>) => ErrorShape | undefined {
  return (params) => {
    const check = validateParamsInWindow(method, params);
    if (!check || check.valid) return undefined;
    const issues = check.issues.map((i) => (i.keyword === "uniqueItems" ? { ...i, message: "must not have duplicate items" } : /^(max|min)(Items|Length|Properties)$/.test(i.keyword) ? { ...i, message: i.message.replace("must NOT have", "must not have") } : i));
    return Errors.invalidMethodParams(method, formatIssues(issues));
  };
}

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
      params: typeboxWorded("users.prefs.get"),
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
