/**
 * `hanzonode replay --target-kind K --state-dir D` stores per-method results in the parity store, and
 * `hanzonode parity report --json` shows them: replay-green per method and side, counted in coverage.
 * Real legacy (shared), real hanzod, the real CLI as a child process.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, recordedSuiteDir } from "../../protocol/index.js";
import { DEFAULT_LEGACY_VERSION } from "../../scripts/legacy/index.js";
import { defaultStorePath } from "../../parity/store/diff-store.js";
import { startTestHanzod, type TestHanzod } from "../../hanzod/test/helpers.js";
import { replayFixtures } from "../replay.js";
import { methodResults, storeReplayRun } from "../replay-store.js";
import { runHanzonode } from "../../parity/test/support/cli.js";
import { startTestPostgres } from "../../parity/test/support/postgres.js";

// The shared legacy is the default release, and hanzod answers as it by default: its suite.
const SUITE = recordedSuiteDir(DEFAULT_LEGACY_VERSION);
/**
 * Against the SHARED legacy only fixtures whose answers do not depend on gateway state (they end
 * before hello-ok): other test files may pair nodes or open sessions on it, which every hello-ok
 * snapshot would show.
 */
const LEGACY_FIXTURES = ["error.first-frame-not-connect.raw.jsonl", "error.protocol-mismatch.raw.jsonl", "error.wrong-token.cli.jsonl"].map((f) => join(SUITE, f));
const HANZOD_FIXTURES = ["health.cli.jsonl", "status.cli.jsonl", "error.missing-scope.gateway-client.jsonl", "config.get.cli.jsonl"].map((f) => join(SUITE, f));


interface Row {
  method: string;
  coverage: { replayGreenLegacy: boolean | null; replayGreenHanzod: boolean | null; implemented: boolean | null };
}

let work: string;
let hz: TestHanzod;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "hanzonode-replay-store-"));
  hz = await startTestHanzod();
});
afterAll(async () => {
  await hz?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("replay results in the parity store", () => {
  it("refuses to store without --target-kind", async () => {
    const legacy = inject("legacy");
    const r = await runHanzonode(["replay", "--target", legacy.url, "--token", legacy.token, "--state-dir", work, LEGACY_FIXTURES[0]!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--target-kind legacy|hanzod is required");
  }, 60_000);

  it("legacy replay via the CLI and hanzod replay show up per method and side in parity report --json", async () => {
    const legacy = inject("legacy");
    const stored = await runHanzonode(["replay", "--target", legacy.url, "--token", legacy.token, "--target-kind", "legacy", "--state-dir", work, ...LEGACY_FIXTURES]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toContain("3 passed, 0 failed");
    expect(stored.stderr).toMatch(/stored replay results of \d+ method\(s\) against legacy/);

    const hzReport = await replayFixtures({ target: hz.url, token: hz.token, files: HANZOD_FIXTURES });
    const rows = await storeReplayRun(hzReport, { storePath: defaultStorePath(work), targetKind: "hanzod", source: "test" });
    // config.get: hanzod answers it only for a file the legacy cannot parse and refuses a valid one (UNAVAILABLE),
    // so the recorded valid-file call is the one red method.
    expect(rows.filter((r) => r.failed > 0).map((r) => r.method)).toEqual(["config.get"]);
    expect(rows.find((r) => r.method === "config.get")?.firstFailure).toContain("ok at /ok");

    const { stdout, code } = await runHanzonode(["parity", "report", "--state-dir", work, "--json", "--checklist", join(REPO_ROOT, "parity", "checklist.yaml")]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { coverage: { replayGreenLegacy: number; replayGreenHanzod: number }; phases: { methods: Row[] }[] };
    const byMethod = new Map(report.phases.flatMap((p) => p.methods).map((r) => [r.method, r.coverage]));
    // legacy: connect (protocol mismatch, wrong token) and health (sent before connect)
    expect(byMethod.get("connect")).toMatchObject({ replayGreenLegacy: true, replayGreenHanzod: true });
    expect(byMethod.get("health")).toMatchObject({ replayGreenLegacy: true, replayGreenHanzod: true, implemented: true });
    expect(byMethod.get("status")).toMatchObject({ replayGreenLegacy: null, replayGreenHanzod: true, implemented: true });
    expect(byMethod.get("config.get")).toMatchObject({ replayGreenLegacy: null, replayGreenHanzod: false, implemented: true });
    expect(byMethod.get("gateway.suspend.prepare")).toMatchObject({ replayGreenLegacy: null, replayGreenHanzod: true, implemented: true });
    expect(report.coverage.replayGreenLegacy).toBe(2);
    // connect, health, status, gateway.suspend.prepare
    expect(report.coverage.replayGreenHanzod).toBe(4);
    expect(stdout).not.toContain(legacy.token);
  }, 120_000);

  it("a fleet's replay results go to its PostgreSQL store, where parity report --store reads them", async () => {
    const db = await startTestPostgres();
    try {
      const stored = await runHanzonode(["replay", "--target", hz.url, "--token", hz.token, "--target-kind", "hanzod", "--store", db.url, ...HANZOD_FIXTURES.slice(0, 2)]);
      expect(stored.code, stored.stderr).toBe(0);
      expect(stored.stderr).toMatch(/stored replay results of 3 method\(s\) against hanzod in postgres/);
      const { stdout, code, stderr } = await runHanzonode(["parity", "report", "--store", db.url, "--json", "--checklist", join(REPO_ROOT, "parity", "checklist.yaml")]);
      expect(code, stderr).toBe(0);
      const report = JSON.parse(stdout) as { phases: { methods: Row[] }[] };
      const byMethod = new Map(report.phases.flatMap((p) => p.methods).map((r) => [r.method, r.coverage]));
      expect(byMethod.get("health")).toMatchObject({ replayGreenHanzod: true });
      expect(byMethod.get("status")).toMatchObject({ replayGreenHanzod: true });
      expect(byMethod.get("config.get")?.replayGreenHanzod ?? null).toBeNull(); // not replayed
    } finally {
      await db.dispose();
    }
  }, 120_000);

  it("a fixture-level difference (wrong close code) fails every exchange of that fixture", async () => {
    const text = await readFile(join(SUITE, "error.wrong-token.cli.jsonl"), "utf8");
    const tampered = join(work, "wrong-close.jsonl");
    expect(text).toContain('"code":1008,');
    await writeFile(tampered, text.replace('"code":1008,', '"code":1002,'));
    const report = await replayFixtures({ target: hz.url, token: hz.token, files: [tampered] });
    const connect = report.results[0]?.exchanges.find((e) => e.method === "connect");
    // The connect answer itself matches; the close after it does not, so the exchange is red.
    expect(report.results[0]?.differences.map((d) => d.kind)).toEqual(["close"]);
    expect(connect).toMatchObject({ ok: false });
    expect(connect?.firstFailure).toContain("close at /close/code: expected 1002, got 1008");
    expect(methodResults(report)).toEqual([expect.objectContaining({ method: "connect", passed: 0, failed: 1 })]);
  }, 60_000);
});
