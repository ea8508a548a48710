/** Real clients against hanzod alone: the openclaw CLI and @openclaw/gateway-client (Node 24). */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureLegacyInstalled, runOpenclawCli } from "../../scripts/legacy/index.js";
import { startTestHanzod, type TestHanzod } from "./helpers.js";

const legacy = inject("legacy");
let hz: TestHanzod;
beforeAll(async () => {
  hz = await startTestHanzod();
});
afterAll(async () => {
  await hz?.stop();
});

describe("openclaw CLI against hanzod", () => {
  for (const method of ["health", "status", "system-presence"]) {
    it(`openclaw gateway call ${method} succeeds`, async () => {
      const install = await ensureLegacyInstalled(legacy.version);
      const run = await runOpenclawCli(install, ["gateway", "call", method, "--url", hz.url, "--token", hz.token, "--json"], { timeoutMs: 90_000 });
      expect(run.code, run.stderr).toBe(0);
      const body = JSON.parse(run.stdout) as unknown;
      if (method === "health") expect(body).toMatchObject({ ok: true });
      if (method === "status") expect(body).toMatchObject({ runtimeVersion: expect.any(String) });
      if (method === "system-presence") expect(Array.isArray(body) && body.some((e: { reason?: string }) => e.reason === "self")).toBe(true);
    }, 120_000);
  }
});

describe("@openclaw/gateway-client against hanzod", () => {
  it("connects with a device identity, is paired on loopback, and reconnects with its device token", async () => {
    const install = await ensureLegacyInstalled(legacy.version);
    const driver = join(fileURLToPath(new URL(".", import.meta.url)), "gateway-client-driver.mjs");
    const child = spawn(install.nodeBin, [driver, install.gatewayClientDir, hz.url, hz.token], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (c) => (clearTimeout(t), resolve(c)));
    });
    const steps = stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(steps.find((s) => s.step === "paired")).toMatchObject({ hasDeviceToken: true, authScopes: ["operator.read"], healthOk: true, stored: 1 });
    expect(steps.find((s) => s.step === "device-token-only")).toMatchObject({ healthOk: true, authScopes: ["operator.read"] });
  }, 90_000);
});
