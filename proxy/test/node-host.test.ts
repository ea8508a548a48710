/**
 * A REAL node client through the proxy: the openclaw node host (`openclaw node run`). Its connection is
 * pinned whole to the node owner (legacy here) even though the checklist routes node methods to hanzod;
 * an operator on the same proxy sees it in node.list, approves its command surface, and node.invoke of
 * `system.which` reaches it, routed to the node owner.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProxy, type RunningProxy } from "../index.js";
import { ensureLegacyInstalled, legacyEnv, stopProcessGroup } from "../../scripts/legacy/index.js";
import { connectClient, maybePayload, payloadOf, type TestClient } from "./ws-client.js";
import { HANZOD_TOKEN, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";

const legacy = inject("legacy");
/** Other tests may pair node hosts on the shared legacy: ours is the one with this name. */
const DISPLAY_NAME = `proxy-node-host-${process.pid}`;
const ADMIN_SCOPES = ["operator.admin", "operator.pairing", "operator.write", "operator.read"];

describe("the openclaw node host through the proxy", () => {
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  let nodeHost: ChildProcess | undefined;
  let output = "";
  const home = mkdtempSync(join(tmpdir(), "proxy-node-host-"));
  // Node methods on the checklist say hanzod; the node owner (legacy) must win for node traffic.
  const file = checklistFile(["version: 1", "nodeOwner: legacy", "methods:", "  node.invoke: hanzod", "  node.event: hanzod", "  node.runnerInventory.update: hanzod", "  health: hanzod"].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent" });
    const install = await ensureLegacyInstalled(legacy.version, () => undefined);
    // The node CLI has no --token flag: the token comes from the environment; its own HOME keeps its
    // device identity apart from every other test.
    nodeHost = spawn(legacy.nodeBin, [legacy.openclawEntry, "node", "run", "--host", "127.0.0.1", "--port", String(proxy.port), "--display-name", DISPLAY_NAME], {
      env: legacyEnv(install, { HOME: home, OPENCLAW_GATEWAY_TOKEN: legacy.token }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    nodeHost.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    nodeHost.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  });
  afterAll(async () => {
    if (nodeHost !== undefined) await stopProcessGroup(nodeHost);
    await proxy.close();
    await hanzod.close();
    file.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("appears in node.list, gets its surface approved, and answers node.invoke system.which via the node owner", async () => {
    const op: TestClient = await connectClient(proxy.url, { token: legacy.token, scopes: ADMIN_SCOPES });
    try {
      expect(op.hello.ok).toBe(true);
      // The same operator connection really is split: health from hanzod.
      expect(payloadOf(await op.call("health")).answeredBy).toBe("hanzod");

      // The node host pairs silently (a loopback client through the proxy stays local) and then asks
      // for its command surface; an admin operator approves it.
      let pending: { requestId: string; nodeId: string } | undefined;
      const deadline = Date.now() + 90_000;
      while (pending === undefined) {
        if (Date.now() > deadline) throw new Error(`no pending surface from the node host; its output: ${output.slice(-1500)}`);
        const r = await op.call("node.pair.list", {});
        pending = (maybePayload(r)?.pending as Array<{ requestId: string; nodeId: string; displayName?: string }> | undefined)?.find((p) => p.displayName === DISPLAY_NAME);
        if (pending === undefined) await new Promise((r) => setTimeout(r, 500));
      }
      const { requestId, nodeId } = pending!;
      const approved = await op.call("node.pair.approve", { requestId });
      expect(approved.ok, JSON.stringify(approved.error)).toBe(true);

      await expect
        .poll(async () => (maybePayload(await op.call("node.list", {}))?.nodes as Array<{ nodeId: string; connected?: boolean }> | undefined)?.find((n) => n.nodeId === nodeId), { timeout: 30_000, interval: 500 })
        .toMatchObject({ nodeId, clientId: "node-host", clientMode: "node", displayName: DISPLAY_NAME });

      let invoked: Awaited<ReturnType<TestClient["call"]>> | undefined;
      await expect
        .poll(
          async () => {
            invoked = await op.call("node.invoke", { nodeId, command: "system.which", params: { bins: ["sh"] }, timeoutMs: 10_000, idempotencyKey: `proxy-node-${Date.now()}-${Math.random()}` });
            return invoked.ok;
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(true);
      expect(invoked!.payload).toMatchObject({ ok: true, nodeId, command: "system.which" });
      expect(typeof (payloadOf(invoked).payload as { bins: { sh: unknown } }).bins.sh).toBe("string");

      // Routing: node.invoke went to the node owner although the checklist says hanzod; the node host's
      // own requests (node.event, runnerInventory.update) stayed on its pinned backend too.
      const count = (method: string, backend: string): Promise<number> => metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method, backend });
      expect(await count("node.invoke", "legacy")).toBeGreaterThanOrEqual(1);
      expect(await count("node.invoke", "hanzod")).toBe(0);
      expect(await count("node.runnerInventory.update", "legacy")).toBeGreaterThanOrEqual(1);
      expect(await count("node.runnerInventory.update", "hanzod")).toBe(0);
      expect(await count("node.event", "hanzod")).toBe(0);
    } finally {
      await op.close();
    }
  });
});
