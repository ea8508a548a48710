/**
 * The short fuzz run, part of `npm test`: every hostile kind against hanzod and the proxy (each in its
 * own process), the routing check with small counts. It asserts what does not depend on the machine's
 * speed: no crash, no answer lost or misrouted, a normal client still served. Stall and RSS targets
 * are the long run's (`npm run fuzz`), measured against idle figures from the same run.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ATTACKS } from "../attacks.js";
import { startTarget } from "../processes.js";
import { runFuzz, selectAttacks } from "../run.js";

describe("short fuzz run", () => {
  it("hostile frames of every kind, then 50 connections x 8 requests: 0 crashes, 0 lost or misrouted answers", async () => {
    const s = await runFuzz({ frames: 1_500, seconds: 20, concurrency: 3, routingConnections: 50, routingRequests: 8, cooldownMs: 0, seed: 16, from: "source" });
    expect(s.processes.filter((p) => p.crashed)).toEqual([]);
    for (const a of ATTACKS) expect(s.attacks[a.name] ?? 0, a.name).toBeGreaterThan(0);
    expect(s.routing).toMatchObject({ connections: 50, requests: 400, answered: 400, lost: 0, misrouted: 0, refused: 0 });
    expect(Object.values(s.liveness).every((l) => l.ok)).toBe(true);
    // The watchdog timed frames inside each target (the long run's per-frame stall target reads this).
    for (const p of s.processes) expect(p.longestFrameMs, p.name).toBeGreaterThan(0);
  }, 300_000);

  it("the long run's targets run the compiled dist/ that users run, with no TypeScript loader in the process", async () => {
    // RSS figures from source include tsx's loader in every thread (about 26 MB each); `npm run fuzz`
    // measures the build (npm ci and the fuzz script build it; tsconfig.build.json includes fuzz/).
    const t = await startTarget("hanzod", { kind: "hanzod", token: "fuzz-build-check", trustedProxies: [] }, "build");
    try {
      const argv = readFileSync(`/proc/${t.pid}/cmdline`, "utf8").split("\0");
      expect(argv.some((a) => a.endsWith("/dist/fuzz/target.js")), argv.join(" ")).toBe(true);
      expect(argv.filter((a) => a === "--import" || a.includes("tsx")), argv.join(" ")).toEqual([]);
    } finally {
      await t.stop();
    }
  }, 60_000);
});

describe("FUZZ_ATTACKS (one attack kind at a time, to see which makes a peak)", () => {
  it("runs only the kinds named, all when none is, and a misspelt kind is an error, not an empty run", async () => {
    expect(selectAttacks(["huge-id", "deep-nesting"]).map((a) => a.name)).toEqual(["deep-nesting", "huge-id"]);
    expect(selectAttacks(undefined)).toBe(ATTACKS);
    expect(selectAttacks([])).toBe(ATTACKS);
    expect(() => selectAttacks(["huge-idd"])).toThrow(/unknown attack kind huge-idd/);
    await expect(runFuzz({ frames: 1, seconds: 1, concurrency: 1, routingConnections: 1, routingRequests: 1, cooldownMs: 0, seed: 1, from: "source", attacks: ["nope"] })).rejects.toThrow(/unknown attack kind nope/);
  });
});
