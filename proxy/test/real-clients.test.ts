/** The real openclaw CLI and @openclaw/gateway-client work through the proxy unchanged. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startProxy, type RunningProxy } from "../index.js";
import { ensureLegacyInstalled, runOpenclawCli, type LegacyInstall } from "../../scripts/legacy/index.js";
import { runGatewayClient } from "../../test/gateway-client.js";
import { CollectingSink, HANZOD_TOKEN, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";

const legacy = inject("legacy");

describe("real clients through the proxy", () => {
  let hanzod: TestHanzod;
  let proxy: RunningProxy;
  let install: LegacyInstall;
  const sink = new CollectingSink();
  const file = checklistFile(["version: 1", "methods:", "  health: hanzod", "  status: shadow"].join("\n"));

  beforeAll(async () => {
    install = await ensureLegacyInstalled(legacy.version, () => undefined);
    hanzod = await startTestHanzod();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, shadowSink: sink, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await hanzod.close();
    file.dispose();
  });

  // The openclaw CLI prints nothing when it sees VITEST in its environment; it is not under test itself.
  const cliEnv = { VITEST: "" };

  it("openclaw gateway call: health from hanzod, status from legacy with a shadow comparison", async () => {
    const health = await runOpenclawCli(install, ["gateway", "call", "health", "--url", proxy.url, "--token", legacy.token, "--json"], { env: cliEnv });
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout.length, `stdout: ${health.stdout} stderr: ${health.stderr}`).toBeGreaterThan(0);
    expect(JSON.parse(health.stdout).answeredBy).toBe("hanzod");
    const status = await runOpenclawCli(install, ["gateway", "call", "status", "--url", proxy.url, "--token", legacy.token, "--json"], { env: cliEnv });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).answeredBy).toBeUndefined();
    await expect.poll(() => sink.observations.filter((o) => o.method === "status").length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "ok" })).toBeGreaterThanOrEqual(1);
  });

  it("@openclaw/gateway-client: connects, health answered by hanzod, config.get by legacy", async () => {
    const run = await runGatewayClient(install.nodeBin, { clientDir: install.gatewayClientDir, url: proxy.url, token: legacy.token, calls: [{ method: "health" }, { method: "config.get" }, { method: "status" }] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.map((l) => ("method" in l && l.ok ? { method: l.method, ok: l.ok, answeredBy: l.answeredBy } : l))).toEqual([
      { method: "health", ok: true, answeredBy: "hanzod" },
      { method: "config.get", ok: true, answeredBy: null },
      { method: "status", ok: true, answeredBy: null },
    ]);
  });
});
