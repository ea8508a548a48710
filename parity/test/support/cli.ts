/** Runs `hanzonode ...` (the real CLI entry, through tsx) as a child process and captures its output. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../../protocol/index.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runHanzonode(args: string[], cwd: string = REPO_ROOT, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "cli", "hanzonode.ts"), ...args], {
      cwd,
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hanzonode ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
