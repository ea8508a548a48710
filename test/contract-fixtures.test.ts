/**
 * The recorded fixtures: every frame of a release's suite validates against that release's frozen
 * contract (fixtures/contract/<release>/) or is a listed deviation with a reason, and no fixture holds
 * a secret (token, password, device token, signature).
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, RECORDED_DIR, recordedReleases, recordedSuiteDir, releaseValidator } from "../protocol/index.js";
import { expandFixturePaths } from "../recorder/fixture-files.js";
import { readFixture } from "../protocol/fixture-format.js";
import { fixtureContractIssues } from "../recorder/fixture-contract.js";
import { DeviationIndex, loadDeviations } from "../recorder/deviations.js";
import { isPlaceholder, isSecretKey } from "../protocol/redact.js";

const files = recordedReleases().flatMap((r) => expandFixturePaths([recordedSuiteDir(r)]));
/** Each fixture against the contract of the release it was recorded from (its folder). */
const issuesOf = (release: string) => expandFixturePaths([recordedSuiteDir(release)]).flatMap((f) => fixtureContractIssues(readFixture(f), releaseValidator(release)));
/** Recorded runs (fixtures/runs) are not replayed against the contract, but hold no secret either. */
const scanned = [...files, ...expandFixturePaths([join(REPO_ROOT, "fixtures", "runs")])];

describe("recorded fixtures vs the frozen contract of their release", () => {
  it("every suite folder is a frozen release, and holds what its header says", () => {
    expect(recordedReleases().length).toBeGreaterThanOrEqual(2);
    expect(expandFixturePaths([RECORDED_DIR])).toEqual([]);
    for (const release of recordedReleases()) {
      for (const f of expandFixturePaths([recordedSuiteDir(release)])) expect(readFixture(f).header.meta?.gateway, f).toBe(`openclaw@${release}`);
    }
  });

  it.each(recordedReleases())("%s: every frame validates, or its issue is a known deviation with a reason", (release) => {
    const deviations = loadDeviations();
    for (const d of deviations) expect(d.reason.length).toBeGreaterThan(20);
    const index = new DeviationIndex(deviations);
    const unexplained = issuesOf(release).filter((i) => !index.find(i));
    expect(unexplained).toEqual([]);
  });

  it("every listed deviation still occurs (no stale entries)", () => {
    const issues = recordedReleases().flatMap(issuesOf);
    const deviations = loadDeviations();
    const index = new DeviationIndex(deviations);
    const used = new Set(issues.map((i) => index.find(i)).filter(Boolean));
    expect(deviations.filter((d) => !used.has(d))).toEqual([]);
  });
});

/** Every string under a secret-named key, anywhere in a fixture line. */
function secretValues(value: unknown, key: string | undefined, out: { key: string; value: string }[]): void {
  if (typeof value === "string") {
    if (key !== undefined && isSecretKey(key)) out.push({ key, value });
    return;
  }
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) for (const v of value) secretValues(v, typeof v === "string" ? key : undefined, out);
  else for (const [k, v] of Object.entries(value)) secretValues(v, k, out);
}

describe("no secrets in fixtures/recorded/* and fixtures/runs", () => {
  it("every secret-named field holds a placeholder, never a value", () => {
    const leaks: string[] = [];
    for (const f of scanned) {
      for (const line of readFileSync(f, "utf8").split("\n").filter(Boolean)) {
        const found: { key: string; value: string }[] = [];
        secretValues(JSON.parse(line), undefined, found);
        for (const s of found) if (s.value.length > 0 && !isPlaceholder(s.value) && !/^Bearer <redacted:[^>]+>$/.test(s.value)) leaks.push(`${f}: ${s.key}=${s.value.slice(0, 4)}…`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("no raw text carries a token, password, device token or signature", () => {
    const patterns = [
      // A secret-named JSON field with a literal value (also inside raw, unparsed frames).
      /\\?"(?:token|password|deviceToken|bootstrapToken|signature|approvalRuntimeToken|agentRuntimeIdentityToken)\\?"\s*:\s*\\?"(?!<redacted:)[^"\\]+/,
      // Tokens the legacy launcher generates for recordings.
      /\blegacy-[a-z0-9]{12,}\b/,
      /Bearer (?!<redacted:)\S+/,
    ];
    const hits: string[] = [];
    for (const f of scanned) {
      const text = readFileSync(f, "utf8");
      for (const p of patterns) {
        const m = p.exec(text);
        if (m) hits.push(`${f}: ${m[0].slice(0, 40)}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it("device handshakes are recorded with their signature and device token redacted", () => {
    const device = files.filter((f) => /device/.test(f)).map((f) => readFileSync(f, "utf8"));
    expect(device.length).toBeGreaterThanOrEqual(1);
    for (const text of device) expect(text).toMatch(/"signature":"<redacted:signature:\d+>"/);
    expect(device.some((t) => /"deviceToken":"<redacted:deviceToken:\d+>"/.test(t))).toBe(true);
  });
});
