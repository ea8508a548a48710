/**
 * `hanzonode status` (issue 19, strict mode model): which runtime a client config reaches, local or
 * remote, and its release. Probed against the real shared legacy, a real hanzod, and the proxy in front
 * of each; the config is resolved with the legacy's credential precedence (docs/gateway/remote.md).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHanzod, type HanzodHandle } from "../../hanzod/index.js";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import { freePort } from "../../scripts/legacy/index.js";
import { newestRelease } from "../../protocol/index.js";
import { writeRemoteClientConfig } from "../attach/client-config.js";
import { resolveClientTarget } from "../status/client-target.js";
import { probeGateway } from "../status/probe.js";
import type { StatusReport } from "../commands/status.js";

const legacy = inject("legacy");
const HANZOD_TOKEN = "status-test-hanzod-token";
let dir: string;
let hanzod: HanzodHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hanzonode-status-"));
  hanzod = await startHanzod({ port: 0, auth: { mode: "token", token: HANZOD_TOKEN }, stateDir: join(dir, "hanzod-state"), logger: false });
});
afterAll(async () => {
  await hanzod?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, gateway: Record<string, unknown>): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `// a client config, JSON5 as the legacy writes it\n${JSON.stringify({ gateway }, null, 2)}\n`);
  return path;
}

function checklist(lines: string[]): string {
  const path = join(dir, `checklist-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, ["version: 1", ...lines, ""].join("\n"));
  return path;
}

describe("the client target, resolved as the legacy's clients resolve it", () => {
  it("local mode: the default port, gateway.port, OPENCLAW_GATEWAY_PORT; gateway.auth.token before the env's and remote.token", () => {
    expect(resolveClientTarget(join(dir, "missing.json"), {})).toMatchObject({ mode: "local", url: "ws://127.0.0.1:18789", urlFrom: "the default port" });
    const path = config("local", { port: 19001, auth: { token: "local-t" }, remote: { url: "ws://10.0.0.9:1", token: "remote-t" } });
    expect(resolveClientTarget(path, {})).toMatchObject({ mode: "local", url: "ws://127.0.0.1:19001", token: "local-t" });
    expect(resolveClientTarget(path, { OPENCLAW_GATEWAY_PORT: "19002", OPENCLAW_GATEWAY_TOKEN: "env-t" })).toMatchObject({ url: "ws://127.0.0.1:19002", urlFrom: "OPENCLAW_GATEWAY_PORT", token: "local-t" });
    const noLocalToken = config("local2", { port: 19001, remote: { token: "remote-t" } });
    expect(resolveClientTarget(noLocalToken, { OPENCLAW_GATEWAY_TOKEN: "env-t" }).token).toBe("env-t");
    expect(resolveClientTarget(noLocalToken, {}).token).toBe("remote-t");
    expect(resolveClientTarget(config("local3", { mode: "local", remote: { url: "ws://10.0.0.9:1", transport: "ssh" } }), {})).not.toHaveProperty("transport");
  });

  it("remote mode: gateway.remote.url, remote.token before the env's and the local one; never both modes", () => {
    const path = config("remote", { mode: "remote", port: 19001, auth: { token: "local-t" }, remote: { url: "ws://127.0.0.1:19555", transport: "ssh", sshTarget: "me@box", token: "remote-t" } });
    expect(resolveClientTarget(path, { OPENCLAW_GATEWAY_TOKEN: "env-t" })).toMatchObject({ mode: "remote", url: "ws://127.0.0.1:19555", transport: "ssh", sshTarget: "me@box", token: "remote-t" });
    expect(resolveClientTarget(config("remote2", { mode: "remote", auth: { token: "local-t" }, remote: { url: "ws://h:1" } }), { OPENCLAW_GATEWAY_TOKEN: "env-t" }).token).toBe("env-t");
    expect(() => resolveClientTarget(config("remote3", { mode: "remote", remote: {} }), {})).toThrow(/gateway\.mode is "remote" but gateway\.remote\.url is not set/);
    expect(() => resolveClientTarget(config("both", { mode: "both" }), {})).toThrow(/gateway\.mode must be "local" or "remote"/);
  });

  it("an explicit URL never reuses the config's credentials; OPENCLAW_GATEWAY_URL only the env's", () => {
    const path = config("creds", { auth: { token: "local-t" } });
    expect(resolveClientTarget(path, {}, { url: "ws://127.0.0.1:1" })).not.toHaveProperty("token");
    expect(resolveClientTarget(path, { OPENCLAW_GATEWAY_URL: "ws://127.0.0.1:2" })).not.toHaveProperty("token");
    expect(resolveClientTarget(path, { OPENCLAW_GATEWAY_URL: "ws://127.0.0.1:2", OPENCLAW_GATEWAY_TOKEN: "env-t" })).toMatchObject({ url: "ws://127.0.0.1:2", urlFrom: "OPENCLAW_GATEWAY_URL", token: "env-t" });
  });
});

describe("the probe tells the runtimes apart", () => {
  it("hanzod directly: hanzod, its compat release, no proxy", async () => {
    const p = await probeGateway(hanzod.url, { token: HANZOD_TOKEN });
    expect(p).toMatchObject({ runtime: "hanzod", viaProxy: false, version: newestRelease() });
  });

  it("the legacy directly: legacy, the release it reports", async () => {
    const p = await probeGateway(legacy.url, { token: legacy.token });
    expect(p).toMatchObject({ runtime: "legacy", viaProxy: false, version: legacy.version });
  });

  it("through the proxy: marked as the proxy, with whichever runtime owns connect", async () => {
    const toHanzod = await startProxy({ listenPort: 0, adminPort: 0, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: checklist(["authOwner: hanzod", "nodeOwner: hanzod", "default: hanzod"]), logLevel: "silent" });
    const toLegacy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, checklistPath: checklist(["default: legacy"]), logLevel: "silent" });
    try {
      expect(await probeGateway(toHanzod.url, { token: HANZOD_TOKEN })).toMatchObject({ runtime: "hanzod", viaProxy: true });
      expect(await probeGateway(toLegacy.url, { token: legacy.token })).toMatchObject({ runtime: "legacy", viaProxy: true, version: legacy.version });
    } finally {
      await toHanzod.close();
      await toLegacy.close();
    }
  });

  it("says why when nothing listens, when the credential is refused", async () => {
    await expect(probeGateway(`ws://127.0.0.1:${await freePort()}`, {})).rejects.toThrow(/nothing answers a WebSocket upgrade at ws:\/\/127\.0\.0\.1:\d+/);
    await expect(probeGateway(hanzod.url, { token: "wrong" })).rejects.toThrow(/refused the connect: \S+/);
  });
});

describe("hanzonode status (the CLI)", () => {
  const run = (args: string[]): Promise<{ code: number; stdout: string }> =>
    new Promise((resolve) =>
      execFile(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "hanzonode.ts"), "status", ...args], { cwd: join(import.meta.dirname, "..", ".."), env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: "", OPENCLAW_GATEWAY_URL: "", OPENCLAW_GATEWAY_PORT: "" } }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );

  it("after cutover the client config reaches hanzod directly, in remote mode; the credential is never printed", async () => {
    const path = join(dir, "cutover", "openclaw.json");
    writeRemoteClientConfig(path, { url: hanzod.url, transport: "direct", token: HANZOD_TOKEN });
    const r = await run(["--client-config", path, "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as StatusReport;
    expect(report).toMatchObject({ mode: "remote", url: hanzod.url, transport: "direct", reachable: true, runtime: "hanzod", viaProxy: false, version: newestRelease() });
    expect(r.stdout).not.toContain(HANZOD_TOKEN);
  }, 60_000);

  it("a local config on a port where nothing listens: exit 1, saying so", async () => {
    const r = await run(["--client-config", config("dead", { port: await freePort(), auth: { token: "x" } })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mode: +local/);
    expect(r.stdout).toMatch(/reaches: +unreachable: nothing answers a WebSocket upgrade/);
  }, 60_000);
});
