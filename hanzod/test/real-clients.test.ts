/** Real clients against hanzod alone: the openclaw CLI and @openclaw/gateway-client (Node 24). */
import { describe, expect, inject, it } from "vitest";
import { ensureLegacyInstalled, runOpenclawCli } from "../../scripts/legacy/index.js";
import { runGatewayClient } from "../../test/gateway-client.js";
import { useTestHanzod } from "./helpers.js";

const legacy = inject("legacy");
const hz = useTestHanzod();

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
    const run = await runGatewayClient(install.nodeBin, {
      clientDir: install.gatewayClientDir,
      url: hz.url,
      token: hz.token,
      clientName: "test",
      mode: "test",
      platform: "linux",
      scopes: ["operator.read"],
      device: true,
      calls: [{ method: "health" }],
      reconnectWithDeviceToken: true,
      reportHello: true,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // Connection 1 pairs with the shared token; connection 2 has only the device token it was issued.
    expect(run.lines).toMatchObject([
      { connection: 1, hasDeviceToken: true, authScopes: ["operator.read"], storedTokens: 1 },
      { method: "health", ok: true, payloadOk: true },
      { connection: 2, authScopes: ["operator.read"] },
      { method: "health", ok: true, payloadOk: true },
    ]);
  }, 90_000);
});
