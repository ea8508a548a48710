/**
 * What `npx hanzod` runs: bin/hanzod.js, which prefers the bundle in dist/bundle/ (scripts/build/bundle-hanzod.mjs,
 * built by `npm ci`'s prepare and `npm run build`). The bundle must behave as the module tree does where bundling
 * could break it: a domain loaded on first use (a chunk), the intake worker started by URL beside its starter, the
 * native package left external, and pino carried inside (its log file written as before).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRaw, REPO_ROOT } from "../../protocol/index.js";
import { freePort } from "../../scripts/legacy/index.js";

const TOKEN = "bundle-test-token";

describe("the hanzod bundle (dist/bundle/hanzod.js, what bin/hanzod.js runs when built)", () => {
  let child: ChildProcess;
  let output = "";
  let stateDir: string;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, "dist", "bundle", "hanzod.js"))) throw new Error("dist/bundle/hanzod.js is missing: run `npm run build` (npm ci does)");
    stateDir = mkdtempSync(join(tmpdir(), "hanzod-bundle-"));
    const port = await freePort();
    url = `ws://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(REPO_ROOT, "dist", "bundle", "hanzod.js"), "--port", String(port), "--token", TOKEN, "--state-dir", stateDir, "--control-ui-root", "none"], {
      env: { ...process.env, HANZOD_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (output.includes("hanzod listening on")) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`hanzod exited ${code} before listening: ${output}`)));
    });
    await listening;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid!, "SIGTERM");
      await exited;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("judges a large frame on its intake worker (no inline fallback) and serves a lazily loaded domain", async () => {
    const { socket } = await connectRaw(url, { token: TOKEN, scopes: ["operator.read"] });
    try {
      const big = await socket.request("health", { probe: "x".repeat(256 * 1024) });
      expect(big.ok, JSON.stringify(big.error)).toBe(true);
      const second = await socket.request("health", { probe: "y".repeat(256 * 1024) });
      expect(second.ok).toBe(true);
      // A domain hanzod loads on first use, from a chunk of the bundle.
      const agents = await socket.request("agents.list", {});
      expect(agents.type).toBe("res");
    } finally {
      await socket.close();
    }
    expect(output).not.toContain("intake worker failed");
  });

  it("carries pino inside (no lookup in node_modules at start) and still writes the log file, secrets redacted", () => {
    const bundleDir = join(REPO_ROOT, "dist", "bundle");
    const externalLoads = readdirSync(bundleDir)
      .filter((f) => f.endsWith(".js"))
      .filter((f) => /require\(["'](pino|thread-stream|sonic-boom)["']\)|from ["'](pino|thread-stream|sonic-boom)["']/.test(readFileSync(join(bundleDir, f), "utf8")));
    expect(externalLoads).toEqual([]);
    const log = readFileSync(join(stateDir, "logs", "hanzod.log"), "utf8");
    expect(log).toContain('"msg":"hanzod listening"');
    expect(log).not.toContain(TOKEN);
  });
});
