/**
 * The short fuzz run, part of `npm test`: every hostile kind against hanzod and the proxy (each in its
 * own process), the routing check with small counts. It asserts what does not depend on the machine's
 * speed: no crash, no answer lost or misrouted, a normal client still served. Stall and RSS targets
 * are the long run's (`npm run fuzz`), measured against idle figures from the same run.
 */
import { describe, expect, it } from "vitest";
import { ATTACKS } from "../attacks.js";
import { runFuzz } from "../run.js";

describe("short fuzz run", () => {
  it("hostile frames of every kind, then 50 connections x 8 requests: 0 crashes, 0 lost or misrouted answers", async () => {
    const s = await runFuzz({ frames: 1_500, seconds: 20, concurrency: 3, routingConnections: 50, routingRequests: 8, cooldownMs: 0, seed: 16 });
    expect(s.processes.filter((p) => p.crashed)).toEqual([]);
    for (const a of ATTACKS) expect(s.attacks[a.name] ?? 0, a.name).toBeGreaterThan(0);
    expect(s.routing).toMatchObject({ connections: 50, requests: 400, answered: 400, lost: 0, misrouted: 0, refused: 0 });
    expect(Object.values(s.liveness).every((l) => l.ok)).toBe(true);
    // The watchdog timed frames inside each target (the long run's per-frame stall target reads this).
    for (const p of s.processes) expect(p.longestFrameMs, p.name).toBeGreaterThan(0);
  }, 300_000);
});
