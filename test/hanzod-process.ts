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
import type { TestInject } from "../hanzod/index.js";

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
  /** hanzod's test-only result overrides (HANZOD_TEST_INJECT). */
  testInject?: TestInject;
}

export async function spawnHanzodProcess(opts: HanzodProcessOptions): Promise<HanzodProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), "hanzod-proc-"));
  const child = supervise({
    name: "hanzod",
    command: (lastUrl) => ({
      file: process.execPath,
      args: ["--import", "tsx", join(REPO_ROOT, "hanzod", "cli.ts"), "--host", "127.0.0.1", "--port", lastUrl === undefined ? "0" : new URL(lastUrl).port, "--auth", "token", "--state-dir", stateDir, ...(opts.trustedProxies ?? []).flatMap((p) => ["--trusted-proxy", p])],
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        OPENCLAW_GATEWAY_TOKEN: opts.token,
        HANZOD_LOG_LEVEL: "warn",
        ...(opts.testInject !== undefined ? { HANZOD_TEST_SWITCHES: "1", HANZOD_TEST_INJECT: JSON.stringify(opts.testInject) } : {}),
      },
    }),
    readyLine: /^hanzod listening on (ws:\/\/\S+)/,
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
