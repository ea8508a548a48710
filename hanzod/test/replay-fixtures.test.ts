/**
 * Issue 3's must-show, per tested legacy release (issue 13): the Phase 0 fixtures for the handshake,
 * health, status, system-presence and every error case of each recorded suite (fixtures/recorded/<release>/)
 * replay against hanzod running `--compat <release>`, with THE SAME normalisation rules as against the
 * legacy gateway (parity/compare/default-rules.ts, no hanzod-specific allow-list). What no general rule can
 * honestly cover is listed, with its reason, in fixtures/known-differences.json: the replay must show
 * exactly those differences, so a new difference fails and so does an entry that stopped happening.
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { recordedReleases, recordedSuiteDir } from "../../protocol/index.js";
import { DEFAULT_RULES } from "../../parity/compare/index.js";
import { replayFixtures } from "../../recorder/replay.js";
import { checkKnownDifferences, loadKnownDifferences } from "../../recorder/known-differences.js";
import { useTestHanzod } from "./helpers.js";
import { copyAsRecordedElsewhere } from "../../test/other-machine.js";

/** The phase-1 flows hanzod serves: the handshake, health, status, system-presence and every error case. */
function suiteFiles(release: string): string[] {
  const suite = recordedSuiteDir(release);
  return readdirSync(suite)
    .filter((f) => /^(handshake|health|status|system-presence|error)\./.test(f))
    .sort()
    .map((f) => join(suite, f));
}

it("both the pinned release and the default legacy have a recorded suite", () => {
  expect(recordedReleases()).toEqual(expect.arrayContaining(["2026.9.1", "2026.9.6"]));
});

describe.each(recordedReleases())("recorded %s fixtures replayed against hanzod --compat %s", (release) => {
  const hz = useTestHanzod({ compat: release });

  it("are green under the default rules, apart from the listed known differences", async () => {
    const files = suiteFiles(release);
    expect(files.length).toBeGreaterThanOrEqual(10);
    const report = await replayFixtures({ target: hz.url, token: hz.token, files, rules: DEFAULT_RULES });
    const known = loadKnownDifferences("hanzod").filter((k) => files.some((f) => basename(f) === k.fixture));
    const check = checkKnownDifferences(report, known);
    expect(check.unexpected).toEqual([]);
    expect(check.stale).toEqual([]);
    // Every fixture without a listed difference is fully green: frames, codes, closes.
    const withKnown = new Set(known.map((k) => k.fixture));
    const notGreen = report.results.filter((r) => !r.ok && !withKnown.has(r.fixture)).map((r) => r.fixture);
    expect(notGreen).toEqual([]);
    expect(report.passed).toBe(files.length - withKnown.size);
    expect(JSON.stringify(report)).not.toContain(hz.token);
  }, 120_000);

  it("give a copy recorded on another machine the same verdicts", async () => {
    const files = suiteFiles(release);
    const dir = await mkdtemp(join(tmpdir(), "hanzod-elsewhere-"));
    try {
      const elsewhere = await copyAsRecordedElsewhere(files, dir);
      expect(elsewhere.rewritten).toBeGreaterThan(0);
      const verdicts = async (list: string[]) =>
        (await replayFixtures({ target: hz.url, token: hz.token, files: list, rules: DEFAULT_RULES })).results.map((r) => ({ fixture: basename(r.fixture), ok: r.ok, differences: r.differences }));
      expect(await verdicts(elsewhere.files)).toEqual(await verdicts(files));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
