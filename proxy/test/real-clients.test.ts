/** The real openclaw CLI and @openclaw/gateway-client work through the proxy unchanged. */
import { beforeAll, describe, expect, inject, it } from "vitest";
import { ensureLegacyInstalled, runOpenclawCli, type LegacyInstall } from "../../scripts/legacy/index.js";
import { runGatewayClient } from "../../test/gateway-client.js";
import { CollectingSink, metricValue, useProxyBesideHanzod } from "./support.js";

const legacy = inject("legacy");

// The openclaw CLI starts slowly on a loaded machine, and a test runs it twice.
describe("real clients through the proxy", { timeout: 180_000 }, () => {
  let install: LegacyInstall;
  const sink = new CollectingSink();
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "methods:", "  health: hanzod", "  status: shadow"], { shadowSink: sink });

  beforeAll(async () => {
    install = await ensureLegacyInstalled(legacy.version, () => undefined);
  });

  // The openclaw CLI prints nothing when it sees VITEST in its environment; it is not under test itself.
  const cliEnv = { VITEST: "" };

  it("openclaw gateway call: health from hanzod, status from legacy with a shadow comparison", async () => {
    const health = await runOpenclawCli(install, ["gateway", "call", "health", "--url", env.proxy.url, "--token", legacy.token, "--json"], { env: cliEnv });
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout.length, `stdout: ${health.stdout} stderr: ${health.stderr}`).toBeGreaterThan(0);
    expect(JSON.parse(health.stdout).answeredBy).toBe("hanzod");
    const status = await runOpenclawCli(install, ["gateway", "call", "status", "--url", env.proxy.url, "--token", legacy.token, "--json"], { env: cliEnv });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).answeredBy).toBeUndefined();
    await expect.poll(() => sink.observations.filter((o) => o.method === "status").length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(await metricValue(env.proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "health", backend: "hanzod", outcome: "ok" })).toBeGreaterThanOrEqual(1);
  });

  it("@openclaw/gateway-client: connects, health answered by hanzod, config.get by legacy", async () => {
    const run = await runGatewayClient(install.nodeBin, { clientDir: install.gatewayClientDir, url: env.proxy.url, token: legacy.token, calls: [{ method: "health" }, { method: "config.get" }, { method: "status" }] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.map((l) => ("method" in l && l.ok ? { method: l.method, ok: l.ok, answeredBy: l.answeredBy } : l))).toEqual([
      { method: "health", ok: true, answeredBy: "hanzod" },
      { method: "config.get", ok: true, answeredBy: null },
      { method: "status", ok: true, answeredBy: null },
    ]);
  });
});
