/**
 * hello-ok's discovery lists through the proxy are the truth of the whole proxied gateway under the
 * routing in force for the connection: legacy-routed names listed, a method routed to hanzod that hanzod
 * does not serve listed too (hanzod declines it and the legacy answers), an event routed to a backend that
 * does not send it left out, whichever backend owns the handshake. The checklist is flipped live and the
 * client connects again.
 */
import { describe, expect, inject, it } from "vitest";
import { connectClient, payloadOf } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, useProxyBesideHanzod } from "./support.js";
import { startProxy } from "../index.js";
import { freePort } from "../../scripts/legacy/index.js";
import { capabilityMethod } from "../../protocol/index.js";

const legacy = inject("legacy");
const SCOPES = ["operator.admin", "operator.read", "operator.write"];

interface Features {
  methods: string[];
  events: string[];
  capabilities?: string[];
}

async function featuresVia(url: string, token: string): Promise<Features> {
  const c = await connectClient(url, { token, scopes: SCOPES });
  try {
    expect(c.hello.ok, JSON.stringify(c.hello.error)).toBe(true);
    return payloadOf(c.hello).features as Features;
  } finally {
    await c.close();
  }
}

describe("discovery through the proxy follows the routing", () => {
  const env = useProxyBesideHanzod(legacy.url, ["version: 1"], { legacyToken: legacy.token });

  it("lists what the routing serves, and changes with it", async () => {
    const own = await featuresVia(legacy.url, legacy.token);
    const hanzodOwn = await featuresVia(env.hanzod.url, HANZOD_TOKEN);
    expect(own.methods).toContain("usage.status");
    expect(hanzodOwn.methods).toContain("health");
    expect(hanzodOwn.methods).not.toContain("usage.status");

    // Everything on legacy: the legacy's own lists, verbatim.
    expect(await featuresVia(env.proxy.url, legacy.token)).toEqual(own);

    // usage.status routed to hanzod, which does not serve it: hanzod declines it and the legacy answers, so it
    // stays listed and a call is answered. The sessions methods routed to hanzod add what hanzod serves and
    // the legacy does not advertise (sessions.get); their events are listed as the legacy lists them, whichever
    // backend sends them (hanzod sends sessions.changed for its own turns, issue #11).
    const flip = async (lines: string[], token: string, until: (f: Features) => boolean): Promise<Features> => {
      env.file.write(["version: 1", ...lines].join("\n"));
      let last: Features | undefined;
      await expect.poll(async () => until((last = await featuresVia(env.proxy.url, token))), { timeout: 15_000, interval: 200 }).toBe(true);
      return last!;
    };
    expect(own.events).toContain("sessions.changed");
    expect(hanzodOwn.events.filter((e) => !own.events.includes(e))).toEqual([]);
    expect(own.methods).not.toContain("sessions.get");
    const toHanzod = await flip(["methods:", "  usage.status: hanzod", "  health: hanzod", "  sessions.*: hanzod"], legacy.token, (f) => f.methods.includes("sessions.get"));
    // The legacy's names, then what hanzod serves of the sessions methods routed to it and the legacy does
    // not advertise (sessions.get).
    expect(toHanzod.methods).toEqual([...own.methods, ...hanzodOwn.methods.filter((m) => m.startsWith("sessions.") && !own.methods.includes(m))]);
    expect(toHanzod.events).toEqual(own.events);
    // Capabilities follow the backend that answers their methods: one whose method hanzod now serves is
    // listed only when hanzod has it too (session-unread-ack-contract qualifies sessions.list); the rest
    // stay the legacy's.
    const answeredByHanzod = (m: string) => (m === "health" || m.startsWith("sessions.")) && hanzodOwn.methods.includes(m);
    const kept = (own.capabilities ?? []).filter((cap) => !answeredByHanzod(capabilityMethod(cap)) || (hanzodOwn.capabilities ?? []).includes(cap));
    expect(kept.length).toBeLessThan((own.capabilities ?? []).length);
    expect(toHanzod.capabilities).toEqual(kept);
    const c = await connectClient(env.proxy.url, { token: legacy.token, scopes: SCOPES });
    try {
      const runs = await c.call("usage.status", {});
      expect(runs.ok, JSON.stringify(runs.error)).toBe(true);
    } finally {
      await c.close();
    }

    // hanzod owns the handshake (only then does hanzod's token connect), phase 1 on hanzod, the rest on
    // legacy: every legacy name is there (phase 1 names hanzod lacks, like diagnostics.stability, through
    // the decline), and so are the auth owner's events.
    const hanzodAuth = await flip(["authOwner: hanzod", "phases:", "  phase1: hanzod"], HANZOD_TOKEN, () => true);
    expect(hanzodAuth.methods).toEqual(expect.arrayContaining(own.methods));
    // hanzod-only names (not advertised by the legacy) routed to the legacy are not served.
    expect(hanzodAuth.methods).not.toContain("sessions.get");
    expect(hanzodAuth.methods).toContain("diagnostics.stability");
    expect(hanzodAuth.events).toEqual(expect.arrayContaining(["tick", "presence", "health", "sessions.changed", "chat"]));
    expect(hanzodAuth.capabilities).toContain("gateway-restart-target-safe-v1");
    // And back: everything on legacy with legacy owning auth gives the legacy's lists again.
    expect(await flip([], legacy.token, (f) => !f.methods.includes("sessions.get"))).toEqual(own);
  });
});

describe("discovery when the other backend cannot say hello", () => {
  it("the client still gets its hello-ok, listing only what the reachable backend serves", async () => {
    // Nothing listens on hanzod's port: the proxy's leg to it fails at once.
    const file = checklistFile(["version: 1", "methods:", "  health: hanzod"].join("\n"));
    const proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, hanzodUrl: `ws://127.0.0.1:${await freePort()}`, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
    try {
      const own = await featuresVia(legacy.url, legacy.token);
      const via = await featuresVia(proxy.url, legacy.token);
      expect(via.methods).toEqual(own.methods.filter((m) => m !== "health"));
      expect(via.events).toEqual(own.events);
    } finally {
      await proxy.close();
      file.dispose();
    }
  });
});
