/**
 * Headless Chromium for the HTML report test: installed on demand by scripts/ensure-chromium.sh
 * (Debian's `chromium` package), run with a throwaway profile, stopped by PID.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../../../protocol/index.js";

export function ensureChromium(): string {
  return execFileSync("sh", [join(REPO_ROOT, "scripts", "ensure-chromium.sh")], { encoding: "utf8", timeout: 600_000 }).trim().split("\n").pop()!;
}

/** The DOM after scripts ran (`--dump-dom`) of a local HTML file. */
export function dumpDom(chromium: string, htmlFile: string, timeoutMs = 90_000): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "parity-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
    "--dump-dom",
    pathToFileURL(htmlFile).href,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const cleanup = (): void => rmSync(profile, { recursive: true, force: true });
    const timer = setTimeout(() => {
      // Chromium forks helpers into its process group: end the whole group by its leader's PID.
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      cleanup();
      reject(new Error(`chromium did not finish within ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      cleanup();
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* group already gone */
      }
      cleanup();
      if (code === 0 && out.length > 0) resolve(out);
      else reject(new Error(`chromium exited ${code}: ${err.slice(-2000)}`));
    });
  });
}
