/**
 * Issue 16 finding 8: a legacy that is not needed is not required. With hanzod owning auth, nodes and
 * every route the proxy runs without one (plain HTTP goes to hanzod); with nodes on a legacy that is
 * down, operators still connect (only a node's connect is refused, saying why), and the admin /readyz
 * is not "ready" while the backend that owns node connections is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectParams, RawGatewaySocket } from "../../protocol/index.js";
import { freePort } from "../../scripts/legacy/index.js";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, payloadOf } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, startTestHanzod, type TestHanzod } from "./support.js";

/** An operator connects, hanzod answers health, and a route still naming legacy gets the legacy-shaped retryable answer instead of hanging. */
async function expectOperatorServedWithoutLegacy(url: string): Promise<void> {
  const c = await connectClient(url, { token: HANZOD_TOKEN });
  try {
    expect(payloadOf(await c.call("health")).answeredBy).toBe("hanzod");
    const status = await c.call("status");
    expect(status.error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(String(status.error?.message)).toContain("legacy gateway is not reachable");
  } finally {
    await c.close();
  }
}

describe("a proxy with everything on hanzod", () => {
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  const allHanzod = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: hanzod", "default: hanzod", "methods:", "  status: legacy"].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: allHanzod.path, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy?.close();
    await hanzod?.close();
    allHanzod.dispose();
  });

  it("needs no legacy: clients connect and call, plain HTTP reaches hanzod, /readyz is ready", async () => {
    await expectOperatorServedWithoutLegacy(proxy.url);
    const http = await fetch(`http://127.0.0.1:${proxy.port}/healthz`);
    expect(http.status).toBe(200);
    expect(await http.json()).toMatchObject({ ok: true });
    const ready = await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("refuses to start with neither backend, or without a legacy and without a checklist", async () => {
    await expect(startProxy({ listenPort: 0, logLevel: "silent" })).rejects.toThrow(/legacy gateway URL, a hanzod URL, or both/);
    await expect(startProxy({ listenPort: 0, hanzodUrl: hanzod.url, logLevel: "silent" })).rejects.toThrow(/checklist that routes to hanzod/);
  });
});

describe("nodes owned by a legacy that is down, auth by hanzod", () => {
  it("operators connect and are served by hanzod; a node's connect is refused as unreachable (1013)", async () => {
    const hanzod = await startTestHanzod();
    const file = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: legacy", "default: hanzod", "methods:", "  status: legacy"].join("\n"));
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const proxy = await startProxy({ listenPort: 0, legacyUrl: dead, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
    try {
      await expectOperatorServedWithoutLegacy(proxy.url);
      const node = await RawGatewaySocket.open(proxy.url);
      await node.challenge();
      const refused = await node.request("connect", connectParams({ token: HANZOD_TOKEN, role: "node", scopes: [], client: { id: "node-host", version: "0.0.0-test", platform: "linux", mode: "node" } }));
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatchObject({ code: "UNAVAILABLE" });
      expect(String(refused.error?.message)).toContain("legacy gateway is not reachable");
      expect(await node.closed).toMatchObject({ code: 1013 });
    } finally {
      await proxy.close();
      await hanzod.close();
      file.dispose();
    }
  });
});

describe("/readyz with nodes owned by a legacy that is down", () => {
  it("is 503 and names the legacy, though the auth owner (hanzod) is up", async () => {
    const hanzod = await startTestHanzod();
    const file = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: legacy", "default: hanzod"].join("\n"));
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: dead, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent", upstreamProbeIntervalMs: 100 });
    try {
      let body: { ready: boolean; upstreams: { legacy?: { up: boolean | null } } } | undefined;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`);
        const json = (await res.json()) as NonNullable<typeof body>;
        if (json.upstreams.legacy?.up === false) {
          expect(res.status).toBe(503);
          body = json;
          break;
        }
      }
      expect(body?.ready).toBe(false);
    } finally {
      await proxy.close();
      await hanzod.close();
      file.dispose();
    }
  });
});
