/**
 * Issue 16 finding 7: where the backends believe a client is. Both backends trust the proxy (loopback in
 * their trustedProxies), as in a real deployment; then whatever forwarded headers a client sends must
 * reach them only when the client itself is one of the proxy's trusted proxies (its own setting, by
 * default the legacy's gateway.trustedProxies). What they believe is read back from `system-presence`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProxyMatcher } from "../../protocol/index.js";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startProxy, type ProxyOptions, type RunningProxy } from "../index.js";
import { authLegHeaders } from "../forwarded.js";
import { connectClient } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, startTestHanzod, type TestHanzod } from "./support.js";

const FORGED = { "x-forwarded-for": "203.0.113.7", "x-real-ip": "203.0.113.8", forwarded: "for=203.0.113.9" };

/** The presence `ip` the backend recorded for a client that connected through `url` with forged headers. */
async function believedAddress(url: string, token: string): Promise<unknown> {
  const forger = await connectClient(url, { token, scopes: ["operator.admin"], clientId: "test", mode: "test", headers: FORGED });
  try {
    // A second client (mode cli: not listed itself) reads presence; the forger is the entry in mode "test".
    const reader = await connectClient(url, { token, scopes: ["operator.admin"] });
    try {
      const res = await reader.call("system-presence");
      const entries = res.payload as Array<{ host?: string; ip?: string; mode?: string }>;
      const mine = entries.filter((e) => e.mode === "test");
      return mine.map((e) => e.ip ?? "(local)");
    } finally {
      await reader.close();
    }
  } finally {
    await forger.close();
  }
}

describe("forwarded headers are believed only from configured proxies", () => {
  let legacy: LegacyGateway;
  let hanzod: TestHanzod;
  const proxies: RunningProxy[] = [];
  const hanzodAuth = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: hanzod", "default: hanzod"].join("\n"));

  beforeAll(async () => {
    legacy = await startLegacyGateway({ config: { gateway: { trustedProxies: ["127.0.0.1"] } }, log: () => undefined });
    hanzod = await startTestHanzod();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await hanzod?.close();
    await legacy?.stop();
    hanzodAuth.dispose();
  });

  const proxy = async (over: Partial<ProxyOptions>): Promise<RunningProxy> => {
    const p = await startProxy({ listenPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, logLevel: "silent", ...over });
    proxies.push(p);
    return p;
  };

  it("a client that is not a trusted proxy cannot move itself: neither legacy nor hanzod believe its headers", async () => {
    const toLegacy = await proxy({ trustedProxies: [] });
    // (Runs first: no entry believed at the forged address can be left over from another test.)
    expect(await believedAddress(toLegacy.url, legacy.token)).toEqual(expect.arrayContaining(["(local)"]));
    expect(await believedAddress(toLegacy.url, legacy.token)).not.toContain("203.0.113.7");
    const toHanzod = await proxy({ trustedProxies: [], checklistPath: hanzodAuth.path });
    expect(await believedAddress(toHanzod.url, HANZOD_TOKEN)).toEqual(expect.arrayContaining(["(local)"]));
    expect(await believedAddress(toHanzod.url, HANZOD_TOKEN)).not.toContain("203.0.113.7");
  });

  it("a client at a trusted proxy's address keeps its forwarded headers; the default list is the legacy's own", async () => {
    const explicit = await proxy({ trustedProxies: ["127.0.0.1"] });
    expect(await believedAddress(explicit.url, legacy.token)).toContain("203.0.113.7");
    const fromLegacyConfig = await proxy({ legacyConfigPath: legacy.configPath });
    expect(await believedAddress(fromLegacyConfig.url, legacy.token)).toContain("203.0.113.7");
  });

  it("a remote client that is not trusted gets every forwarded header replaced by the address the proxy sees", () => {
    const h = authLegHeaders({ host: "gw", ...FORGED, "x-forwarded-user": "admin" }, "::ffff:198.51.100.4", new ProxyMatcher(["10.0.0.0/8"]));
    expect(h["x-forwarded-for"]).toBe("198.51.100.4");
    for (const name of ["x-real-ip", "forwarded", "x-forwarded-user"]) expect(h[name]).toBeUndefined();
    const trusted = authLegHeaders({ host: "gw", ...FORGED }, "10.1.2.3", new ProxyMatcher(["10.0.0.0/8"]));
    expect(trusted["x-forwarded-for"]).toBe("203.0.113.7");
  });
});
