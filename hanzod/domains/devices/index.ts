/**
 * The devices domain, read side: `gateway.identity.get`, the legacy gateway's own device identity from its
 * state database (hanzod/state/gateway-identity.ts): both runtimes answer as the same gateway. The pairing
 * methods (`device.pair.*`, `device.token.*`) stay on the legacy: `device.pair.list` marks each paired
 * device `connected` from the legacy's live connections, and its writers hold the legacy's pairing lock and
 * its in-memory pairing publication (see hanzod/state/README.md).
 */
import { errorShape } from "../../../protocol/index.js";
import { defineDomain, MethodError } from "../../core/method.js";
import { GatewayIdentityReader } from "../../state/gateway-identity.js";

const unavailable = (message: string) => new MethodError(errorShape("UNAVAILABLE", message));

export default defineDomain<GatewayIdentityReader | undefined>({
  name: "devices",
  setup: (core) => (core.legacy ? new GatewayIdentityReader(core.legacy.stateDb) : undefined),
  teardown: (reader) => reader?.close(),
  methods: [
    {
      name: "gateway.identity.get",
      // The legacy checks no params here (`{bogus: 1}` is answered); the contract has no schema for them.
      params: "handler",
      handler: ({ state }) => {
        if (!state) throw unavailable("gateway.identity.get: hanzod needs the legacy's state dir (--state-dir) for the gateway's device identity");
        const read = state.read();
        if (read.kind === "missing") throw unavailable("gateway.identity.get before the legacy created its device identity (it creates it on first use: a write)");
        if (read.kind === "invalid") throw unavailable(`gateway.identity.get of an invalid stored identity (${read.reason}): the legacy refuses to start on it until \`openclaw doctor --fix\` repairs it`);
        return { deviceId: read.deviceId, publicKey: read.publicKey };
      },
    },
  ],
});
