/**
 * The devices domain, read side: `gateway.identity.get`, the legacy gateway's own device identity from its
 * state database (hanzod/state/gateway-identity.ts): both runtimes answer as the same gateway; and
 * `node.pair.list`, the legacy's node pairing list from its stored pairing rows (hanzod/state/node-pairing.ts),
 * which has no live data in it; and `device.pair.list/approve/reject` on the legacy's pairing tables for
 * when hanzod owns the connections (pairing.ts), with `device.pair.remove` and `device.token.rotate/revoke`
 * (tokens.ts: operator-role devices; node roles declined); `node.pair.reject` and `node.rename`
 * (node-pairing.ts). `node.pair.approve/remove` stay on the legacy (see hanzod/state/README.md).
 */
import { defineDomain, declined } from "../../core/method.js";
import { GatewayIdentityReader } from "../../state/gateway-identity.js";
import { NodePairingReader } from "../../state/node-pairing.js";
import { LegacyDevicePairing } from "../../state/device-pairing.js";
import { pairingMethods, type PairingState } from "./pairing.js";
import { tokenMethods } from "./tokens.js";
import { nodePairingMethods } from "./node-pairing.js";

const unavailable = declined;

interface DevicesState extends PairingState {
  identity: GatewayIdentityReader;
  nodes: NodePairingReader;
}

export default defineDomain<DevicesState | undefined>({
  name: "devices",
  // The legacy's guard for it (both releases): operator.pairing.
  events: [{ name: "node.pair.resolved", guard: "operator.pairing" }],
  setup: (core) =>
    core.legacy
      ? { identity: new GatewayIdentityReader(core.legacy.stateDb), nodes: new NodePairingReader(core.legacy.stateDb), pairing: new LegacyDevicePairing(core.legacy.stateDb) }
      : undefined,
  teardown: (state) => {
    state?.identity.close();
    state?.nodes.close();
    state?.pairing?.close();
  },
  methods: [
    ...pairingMethods,
    ...tokenMethods,
    ...nodePairingMethods,
    {
      name: "gateway.identity.get",
      // The legacy checks no params here (`{bogus: 1}` is answered); the contract has no schema for them.
      params: "handler",
      handler: ({ state }) => {
        if (!state) throw unavailable("gateway.identity.get: hanzod needs the legacy's state dir (--state-dir) for the gateway's device identity");
        const read = state.identity.read();
        if (read.kind === "missing") throw unavailable("gateway.identity.get before the legacy created its device identity (it creates it on first use: a write)");
        if (read.kind === "invalid") throw unavailable(`gateway.identity.get of an invalid stored identity (${read.reason}): the legacy refuses to start on it until \`openclaw doctor --fix\` repairs it`);
        return { deviceId: read.deviceId, publicKey: read.publicKey };
      },
    },
    {
      name: "node.pair.list",
      params: "contract",
      handler: ({ state, core, caller }) => {
        if (!state) throw unavailable("node.pair.list: hanzod needs the legacy's state dir (--state-dir) for its pairing rows");
        const read = state.nodes.read(core.version);
        if (read.kind === "refused") throw unavailable(`node.pair.list: ${read.reason}`);
        // A non-admin that connected with a device token sees only its own node (the legacy's rule).
        const own = caller.callerDeviceId;
        if (own === undefined || caller.scopes.includes("operator.admin")) return read.list;
        return { pending: read.list.pending.filter((e) => e.nodeId === own), paired: read.list.paired.filter((e) => e.nodeId === own) };
      },
    },
  ],
});
