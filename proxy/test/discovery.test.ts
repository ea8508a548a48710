/**
 * hello-ok's discovery lists through the proxy are the truth of the whole proxied gateway under the
 * routing in force for the connection: legacy-routed names listed, a name routed to a backend that does
 * not serve it left out, whichever backend owns the handshake. The checklist is flipped live and the
 * client connects again.
 */
import { describe, expect, inject, it } from "vitest";
import { connectClient, payloadOf } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, useProxyBesideHanzod } from "./support.js";
import { startProxy } from "../index.js";
import { freePort } from "../../scripts/legacy/index.js";

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
    expect(own.methods).toContain("usage.cost");
    expect(hanzodOwn.methods).toContain("health");
    expect(hanzodOwn.methods).not.toContain("usage.cost");

    // Everything on legacy: the legacy's own lists, verbatim.
    expect(await featuresVia(env.proxy.url, legacy.token)).toEqual(own);

    // usage.cost routed to hanzod, which does not serve it: no longer listed; health (on hanzod) still is.
    const flip = async (lines: string[], token: string, until: (f: Features) => boolean): Promise<Features> => {
      env.file.write(["version: 1", ...lines].join("\n"));
      let last: Features | undefined;
      await expect.poll(async () => until((last = await featuresVia(env.proxy.url, token))), { timeout: 15_000, interval: 200 }).toBe(true);
      return last!;
    };
    const toHanzod = await flip(["methods:", "  usage.cost: hanzod", "  health: hanzod"], legacy.token, (f) => !f.methods.includes("usage.cost"));
    expect(toHanzod.methods).toContain("health");
    expect(toHanzod.methods).toEqual(own.methods.filter((m) => m !== "usage.cost"));
    // Capabilities follow their methods: gateway.restart.request still on legacy, which has the capability.
    expect(toHanzod.capabilities).toEqual(own.capabilities);

    // hanzod owns the handshake, phase 1 on hanzod, the rest on legacy: the legacy-routed names are all
    // there, the phase 1 names only where hanzod serves them, and hanzod's own events are there.
    const hanzodAuth = await flip(["authOwner: hanzod", "phases:", "  phase1: hanzod"], HANZOD_TOKEN, (f) => !f.methods.includes("diagnostics.stability"));
    const phase1OnHanzod = new Set(["health", "status", "system-presence", "system.info", "logs.tail", "gateway.restart.preflight", "gateway.restart.request", "gateway.suspend.prepare", "gateway.suspend.status", "gateway.suspend.resume"]);
    for (const m of own.methods) {
      if (hanzodOwn.methods.includes(m) || m.startsWith("diagnostics.")) continue;
      expect(hanzodAuth.methods, m).toContain(m);
    }
    for (const m of phase1OnHanzod) if (hanzodOwn.methods.includes(m)) expect(hanzodAuth.methods, m).toContain(m);
    expect(hanzodAuth.methods).not.toContain("diagnostics.stability");
    expect(hanzodAuth.events).toEqual(expect.arrayContaining(["tick", "presence", "health", "sessions.changed", "chat"]));
    expect(hanzodAuth.capabilities).toContain("gateway-restart-target-safe-v1");
    expect(hanzodAuth.capabilities).toContain("chat-send-routing-contract");

    // And back: everything on legacy with legacy owning auth gives the legacy's lists again.
    expect(await flip([], legacy.token, (f) => f.methods.includes("diagnostics.stability"))).toEqual(own);
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
