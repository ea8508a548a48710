/**
 * The users domain, read side: `users.list`, every user profile of the legacy's state database
 * (hanzod/state/user-profiles.ts), answered as the release hanzod speaks for. The legacy reads the rows on
 * every call (no in-memory copy takes part), so the list can move alone. Its writers (`users.linkEmail`,
 * `users.setDisplayName`, `users.setRole`, `users.setAvatar`, ...) stay on the legacy: they publish
 * profile changes to the legacy's live connections (presence, operator role policy, disconnects).
 * `users.self` stays too: it may first sync the caller's GitHub identity (a write).
 */
import { defineDomain, declined } from "../../core/method.js";
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
  ],
});
