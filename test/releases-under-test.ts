/**
 * The legacy releases a live comparison test runs against (hanzod beside a real legacy of that release on
 * one state dir). Every tested release by default; `HANZONODE_TEST_RELEASES` (comma-separated versions, or
 * `default` for the default release) narrows it.
 * CI's Node 22 and 24 runs name the default release only: what differs between releases is the legacy's
 * answers, proven against each release on Node 20, while the runs on 22 and 24 prove hanzod's own code on
 * those runtimes, and a legacy start per release and file is most of such a test's time.
 */
import { DEFAULT_LEGACY_VERSION, TESTED_LEGACY_VERSIONS } from "../scripts/legacy/index.js";

export function releasesUnderTest(): string[] {
  const all = [DEFAULT_LEGACY_VERSION, ...TESTED_LEGACY_VERSIONS.filter((v) => v !== DEFAULT_LEGACY_VERSION)];
  const named = process.env.HANZONODE_TEST_RELEASES?.split(",")
    .map((v) => (v.trim() === "default" ? DEFAULT_LEGACY_VERSION : v.trim()))
    .filter(Boolean);
  if (!named || named.length === 0) return all;
  const unknown = named.filter((v) => !all.includes(v));
  if (unknown.length > 0) throw new Error(`HANZONODE_TEST_RELEASES names ${unknown.join(", ")}; tested releases: ${all.join(", ")}`);
  return all.filter((v) => named.includes(v));
}

/**
 * Whether a test in which none of the project's runtime code runs (the real legacy against the project's
 * own test stand-ins: platform fakes, the model server; the reference behaviour hanzod must reproduce) is
 * skipped here. CI runs such tests
 * once, on Node 20 (`HANZONODE_SKIP_LEGACY_ONLY=1` on its Node 22 and 24 runs): the legacy always runs on
 * its own Node 24, so repeating them proves nothing new about a runtime and costs minutes of CI.
 */
export const skipLegacyOnly = process.env.HANZONODE_SKIP_LEGACY_ONLY === "1";
