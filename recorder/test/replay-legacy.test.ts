/**
 * The Phase 0 exit criterion, per tested release (issue 13): each recorded suite
 * (fixtures/recorded/<release>/) replays green against a FRESH real legacy of its own release, every
 * answer checked against that release's frozen contract; and replay catches real differences (a wrong error code, a missing field, a wrong close code).
 *
 * This file starts its own legacy instead of the shared one: every hello-ok carries a snapshot of
 * gateway state (paired nodes, sessions, presence), and other test files change that state on the
 * shared gateway (the proxy's node-host test pairs a real node host), so a replay there would
 * depend on which files ran first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { WebSocketServer } from "ws";
import { recordedReleases, recordedSuiteDir } from "../../protocol/index.js";
import { expandFixturePaths } from "../fixture-files.js";
import { readFixture } from "../../protocol/fixture-format.js";
import { replayFixtures } from "../replay.js";
import { copyAsRecordedElsewhere } from "../../test/other-machine.js";

// Suites run one after another, so one legacy at a time (each takes ~1 GB).
describe.each(recordedReleases())("recorded suite of openclaw@%s", (release) => {
  const SUITE = recordedSuiteDir(release);
  let work: string;
  let legacy: LegacyGateway;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "hanzonode-replay-"));
    legacy = await startLegacyGateway({ version: release });
  }, 300_000);
  afterAll(async () => {
    await legacy?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** Copy a suite fixture with one frame line rewritten. */
  async function tampered(name: string, edit: (line: Record<string, any>) => boolean): Promise<string> {
    const lines = (await readFile(join(SUITE, name), "utf8")).split("\n").filter(Boolean);
    let changed = 0;
    const out = lines.map((l) => {
      const v = JSON.parse(l) as Record<string, any>;
      if (v.kind === "frame" && edit(v)) changed++;
      return JSON.stringify(v);
    });
    expect(changed).toBe(1);
    const file = join(work, `tampered-${name}`);
    await writeFile(file, out.join("\n") + "\n");
    return file;
  }

  describe("replay against the real legacy gateway", () => {
    it("is a fresh openclaw of the suite's release", () => expect(legacy.version).toBe(release));

    it("replays the whole recorded suite green (>= 15 fixtures, >= 10 methods, >= 5 error cases)", async () => {
      const files = expandFixturePaths([SUITE]);
      const fixtures = files.map((f) => readFixture(f));
      const methods = new Set(fixtures.flatMap((f) => f.header.meta?.methods ?? []).filter((m) => m !== "connect"));
      const errorCases = new Set(fixtures.map((f) => f.header.meta?.errorCase).filter(Boolean));
      expect(files.length).toBeGreaterThanOrEqual(15);
      expect(methods.size).toBeGreaterThanOrEqual(10);
      expect(errorCases.size).toBeGreaterThanOrEqual(5);

      const report = await replayFixtures({ target: legacy.url, token: legacy.token, files, checkContract: true, contractRelease: release });
      const failures = report.results.filter((r) => !r.ok).map((r) => ({ fixture: r.fixture, error: r.error, differences: r.differences.slice(0, 5) }));
      expect(failures).toEqual([]);
      expect(report.passed).toBe(files.length);
      expect(report.drift).toEqual({});
      expect(JSON.stringify(report)).not.toContain(legacy.token);
    }, 120_000);

    it("gives a copy recorded on another machine the same verdicts (host facts are the deployment's, not behaviour)", async () => {
      const files = expandFixturePaths([SUITE]);
      const elsewhere = await copyAsRecordedElsewhere(files, join(work, "elsewhere"));
      expect(elsewhere.rewritten).toBeGreaterThan(files.length);
      const verdicts = async (list: string[]) =>
        (await replayFixtures({ target: legacy.url, token: legacy.token, files: list })).results.map((r) => ({ fixture: basename(r.fixture), ok: r.ok, differences: r.differences }));
      const here = await verdicts(files);
      expect(await verdicts(elsewhere.files)).toEqual(here);
      expect(here.every((v) => v.ok)).toBe(true);
    }, 120_000);

    it("fails on a wrong error code, naming the frame and the code", async () => {
      const file = await tampered("error.unknown-method.cli.jsonl", (l) => {
        if (l.frame?.type !== "res" || l.frame.ok !== false) return false;
        l.frame.error.code = "FORBIDDEN";
        return true;
      });
      const report = await replayFixtures({ target: legacy.url, token: legacy.token, files: [file] });
      expect(report.ok).toBe(false);
      const d = report.results[0]?.differences ?? [];
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ kind: "error-code", path: "/error/code", expected: "FORBIDDEN", actual: "INVALID_REQUEST" });
      expect(d[0]?.at).toMatch(/no\.such\.method/);
    });

    it("fails on a field the target does not send", async () => {
      const file = await tampered("node.list.cli.jsonl", (l) => {
        if (l.frame?.type !== "res" || l.frame.payload?.type === "hello-ok") return false;
        l.frame.payload.pairedCount = 0;
        return true;
      });
      const report = await replayFixtures({ target: legacy.url, token: legacy.token, files: [file] });
      expect(report.results[0]?.differences).toEqual([expect.objectContaining({ kind: "missing", path: "/pairedCount", expected: 0 })]);
    });

    it("fails when a target closes with another code than the recording", async () => {
      // A tiny impostor: right challenge, right error answer, but close 1000 instead of the legacy's 1008.
      const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
      await new Promise<void>((r) => wss.once("listening", () => r()));
      // The release's own challenge (2026.9.6 adds capabilities), so the close code is the only difference.
      const recorded = readFixture(join(SUITE, "error.first-frame-not-connect.raw.jsonl")).frames.find((f) => f.frame?.type === "event")?.frame?.payload as Record<string, unknown>;
      wss.on("connection", (ws) => {
        ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { ...recorded, nonce: "6a67ddf7-ebb6-4793-a606-f8ceaa2239d5", ts: Date.now() } }));
        ws.on("message", (data) => {
          const req = JSON.parse(String(data)) as { id: string };
          ws.send(JSON.stringify({ type: "res", id: req.id, ok: false, error: { code: "INVALID_REQUEST", message: "invalid handshake: first request must be connect" } }));
          ws.close(1000);
        });
      });
      try {
        const port = (wss.address() as { port: number }).port;
        const report = await replayFixtures({ target: `ws://127.0.0.1:${port}`, token: "t", files: [join(SUITE, "error.first-frame-not-connect.raw.jsonl")] });
        expect(report.results[0]?.differences).toEqual([expect.objectContaining({ kind: "close", path: "/close/code", expected: 1008, actual: 1000 })]);
      } finally {
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
      }
    });
  });
});
