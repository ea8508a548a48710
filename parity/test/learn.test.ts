/**
 * `hanzonode parity learn FIXTURES...`: fixtures recorded from the real legacy gateway by the real
 * recorder (the proxy with a FixtureWriter tap, every route on legacy) teach which paths are noise.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { startProxy } from "../../proxy/index.js";
import { FixtureWriter } from "../../recorder/fixture-writer.js";
import { DiffStore } from "../store/diff-store.js";
import { runHanzonode } from "./support/cli.js";
import { tempDir, type TempDir } from "./support/env.js";
import { connectRawClient } from "./support/raw-client.js";

const legacy = inject("legacy");

// The CLI runs under tsx: 10-25 s a run on a loaded two-core machine.
describe("parity learn (offline, from recorded fixtures)", { timeout: 180_000 }, () => {
  let dir: TempDir;
  let fixtures: string;

  beforeAll(async () => {
    dir = tempDir("parity-learn-");
    fixtures = dir.file("fixtures");
    const writer = new FixtureWriter({ outDir: fixtures, gatewayToken: legacy.token });
    const proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, tap: writer, logLevel: "silent" });
    try {
      // Two connections, the same read requests: pairs across connections and within one.
      for (let c = 0; c < 2; c++) {
        const client = await connectRawClient(proxy.url, legacy.token);
        for (let i = 0; i < 3; i++) {
          await client.call("system.info", {});
          await client.call("health", { probe: true });
          // Millisecond clocks (ts, uptimeMs) surely move between two answers; how long a health probe
          // took (durationMs) may or may not, so the test does not count on that one.
          await new Promise((r) => setTimeout(r, 3));
        }
        await client.close();
      }
    } finally {
      await proxy.close();
    }
  });
  afterAll(() => dir?.dispose());

  it("prints suggested checklist rules naming the paths that differ between legacy answers", async () => {
    const r = await runHanzonode(["parity", "learn", "--raw", fixtures]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/learned from 2 fixture\(s\), 10 answer pair\(s\)/);
    const doc = parse(r.stdout) as { methods: Record<string, { compare: { ignore: string[] } }> };
    expect(doc.methods["system.info"]?.compare.ignore).toContain("/uptimeMs");
    expect(doc.methods.health?.compare.ignore).toContain("/ts");
    // Fields that do not change between identical requests are not noise.
    expect(doc.methods["system.info"]?.compare.ignore).not.toContain("/hostname");
    // Every suggestion says how often it differed.
    expect(r.stdout).toMatch(/- \/uptimeMs # value in \d+% of 5 pairs/);
    // No secret went into the fixtures the learner read, nor into its output.
    for (const name of readdirSync(fixtures)) expect(readFileSync(join(fixtures, name), "utf8")).not.toContain(legacy.token);
    expect(r.stdout).not.toContain(legacy.token);
  });

  it("--save adds the learned noise to the store, where the report and shadow judging use it", async () => {
    const storePath = dir.file("parity.sqlite");
    const r = await runHanzonode(["parity", "learn", "--raw", "--save", "--store", storePath, fixtures]);
    expect(r.code, r.stderr).toBe(0);
    const store = DiffStore.open(storePath, { mustExist: true });
    expect(store.noiseProbeCounts().find((p) => p.method === "system.info")?.probes).toBe(5);
    expect(store.noisePaths().some((p) => p.method === "system.info" && p.path === "/uptimeMs")).toBe(true);
    store.close();
    // Without fixtures, learn prints what the store has learned.
    const fromStore = await runHanzonode(["parity", "learn", "--store", storePath, "--min-pairs", "2"]);
    expect(fromStore.code, fromStore.stderr).toBe(0);
    expect(fromStore.stdout).toContain("Noise learned from live noise probes");
  });
});
