/**
 * The recorded suites, one per tested legacy release: fixtures/recorded/<release>/, each recorded from
 * a real openclaw@<release> by `npm run fixtures:record -- --release <release>`.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./contract.js";
import { compareReleases, isReleaseName } from "./releases.js";

export const RECORDED_DIR = join(REPO_ROOT, "fixtures", "recorded");

export function recordedSuiteDir(release: string): string {
  return join(RECORDED_DIR, release);
}

/** Releases with a recorded suite, oldest first. */
export function recordedReleases(): string[] {
  if (!existsSync(RECORDED_DIR)) return [];
  return readdirSync(RECORDED_DIR).filter(isReleaseName).sort(compareReleases);
}
