/** Runs a platform tool (systemctl, loginctl, launchctl, journalctl) and keeps what it said. */
import { execFile } from "node:child_process";

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type RunTool = (cmd: string, args: string[]) => Promise<ToolResult>;

export const runTool: RunTool = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === "ENOENT") return resolve({ code: 127, stdout: "", stderr: `${cmd}: not found on PATH` });
      resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout, stderr });
    });
  });

export function toolText(r: ToolResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n").slice(0, 3).join(" / ");
}
