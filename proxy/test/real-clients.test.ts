/** The real openclaw CLI and @openclaw/gateway-client work through the proxy unchanged. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProxy, type RunningProxy } from "../index.js";
import { ensureLegacyInstalled, runOpenclawCli, type LegacyInstall } from "../../scripts/legacy/index.js";
import { CollectingSink, HANZOD_TOKEN, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";

const legacy = inject("legacy");
const here = fileURLToPath(new URL(".", import.meta.url));

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
    const plan = { clientDir: install.gatewayClientDir, url: proxy.url, token: legacy.token, calls: [{ method: "health" }, { method: "config.get" }, { method: "status" }] };
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(install.nodeBin, [join(here, "gateway-client-driver.mjs"), JSON.stringify(plan)], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("error", reject);
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    const results = out.stdout.trim().split("\n").map((l) => JSON.parse(l) as { method: string; ok: boolean; answeredBy: string | null });
    expect(results).toEqual([
      { method: "health", ok: true, answeredBy: "hanzod" },
      { method: "config.get", ok: true, answeredBy: null },
      { method: "status", ok: true, answeredBy: null },
    ]);
  });
});
