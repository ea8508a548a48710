/** The system domain: `system-presence` (the presence list) and `system.info` (this host and process). */
import { defineDomain } from "../../core/method.js";
import { systemInfo, systemPresence } from "./system.js";

export default defineDomain({
  name: "system",
  methods: [
    { name: "system-presence", handler: ({ core }) => systemPresence(core) },
    { name: "system.info", handler: ({ core }) => systemInfo(core) },
  ],
});
