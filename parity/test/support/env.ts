/** Test support: a real hanzod (in-process), throwaway dirs and checklist files, waiting for conditions. */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectHook, type ResultOverrides } from "../../../hanzod/test/inject-hook.js";
import { startTestHanzod as startHanzodForTest } from "../../../hanzod/test/helpers.js";

export const HANZOD_TOKEN = "parity-test-hanzod-token";

export interface TestHanzod {
  url: string;
  close(): Promise<void>;
}

/** A real hanzod (hanzod's own test helper); `overrides` alter a method's result through a test-only dispatch hook. */
export async function startTestHanzod(overrides?: ResultOverrides): Promise<TestHanzod> {
  const h = await startHanzodForTest({ auth: { mode: "token", token: HANZOD_TOKEN }, trustedProxies: ["127.0.0.1", "::1"], ...(overrides ? { hooks: [injectHook(overrides)] } : {}) });
  return { url: h.url, close: h.stop };
}

export interface TempDir {
  path: string;
  file(name: string): string;
  dispose(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (name) => join(path, name), dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a checklist the way editors do (write, then rename), so a watcher never sees half a file. */
export function writeChecklist(path: string, lines: string[]): void {
  writeFileSync(`${path}.tmp`, lines.join("\n") + "\n");
  renameSync(`${path}.tmp`, path);
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
