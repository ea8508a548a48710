/**
 * A REAL node client through the proxy: the openclaw node host (`openclaw node run`). Its connection is
 * pinned whole to the node owner (legacy here) even though the checklist routes node methods to hanzod;
 * an operator on the same proxy sees it in node.list, approves its command surface, and node.invoke of
 * `system.which` reaches it, routed to the node owner. Twice: with legacy owning auth, and with auth
 * moved to hanzod while nodes stay on legacy (the node host then authenticates at legacy with its device
 * identity, over the challenge the proxy made both backends share, while the operator authenticates at
 * hanzod).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startProxy, type RunningProxy } from "../index.js";
import { connectClient, payloadOf, type TestClient } from "./ws-client.js";
import { HANZOD_TOKEN, bootIdOf, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";
import { approveNodeHost, invokeWhich, spawnNodeHost, type NodeHostRun } from "./node-host-run.js";

const legacy = inject("legacy");
const ADMIN_SCOPES = ["operator.admin", "operator.pairing", "operator.write", "operator.read"];
// Node methods on the checklist say hanzod; the node owner (legacy) must win for node traffic.
const NODE_METHODS_TO_HANZOD = ["methods:", "  node.invoke: hanzod", "  node.event: hanzod", "  node.runnerInventory.update: hanzod", "  health: hanzod"];

const SCENARIOS = [
  { name: "legacy owns auth and nodes", authOwner: "legacy", operatorToken: () => legacy.token },
  { name: "hanzod owns auth, legacy owns nodes", authOwner: "hanzod", operatorToken: () => HANZOD_TOKEN },
] as const;

describe.each(SCENARIOS)("the openclaw node host through the proxy: $name", ({ authOwner, operatorToken }) => {
  /** Other tests may pair node hosts on the shared legacy: ours is the one with this name. */
  const displayName = `proxy-node-host-${authOwner}-${process.pid}`;
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  let nodeHost: NodeHostRun | undefined;
  const file = checklistFile(["version: 1", `authOwner: ${authOwner}`, "nodeOwner: legacy", ...NODE_METHODS_TO_HANZOD].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod();
    // With hanzod owning auth the proxy's own leg to legacy uses the legacy's shared token.
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
    nodeHost = await spawnNodeHost(legacy, proxy.port, displayName);
  });
  afterAll(async () => {
    await nodeHost?.stop();
    await proxy?.close();
    await hanzod?.close();
    file.dispose();
  });

  it("appears in node.list, gets its surface approved, and answers node.invoke system.which via the node owner", async () => {
    const op: TestClient = await connectClient(proxy.url, { token: operatorToken(), scopes: ADMIN_SCOPES });
    try {
      expect(op.hello.ok, JSON.stringify(op.hello.error)).toBe(true);
      // The operator's handshake went to the auth owner: hello-ok carries its boot id.
      expect((payloadOf(op.hello).server as { bootId?: string }).bootId === (await bootIdOf(hanzod.url, HANZOD_TOKEN))).toBe(authOwner === "hanzod");
      // The same operator connection really is split: health from hanzod.
      expect(payloadOf(await op.call("health")).answeredBy).toBe("hanzod");

      const nodeId = await approveNodeHost(op, displayName, nodeHost!);
      await invokeWhich(op, nodeId);

      // Routing: node.invoke went to the node owner although the checklist says hanzod; the node host's
      // own requests (node.event, runnerInventory.update) stayed on its pinned backend too.
      const count = (method: string, backend: string): Promise<number> => metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method, backend });
      expect(await count("node.list", "legacy")).toBeGreaterThanOrEqual(1);
      expect(await count("node.invoke", "legacy")).toBeGreaterThanOrEqual(1);
      expect(await count("node.invoke", "hanzod")).toBe(0);
      // The node host publishes its runner inventory on its own schedule after hello (queued, retried with
      // backoff): wait for it rather than assume it has been sent by now.
      await expect.poll(() => count("node.runnerInventory.update", "legacy"), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(1);
      expect(await count("node.runnerInventory.update", "hanzod")).toBe(0);
      expect(await count("node.event", "hanzod")).toBe(0);
    } finally {
      await op.close();
    }
  }, 180_000);
});
