/** The logs domain: `logs.tail` over hanzod's own log file, with the legacy's cursor semantics. */
import { defineDomain } from "../../core/method.js";
import { logsTail } from "./logs-tail.js";

export default defineDomain({
  name: "logs",
  methods: [{ name: "logs.tail", handler: ({ core, params }) => logsTail(core.opts.stateDir, params) }],
});
