/** Runs the real `openclaw` CLI (the legacy's own client) with a throwaway HOME. */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { legacyEnv, type LegacyInstall } from "./install.js";
import { QUIET_ENV } from "./launch.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runOpenclawCli(install: LegacyInstall, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  const home = await mkdtemp(join(tmpdir(), "hanzonode-cli-"));
  try {
    return await new Promise<CliRun>((resolve, reject) => {
      const child = spawn(install.nodeBin, [install.openclawEntry, ...args], {
        cwd: home,
        env: legacyEnv(install, { ...QUIET_ENV, HOME: home, OPENCLAW_STATE_DIR: join(home, ".openclaw"), NO_COLOR: "1", ...opts.env }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
