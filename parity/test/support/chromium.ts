/**
 * Headless Chromium for the HTML report test: installed on demand by scripts/ensure-chromium.sh
 * (Debian's `chromium` package), run with a throwaway profile, stopped by PID.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../../../protocol/index.js";

export function ensureChromium(): string {
  return execFileSync("sh", [join(REPO_ROOT, "scripts", "ensure-chromium.sh")], { encoding: "utf8", timeout: 600_000 }).trim().split("\n").pop()!;
}

/** The DOM after scripts ran (`--dump-dom`) of a local HTML file. */
export function dumpDom(chromium: string, htmlFile: string, timeoutMs = 90_000): Promise<string> {
  return runHeadless(chromium, htmlFile, ["--dump-dom"], timeoutMs);
}

/** Where tests keep what a person should be able to look at afterwards (gitignored). */
export const ARTIFACTS_DIR = process.env.HANZONODE_ARTIFACTS_DIR ?? join(REPO_ROOT, "test-results");

/** A PNG of the page as headless Chromium renders it, written to `pngFile`. */
export async function screenshot(chromium: string, htmlFile: string, pngFile: string, size = "1280,2400", timeoutMs = 90_000): Promise<void> {
  mkdirSync(dirname(pngFile), { recursive: true });
  await runHeadless(chromium, htmlFile, [`--screenshot=${pngFile}`, `--window-size=${size}`, "--hide-scrollbars"], timeoutMs, true);
}

function runHeadless(chromium: string, htmlFile: string, mode: string[], timeoutMs: number, outputOptional = false): Promise<string> {
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
    ...mode,
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
      if (code === 0 && (outputOptional || out.length > 0)) resolve(out);
      else reject(new Error(`chromium exited ${code}: ${err.slice(-2000)}`));
    });
  });
}
