/**
 * hanzod under `hanzonode up` fails on its own: the real CLI in its own process in front of the real legacy,
 * hanzod a supervised child of it. `health` goes to hanzod with `fallback: legacy`, `status` to legacy.
 *  - hanzod stopped (SIGSTOP) for 10 s: legacy-routed calls keep their latency (compared with the same loop
 *    before the stop), hanzod-routed calls fail over to legacy within the deadline, and after SIGCONT every
 *    call has exactly one answer and hanzod serves again (the same process: a stalled child is not killed).
 *  - hanzod killed (SIGKILL): no client connection drops, no call fails, up restarts hanzod within seconds
 *    and traffic returns to it; up's own exit then stops every child.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../scripts/legacy/index.js";
import { connectClient, waitFor, type ResponseFrame, type TestClient } from "./ws-client.js";
import { alive, startUp, stopUp, upReady, type UpParts, type UpProcess } from "./up-process.js";
import { metricValue } from "./support.js";

const legacy = inject("legacy");
// Deadline and stop long enough that a stall (a call held for the deadline or the whole stop) stands far
// above what a loaded two-core machine adds to a legacy-routed call.
const DEADLINE_MS = 6000;
const STOP_MS = 10_000;

interface Sample {
  method: string;
  at: number;
  ms: number;
  f: ResponseFrame;
}

/** Calls `method` back to back (with `gapMs` between) until stopped, timing each answer. */
function callLoop(c: TestClient, method: string, gapMs: number): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const at = Date.now();
      const f = await c.call(method, {}, 30_000);
      samples.push({ method, at, ms: Date.now() - at, f });
      await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe("hanzod as up's supervised child: stopped and killed under traffic", { timeout: 180_000 }, () => {
  let up: UpProcess;
  let parts: UpParts;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "up-faults-"));
    const checklist = join(dir, "checklist.yaml");
    writeFileSync(checklist, ["version: 1", "methods:", "  health: { route: hanzod, fallback: legacy }", "  status: legacy"].join("\n"));
    const [listen, admin] = [await freePort(), await freePort()];
    up = startUp(
      ["--legacy", legacy.url, "--token", legacy.token, "--listen", String(listen), "--admin-port", String(admin), "--state-dir", dir, "--checklist", checklist, "--hanzod-deadline-ms", String(DEADLINE_MS)],
    );
    parts = await upReady(up);
  });

  /** Health answers delivered from each backend, as the proxy counts them (health is routed to hanzod: a legacy answer is a fallback). */
  const healthAnsweredBy = (backend: "hanzod" | "legacy"): Promise<number> =>
    metricValue(parts.adminPort, "hanzonode_proxy_requests_total", { method: "health", backend, outcome: "ok" });

  afterAll(async () => {
    try {
      process.kill(parts?.hanzodPid, "SIGCONT");
    } catch {
      /* gone */
    }
    await stopUp(up);
    rmSync(dir, { recursive: true, force: true });
  });

  it("SIGSTOP for 10 s: legacy-routed latency unchanged, hanzod-routed calls fail over within the deadline, nothing lost after SIGCONT", async () => {
    const c = await connectClient(parts.clientUrl, { token: legacy.token });
    const status = callLoop(c, "status", 20);
    const health = callLoop(c, "health", 100);
    try {
      await expect.poll(() => healthAnsweredBy("hanzod"), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      // The baseline: the same loop, same connection, hanzod running.
      const baselineFrom = status.samples.length;
      await waitFor(() => status.samples.length >= baselineFrom + 60, 60_000, "baseline status calls");
      const legacyBeforeStop = await healthAnsweredBy("legacy");
      const stoppedAt = Date.now();
      process.kill(parts.hanzodPid, "SIGSTOP");
      await new Promise((r) => setTimeout(r, STOP_MS));
      // Long after the stop: whatever hanzod answered before it has been counted.
      const [hanzodWhileStopped, legacyWhileStopped] = [await healthAnsweredBy("hanzod"), await healthAnsweredBy("legacy")];
      process.kill(parts.hanzodPid, "SIGCONT");
      const contAt = Date.now();
      // Traffic returns to the same hanzod (the breaker half-opens; the child was not restarted).
      await expect.poll(() => healthAnsweredBy("hanzod"), { timeout: 30_000 }).toBeGreaterThan(hanzodWhileStopped);

      await Promise.all([status.stop(), health.stop()]);
      const before = status.samples.slice(baselineFrom).filter((s) => s.at < stoppedAt);
      const during = status.samples.filter((s) => s.at >= stoppedAt && s.at + s.ms <= contAt);
      const beforeMs = before.map((s) => s.ms);
      const duringMs = during.map((s) => s.ms);
      console.log(
        `legacy-routed status: before the stop n=${before.length} median ${median(beforeMs)} ms worst ${Math.max(...beforeMs)} ms; ` +
          `during the ${STOP_MS} ms stop n=${during.length} median ${median(duringMs)} ms worst ${Math.max(...duringMs)} ms`,
      );
      // During the stop the status loop kept going (a proxy stalled with hanzod would have managed one or two calls).
      expect(during.length).toBeGreaterThan(10);
      // Not a 10 s stall, and not even the deadline: the worst legacy-routed call stays far below both ...
      expect(Math.max(...duringMs)).toBeLessThan(DEADLINE_MS / 2);
      // ... and the typical call is what it was before (noise: twice the median plus a quarter second for
      // whatever else the shared machine runs meanwhile; a call held by the stopped hanzod takes seconds).
      expect(median(duringMs)).toBeLessThanOrEqual(2 * median(beforeMs) + 250);

      // hanzod-routed calls during the stop were answered (by legacy) within the deadline plus slack.
      const healthDuring = health.samples.filter((s) => s.at >= stoppedAt && s.at < contAt);
      expect(healthDuring.length).toBeGreaterThan(0);
      for (const s of healthDuring) {
        expect(s.f.ok, JSON.stringify(s.f.error)).toBe(true);
        expect(s.ms).toBeLessThan(DEADLINE_MS + 3000);
      }
      // ... by legacy, through the fallback.
      expect(legacyWhileStopped).toBeGreaterThan(legacyBeforeStop);

      // Nothing lost: every call answered ok exactly once (hanzod's late answers after SIGCONT were dropped).
      const all = [...status.samples, ...health.samples];
      expect(all.filter((s) => !s.f.ok).map((s) => s.f.error)).toEqual([]);
      const answers = new Map<string, number>();
      for (const f of c.frames) if (f.type === "res") answers.set(f.id, (answers.get(f.id) ?? 0) + 1);
      expect([...answers.values()].filter((n) => n !== 1)).toEqual([]);
      // One answer per call, plus the connect's hello-ok.
      expect(answers.size).toBe(all.length + 1);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
      // The stopped child was waited out, not replaced.
      expect(alive(parts.hanzodPid)).toBe(true);
      expect(up.stdout()).not.toMatch(/restarting in/);
    } finally {
      await Promise.all([status.stop(), health.stop()]);
      await c.close();
    }
  });

  it("SIGKILL: no connection drops, no call fails, hanzod is back within seconds and serves again; up's exit stops every child", async () => {
    const c = await connectClient(parts.clientUrl, { token: legacy.token });
    let closed = false;
    void c.closed.then(() => (closed = true));
    const status = callLoop(c, "status", 20);
    const health = callLoop(c, "health", 50);
    let newPid = 0;
    try {
      await expect.poll(() => healthAnsweredBy("hanzod"), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      const printedFrom = up.stdout().length;
      const legacyAtKill = await healthAnsweredBy("legacy");
      const killedAt = Date.now();
      process.kill(parts.hanzodPid, "SIGKILL");
      newPid = Number((await up.printed(/hanzod restarted \(pid (\d+)\)/, 60_000, printedFrom))[1]);
      const backMs = Date.now() - killedAt;
      const [hanzodAtRestart, legacyAtRestart] = [await healthAnsweredBy("hanzod"), await healthAnsweredBy("legacy")];
      // The restarted process serves again (the killed one cannot add to the count any more).
      await expect.poll(() => healthAnsweredBy("hanzod"), { timeout: 30_000 }).toBeGreaterThan(hanzodAtRestart);
      const servingMs = Date.now() - killedAt;
      await Promise.all([status.stop(), health.stop()]);
      console.log(`hanzod SIGKILLed: restarted and ready after ${backMs} ms, serving health again after ${servingMs} ms`);

      expect(newPid).not.toBe(parts.hanzodPid);
      expect(alive(parts.hanzodPid)).toBe(false);
      expect(alive(newPid)).toBe(true);
      // The restart backoff starts at 250 ms; the rest is hanzod's own start under tsx, which on a loaded
      // 2-core machine takes seconds (14 s seen with the full suite running): the bound is generous, the
      // figure is printed above.
      expect(backMs).toBeLessThan(45_000);
      const all = [...status.samples, ...health.samples];
      expect(all.filter((s) => !s.f.ok).map((s) => s.f.error)).toEqual([]);
      // While it was down, legacy answered health through the fallback.
      expect(legacyAtRestart).toBeGreaterThan(legacyAtKill);
      expect(closed).toBe(false);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      await Promise.all([status.stop(), health.stop()]);
      await c.close();
    }

    up.child.kill("SIGTERM");
    expect((await up.exited).code).toBe(0);
    await expect.poll(() => alive(newPid), { timeout: 30_000 }).toBe(false);
    await expect.poll(() => alive(parts.isolatedPid), { timeout: 30_000 }).toBe(false);
  });
});
