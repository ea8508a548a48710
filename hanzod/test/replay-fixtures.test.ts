/**
 * Replays the recorded handshake/health/status/system-presence/error fixtures against hanzod with the
 * replay's own normalisation rules. Pre-hello error fixtures must be fully green. For the others, every
 * difference must be one of hanzod's documented, by-design differences (README "Where hanzod
 * deliberately differs"): what hello-ok advertises, plugin/Control UI fields, and content hanzod does
 * not have (agents, plugins). Anything else (codes, messages, closes, shapes, seq) fails the test.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../protocol/index.js";
import { replayFixtures } from "../../recorder/replay.js";
import { startTestHanzod, type TestHanzod } from "./helpers.js";

const SUITE = join(REPO_ROOT, "fixtures", "recorded");
const FULLY_GREEN = ["error.first-frame-not-connect.raw.jsonl", "error.not-json.raw.jsonl", "error.protocol-mismatch.raw.jsonl", "error.wrong-token.cli.jsonl"];

/** [method in `at`, path prefix]: differences hanzod has by design. */
const BY_DESIGN: [string, RegExp][] = [
  ["connect", /^\/features\/(methods|events|capabilities)/],
  ["connect", /^\/(controlUiWidgetKinds|pluginSurfaceUrls)$/],
  ["connect", /^\/auth\/(recoveryScope|recoveryMigrationAllowed)$/],
  ["connect", /^\/server\/controlUiBuildSource$/],
  ["connect", /^\/snapshot\/(appliedConfigHash|configPath|stateDir)$/],
  ["connect", /^\/snapshot\/health\/(agents|plugins\/loaded|heartbeatSeconds|sessions\/path)/],
  ["health", /^\/(agents|plugins\/loaded|heartbeatSeconds|sessions\/path)/],
  ["status", /^\/(heartbeat\/agents|sessions\/byAgent)/],
  // hanzod does not implement config.get (the proxy routes it to the legacy).
  ["config.get", /^\/ok$/],
];

let hz: TestHanzod;
beforeAll(async () => {
  hz = await startTestHanzod();
});
afterAll(async () => {
  await hz?.stop();
});

describe("recorded fixtures replayed against hanzod", () => {
  it("are green, apart from documented by-design differences", async () => {
    const files = readdirSync(SUITE)
      .filter((f) => /^(handshake|health|status|system-presence|error)\./.test(f))
      .map((f) => join(SUITE, f));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const report = await replayFixtures({ target: hz.url, token: hz.token, files });
    expect(report.results.filter((r) => r.error).map((r) => `${r.fixture}: ${r.error}`)).toEqual([]);
    for (const name of FULLY_GREEN) expect(report.results.find((r) => r.fixture === name || r.file.endsWith(name))?.ok, name).toBe(true);
    const unexpected = report.results.flatMap((r) =>
      r.differences
        .filter((d) => !BY_DESIGN.some(([method, path]) => d.at.endsWith(`(${method})`) && path.test(d.path)))
        .map((d) => `${r.fixture} ${d.at} ${d.kind} ${d.path}`),
    );
    expect(unexpected).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(hz.token);
  }, 120_000);
});
