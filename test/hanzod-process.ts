/**
 * A real hanzod in a process of its own for tests whose figures must belong to hanzod (latency, tail) rather
 * than to the test's event loop: the CLI entry under tsx, supervised as `hanzonode up` runs it, its state
 * in a throwaway folder that stop() removes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../protocol/index.js";
import { supervise, type SupervisedProcess } from "../cli/supervisor.js";
import type { ResultOverrides } from "../hanzod/test/inject-hook.js";

export interface HanzodProcess {
  url: string;
  pid: number;
  process: SupervisedProcess;
  /** Stops the process by PID (its group) and removes its state. */
  close(): Promise<void>;
}

export interface HanzodProcessOptions {
  token: string;
  trustedProxies?: string[];
  /** Result overrides applied by the test-only pipeline hook (hanzod/test/inject-hook.ts); the process then
   * runs hanzod/test/hooked-child.ts, since the production CLI has no such switch. */
  testInject?: ResultOverrides;
}

export async function spawnHanzodProcess(opts: HanzodProcessOptions): Promise<HanzodProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), "hanzod-proc-"));
  const child = supervise({
    name: "hanzod",
    command: (lastUrl) => {
      const port = lastUrl === undefined ? "0" : new URL(lastUrl).port;
      const proxies = (opts.trustedProxies ?? []).flatMap((p) => ["--trusted-proxy", p]);
      const hooked = opts.testInject !== undefined;
      return {
        file: process.execPath,
        args: hooked
          ? ["--import", "tsx", join(REPO_ROOT, "hanzod", "test", "hooked-child.ts"), "--port", port, "--token", opts.token, "--state-dir", stateDir, ...proxies]
          : ["--import", "tsx", join(REPO_ROOT, "hanzod", "cli.ts"), "--host", "127.0.0.1", "--port", port, "--auth", "token", "--state-dir", stateDir, ...proxies],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          OPENCLAW_GATEWAY_TOKEN: opts.token,
          HANZOD_LOG_LEVEL: "warn",
          ...(hooked ? { HANZOD_TEST_RESULT_OVERRIDES: JSON.stringify(opts.testInject) } : {}),
        },
      };
    },
    readyLine: /^(?:hanzod )?listening (?:on )?(ws:\/\/\S+)/,
    readyProbe: (url) => `${url.replace(/^ws/, "http")}/readyz`,
    output: {
      childLine: (origin, _stream, line) => process.stderr.write(`[${origin}] ${line}\n`),
      notice: (line) => process.stderr.write(`${line}\n`),
    },
  });
  try {
    const url = await child.ready;
    return {
      url,
      pid: child.pid!,
      process: child,
      async close() {
        await child.stop();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
