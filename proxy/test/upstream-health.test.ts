/**
 * A dead legacy gateway behind the proxy: clients get a 502 that says which backend is missing, the
 * admin /readyz turns 503 (while /healthz, liveness, stays 200), upstream_up drops to 0. When the real
 * legacy gateway comes up on that address, readiness and connections recover without restarting the proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startProxy, type RunningProxy } from "../index.js";
import { connectRaw } from "../../protocol/index.js";
import { LEGACY_READY_TIMEOUT_MS, freePort, startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { metricValue } from "./support.js";

/** The upgrade's HTTP answer when the proxy refuses it. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.on("error", () => undefined);
  });
}

async function admin(proxy: RunningProxy, path: string): Promise<{ status: number; body: { ready: boolean; upstreams: { legacy: { up: boolean | null; detail: string | null } } } }> {
  const res = await fetch(`http://127.0.0.1:${proxy.adminPort}${path}`);
  return { status: res.status, body: (await res.json()) as never };
}

describe("a dead legacy gateway behind the proxy", () => {
  let port: number;
  let proxy: RunningProxy;
  let legacy: LegacyGateway | undefined;

  beforeAll(async () => {
    port = await freePort();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: `ws://127.0.0.1:${port}`, logLevel: "silent", upstreamProbeIntervalMs: 200 });
  });
  afterAll(async () => {
    await proxy?.close();
    await legacy?.stop();
  });

  it("clients get a 502 naming the legacy gateway; /readyz 503 with the reason, /healthz 200, upstream_up 0", async () => {
    expect(await refusedUpgrade(proxy.url)).toEqual({ status: 502, body: "bad gateway: legacy gateway unreachable\n" });
    const ready = await admin(proxy, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.ready).toBe(false);
    expect(ready.body.upstreams.legacy.up).toBe(false);
    expect(ready.body.upstreams.legacy.detail).toMatch(/ECONNREFUSED/);
    expect((await admin(proxy, "/healthz")).status).toBe(200);
    expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_upstream_up", { backend: "legacy" })).toBe(0);
  });

  it("recovers by itself once the legacy gateway answers on that address", async () => {
    legacy = await startLegacyGateway({ port });
    await expect.poll(async () => (await admin(proxy, "/readyz")).status, { timeout: 60_000 }).toBe(200);
    expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_upstream_up", { backend: "legacy" })).toBe(1);
    const { socket, hello } = await connectRaw(proxy.url, { token: legacy.token });
    try {
      expect(hello.ok).toBe(true);
      expect((await socket.request("health")).ok).toBe(true);
    } finally {
      await socket.close();
    }
  }, LEGACY_READY_TIMEOUT_MS + 60_000);
});
