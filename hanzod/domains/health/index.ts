/** The health domain: `health` (snapshot now, refresh + `health` event after) and `status`. */
import { ADMIN_SCOPE } from "../../../protocol/index.js";
import { defineDomain } from "../../core/method.js";
import { health } from "./health.js";
import { status } from "./status.js";

export default defineDomain({
  name: "health",
  eager: true,
  methods: [
    { name: "health", handler: ({ core }) => health(core) },
    { name: "status", handler: ({ core, caller }) => status(core, caller.scopes.includes(ADMIN_SCOPE)) },
  ],
});
