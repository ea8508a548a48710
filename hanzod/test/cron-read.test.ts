/**
 * The cron read methods on one state dir, two live runtimes: a real legacy gateway (two agents, its
 * scheduler disabled as the launcher's quiet config sets it) holds jobs added, updated and removed through
 * its own `cron.add` / `cron.update` / `cron.remove`, and hanzod, started on the legacy's state dir, answers
 * `cron.list` / `cron.get` / `cron.status` / `cron.scratch.get` from the legacy's `cron_jobs` and
 * `cron_job_scratch` rows. Each answer is compared with
 * the legacy's own for the same call, for a reader and an admin. No field is ignored.
 *
 * Both supported releases, each with its own legacy and hanzod answering as that release (`compat`);
 * `cron.list` is compared on 2026.9.6 and refused by hanzod on 2026.9.1 (its `snapshotRevision`).
 *
 * `cron.runs` (run history) is compared on runs the legacy really made: its own `cron.run` runs jobs (a main
 * session system event, isolated agent turns, one of them failing) against the project's model server
 * (scripts/model-server), and writes each run's row into its task ledger (`task_runs`), where hanzod reads it.
 * Nothing is written by the test.
 *
 * No timing luck: the legacy's writes are committed before it answers them, and every comparison asks the
 * legacy before and after hanzod, retrying until those two agree, so both runtimes answer the same state.
 * Jobs run at the earliest an hour after they are added, so none falls due while the test runs (runs are
 * started by hand, and each is waited for until the legacy shows it finished). The legacy's own heartbeat job
 * is the exception: its next run sits on a wall-clock grid (every 30 min), so it fell due mid-suite whenever
 * a run crossed a grid point, and hanzod rightly declined the due job. Its cadence is off here ("0m": the job
 * stays, disabled; the scheduler is off anyway, so nothing else changes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startModelServer, type ModelServer } from "../../scripts/model-server/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectOperator, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

type Who = "reader" | "admin";
const WHO: readonly Who[] = ["reader", "admin"];
const HOUR = 3_600_000;
/** One job run through the legacy (an agent turn on a loaded machine: its first turn prepares a workspace). */
const RUN_TIMEOUT_MS = 120_000;

interface Job {
  id: string;
  name: string;
}

describe.each(releasesUnderTest())("cron read methods on a running legacy's state (openclaw %s)", (release) => {
  let models: ModelServer;
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const legacyConn = {} as Record<Who, RawSession>;
  const hanzodConn = {} as Record<Who, RawSession>;
  const added: Record<string, string> = {};

  async function expectSame(who: Who, method: string, params: Record<string, unknown>): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], method, params), () => ask(hanzodConn[who], method, params), method);
    expect({ who, method, params, answer: fromHanzod }).toEqual({ who, method, params, answer: fromLegacy });
    return fromLegacy;
  }

  async function add(params: Record<string, unknown>): Promise<string> {
    const a = await ask(legacyConn.admin, "cron.add", params);
    if (!a.ok) throw new Error(`cron.add: ${JSON.stringify(a.error)}`);
    const id = (a.payload as { id: string }).id;
    added[params.name as string] = id;
    return id;
  }

  beforeAll(async () => {
    models = await startModelServer();
    legacy = await startLegacyGateway({ version: release, modelServer: { baseUrl: models.baseUrl, modelId: "hanzo-test" }, config: { agents: { defaults: { heartbeat: { every: "0m" } }, list: [{ id: "main", default: true }, { id: "ops" }] } } });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    for (const who of WHO) {
      const scopes = who === "admin" ? ["operator.admin"] : ["operator.read"];
      legacyConn[who] = (await connectOperator(legacy.url, legacy.token, scopes)).s;
      hanzodConn[who] = (await connectOperator(hz.url, "t", scopes)).s;
    }
    // Jobs of several shapes, through the legacy: an interval, a cron expression for another agent (an agent
    // turn, no delivery), a disabled one-shot, a described job with a display name.
    await add({ name: "hourly ping", schedule: { kind: "every", everyMs: 2 * HOUR }, sessionTarget: "main", wakeMode: "now", payload: { kind: "systemEvent", text: "ping" } });
    await add({ name: "ops daily", agentId: "ops", description: "daily ops report", schedule: { kind: "cron", expr: "0 9 * * *", tz: "UTC" }, sessionTarget: "isolated", wakeMode: "next-heartbeat", payload: { kind: "agentTurn", message: "report" }, delivery: { mode: "none" } });
    await add({ name: "Zeta later", enabled: false, schedule: { kind: "at", at: "2031-01-01T00:00:00Z" }, sessionTarget: "main", wakeMode: "now", payload: { kind: "systemEvent", text: "z" } });
    await add({ name: "alpha weekly", description: "Weekly Alpha", schedule: { kind: "cron", expr: "30 6 * * 1" }, sessionTarget: "main", wakeMode: "now", payload: { kind: "systemEvent", text: "a" } });
  }, 300_000);

  afterAll(async () => {
    for (const who of WHO) {
      legacyConn[who]?.close();
      hanzodConn[who]?.close();
    }
    await hz?.close();
    await legacy?.stop();
    await models?.close();
  });

  it("cron.status and cron.get: the legacy's answers for every job, the id alias and unknown ids", async () => {
    const listed = (await ask(legacyConn.reader, "cron.list", { includeDisabled: true, limit: 200 })).payload as { jobs: Job[] };
    // What the comparison covers: the jobs added above, beside the legacy's own (heartbeat, skill reviews, ...).
    expect(listed.jobs.map((j) => j.name)).toEqual(expect.arrayContaining(Object.keys(added)));
    // The heartbeat's cadence is off (see the top): its job, where the release keeps one, is listed disabled.
    const heartbeats = (listed.jobs as (Job & { enabled?: boolean; payload?: { kind?: string } })[]).filter((j) => j.payload?.kind === "heartbeat");
    if (release === "2026.9.6") expect(heartbeats.length).toBeGreaterThan(0);
    expect(heartbeats.map((j) => [j.name, j.enabled])).toEqual(heartbeats.map((j) => [j.name, false]));
    for (const who of WHO) {
      const status = await expectSame(who, "cron.status", {});
      expect(status.payload).toMatchObject({ enabled: false, storage: "sqlite", jobs: listed.jobs.length });
      for (const job of listed.jobs) await expectSame(who, "cron.get", { id: job.id });
      await expectSame(who, "cron.get", { jobId: added["ops daily"] });
      await expectSame(who, "cron.get", { id: ` ${added["hourly ping"]} ` });
      const missing = await expectSame(who, "cron.get", { id: "no-such-job" });
      expect(missing.ok).toBe(false);
    }
  }, 180_000);

  it("bad params get the legacy's own errors", async () => {
    const bad: [string, Record<string, unknown>][] = [
      ["cron.get", {}],
      ["cron.get", { id: "x", bogus: 1 }],
      ["cron.get", { id: "" }],
      ["cron.get", { id: "   " }],
      ["cron.status", { bogus: 1 }],
      ["cron.list", { bogus: 1 }],
      ["cron.list", { limit: 0 }],
      ["cron.list", { sortBy: "id" }],
    ];
    for (const [method, params] of bad) {
      const l = await expectSame("reader", method, params);
      expect(l.ok).toBe(false);
    }
  });

  it("cron.scratch.get: the admin's scratch rows as the legacy answers them, the reader refused as the legacy refuses", async () => {
    const ops = added["ops daily"]!;
    const ping = added["hourly ping"]!;
    const set = async (params: Record<string, unknown>) => {
      const a = await ask(legacyConn.admin, "cron.scratch.set", params);
      if (!a.ok) throw new Error(`cron.scratch.set: ${JSON.stringify(a.error)}`);
    };
    await set({ id: ops, content: "first notes" });
    await set({ id: ops, content: "second notes", expectedRevision: 1 });
    await set({ jobId: ping, content: "ping notes" });
    await set({ id: ping, content: null });
    // What the comparison covers: a job with scratch, a cleared one, one that never had any, an unknown id.
    const withScratch = await expectSame("admin", "cron.scratch.get", { id: ops });
    expect(withScratch.payload).toMatchObject({ scratch: { content: "second notes", revision: 2 }, currentRevision: 2 });
    const cleared = await expectSame("admin", "cron.scratch.get", { jobId: ping });
    expect(cleared.payload).toMatchObject({ scratch: null });
    await expectSame("admin", "cron.scratch.get", { id: added["Zeta later"] });
    expect((await expectSame("admin", "cron.scratch.get", { id: "no-such-job" })).ok).toBe(false);
    expect((await expectSame("admin", "cron.scratch.get", {})).ok).toBe(false);
    expect((await expectSame("reader", "cron.scratch.get", { id: ops })).ok).toBe(false);
  });

  it.runIf(release === "2026.9.6")("cron.list: the legacy's pages for readers and admins, with filters, sorts and projections", async () => {
    const all = (await expectSame("reader", "cron.list", {})).payload as { jobs: Job[]; total: number };
    expect(all.jobs.map((j) => j.name)).toEqual(expect.arrayContaining(["hourly ping", "ops daily", "alpha weekly"]));
    expect(all.jobs.map((j) => j.name)).not.toContain("Zeta later");
    const cases: Record<string, unknown>[] = [
      {},
      { includeDisabled: true },
      { enabled: "disabled" },
      { enabled: "all", sortBy: "name" },
      { enabled: "all", sortBy: "name", sortDir: "desc" },
      { enabled: "all", sortBy: "updatedAtMs", sortDir: "desc" },
      { agentId: "ops" },
      { agentId: "OPS" },
      { agentId: "nobody" },
      { scheduleKind: "cron" },
      { scheduleKind: "at", includeDisabled: true },
      { lastRunStatus: "unknown" },
      { lastRunStatus: "ok" },
      { trigger: "unconditional" },
      { trigger: "conditional" },
      { query: "alpha" },
      { query: "  WEEKLY " },
      { query: added["ops daily"]!.slice(0, 8) },
      { compact: true, includeDisabled: true },
      { includeDeliveryPreviews: false },
    ];
    for (const who of WHO) for (const params of cases) await expectSame(who, "cron.list", params);
    // Paging: pages of the legacy's size and order, offsets past the end.
    const names: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = (await expectSame("reader", "cron.list", { enabled: "all", limit: 2, ...(offset > 0 ? { offset } : {}) })).payload as { jobs: Job[]; nextOffset: number | null };
      names.push(...page.jobs.map((j) => j.name));
      offset = page.nextOffset;
    }
    expect(names).toContain("Zeta later");
    await expectSame("admin", "cron.list", { limit: 3, offset: 500 });
  }, 240_000);

  /** Runs a job through the legacy's own `cron.run` and waits until the legacy shows the run finished. */
  async function runJob(id: string): Promise<string> {
    const run = await ask(legacyConn.admin, "cron.run", { id });
    expect(run.payload).toMatchObject({ ok: true, enqueued: true });
    const runId = (run.payload as { runId: string }).runId;
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const history = await ask(legacyConn.reader, "cron.runs", { id, runId });
      const job = await ask(legacyConn.reader, "cron.get", { id });
      const state = (job.payload as { state?: Record<string, unknown> } | undefined)?.state;
      if ((history.payload as { total?: number } | undefined)?.total === 1 && state && state.runningAtMs === undefined) return runId;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(history)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it("cron.runs: the legacy's run history, empty and after real runs, with filters, paging and unknown ids", async () => {
    const ping = added["hourly ping"]!;
    // Before any run: the empty history, whole and of one job.
    for (const who of WHO) {
      expect((await expectSame(who, "cron.runs", {})).payload).toMatchObject({ entries: [], total: 0, hasMore: false, nextOffset: null });
      await expectSame(who, "cron.runs", { id: ping });
    }
    // Real runs, each cheap: a main-session system event left for the next heartbeat (no turn; twice), an
    // isolated agent turn the model refuses (an error with a reason and diagnostics) and one it answers (usage,
    // the run's session, delivery). Main-session runs that wake the heartbeat cost a whole turn: not run here.
    const quiet = await add({ name: "quiet note", schedule: { kind: "every", everyMs: 4 * HOUR }, sessionTarget: "main", wakeMode: "next-heartbeat", payload: { kind: "systemEvent", text: "noted for later" } });
    const failing = await add({ name: "failing report", agentId: "ops", schedule: { kind: "every", everyMs: 5 * HOUR }, sessionTarget: "isolated", wakeMode: "now", payload: { kind: "agentTurn", message: "[[fail:400]] report" }, delivery: { mode: "none" } });
    const answered = await add({ name: "answered report", agentId: "ops", schedule: { kind: "every", everyMs: 6 * HOUR }, sessionTarget: "isolated", wakeMode: "now", payload: { kind: "agentTurn", message: "[[reply:all done]] report" }, delivery: { mode: "none" } });
    const runIds = [await runJob(quiet), await runJob(failing), await runJob(answered), await runJob(quiet)];
    const all = (await expectSame("reader", "cron.runs", {})).payload as { entries: Record<string, unknown>[]; total: number };
    // What the comparison covers: every run, successes and a failure, named after their jobs, with the fields
    // of an agent turn (model, usage, session) and of a failure (reason, diagnostics).
    expect(all.total).toBe(runIds.length);
    expect(new Set(all.entries.map((e) => e.status))).toEqual(new Set(["ok", "error"]));
    expect(new Set(all.entries.map((e) => e.jobName))).toEqual(new Set(["quiet note", "failing report", "answered report"]));
    // 2026.9.1 records no failover reason for the refusal; 2026.9.6 does ("format").
    expect(all.entries.find((e) => e.jobId === failing)).toMatchObject({ status: "error", diagnostics: { entries: expect.any(Array) }, ...(release === "2026.9.6" ? { errorReason: expect.any(String) } : {}) });
    expect(all.entries.find((e) => e.jobId === answered)).toMatchObject({ status: "ok", usage: expect.any(Object), sessionKey: expect.any(String), sessionId: expect.any(String), model: expect.any(String) });
    const ops = failing;
    const cases: Record<string, unknown>[] = [
      {},
      { scope: "all" },
      { sortDir: "asc" },
      { sortDir: "desc", limit: 2 },
      { limit: 2, offset: 2 },
      { limit: 2, offset: 4 },
      { offset: 5 },
      { offset: 500, limit: 3 },
      { status: "ok" },
      { status: "error" },
      { status: "skipped" },
      { status: "all" },
      { statuses: ["ok", "skipped"] },
      { statuses: ["error", "error"], status: "ok" },
      { deliveryStatus: "not-requested" },
      { deliveryStatuses: ["delivered", "unknown"] },
      { query: "FAILING REPORT" },
      { query: "  noted " },
      { query: "rejected" },
      { query: ops.slice(0, 8) },
      { query: "nothing like this" },
      { agentId: "ops" },
      { agentId: "OPS" },
      { agentId: "main", sortDir: "asc" },
      { agentId: "nobody" },
      { runId: runIds[1] },
      { runId: "no-such-run" },
      { scope: "all", id: ops },
      { id: ops },
      { jobId: ops, sortDir: "asc", limit: 1 },
      { id: ` ${ops} `, offset: 1 },
      { id: ops, agentId: "ops" },
      { id: ops, status: "error" },
      { id: answered, query: "all done" },
      { id: quiet, limit: 1, offset: 1 },
      { scope: "job", id: quiet, runId: runIds[0] },
      { id: added["Zeta later"] },
    ];
    for (const who of WHO) for (const params of cases) await expectSame(who, "cron.runs", params);
    // Unknown ids and a job hidden by the agent filter: the legacy's not-found answer.
    for (const params of [{ id: "no-such-job" }, { id: ops, agentId: "main" }, { jobId: "no-such-job", agentId: "ops" }]) {
      const missing = await expectSame("reader", "cron.runs", params);
      expect(missing).toMatchObject({ ok: false, error: { details: { code: "CRON_JOB_NOT_FOUND" } } });
    }
    // A removed job keeps its history, no longer named; the whole history still lists its runs.
    expect((await ask(legacyConn.admin, "cron.remove", { id: quiet })).ok).toBe(true);
    expect((await ask(legacyConn.reader, "cron.get", { id: quiet })).ok).toBe(false);
    for (const who of WHO) {
      const history = await expectSame(who, "cron.runs", { id: quiet });
      expect(history.payload).toMatchObject({ total: 2, entries: [{ jobId: quiet }, { jobId: quiet }] });
      expect((history.payload as { entries: Record<string, unknown>[] }).entries[0]).not.toHaveProperty("jobName");
      await expectSame(who, "cron.runs", { query: "noted" });
      await expectSame(who, "cron.runs", { sortDir: "asc", agentId: "main" });
    }
  }, RUN_TIMEOUT_MS * 5);

  it("cron.runs: bad params get the legacy's own errors", async () => {
    const bad: Record<string, unknown>[] = [
      { scope: "job" },
      { id: "   " },
      { scope: "job", jobId: "  " },
      { id: "a/b" },
      { jobId: "a\\b" },
      { id: "" },
      { limit: 0 },
      { limit: 201 },
      { limit: 1.5 },
      { offset: -1 },
      { status: "bogus" },
      { statuses: [] },
      { statuses: ["ok", "bogus"] },
      { statuses: ["ok", "error", "skipped", "ok"] },
      { deliveryStatuses: [] },
      { deliveryStatus: "sent" },
      { sortDir: "up" },
      { scope: "some" },
      { agentId: "" },
      { bogus: 1 },
    ];
    for (const params of bad) {
      const l = await expectSame("reader", "cron.runs", params);
      expect(l.ok).toBe(false);
    }
  });

  it("after the legacy updates and removes jobs, hanzod reads the same rows", async () => {
    const upd = await ask(legacyConn.admin, "cron.update", { id: added["hourly ping"], patch: { name: "renamed ping", enabled: false } });
    expect(upd.ok).toBe(true);
    const rm = await ask(legacyConn.admin, "cron.remove", { id: added["alpha weekly"] });
    expect(rm.ok).toBe(true);
    // The legacy's own read shows both writes before anything is compared.
    const renamed = await ask(legacyConn.reader, "cron.get", { id: added["hourly ping"] });
    expect(renamed.payload).toMatchObject({ name: "renamed ping", enabled: false });
    for (const who of WHO) {
      await expectSame(who, "cron.get", { id: added["hourly ping"] });
      expect((await expectSame(who, "cron.get", { id: added["alpha weekly"] })).ok).toBe(false);
      await expectSame(who, "cron.status", {});
      // Job edits leave the run history as it was.
      await expectSame(who, "cron.runs", {});
      if (release === "2026.9.6") {
        await expectSame(who, "cron.list", {});
        await expectSame(who, "cron.list", { includeDisabled: true, sortBy: "name" });
      }
    }
  }, 120_000);

  it("what hanzod cannot answer from the stored rows it refuses by name instead of answering differently", async () => {
    const refused = (r: Answer, name: string) => expect(r).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining(name) } });
    if (release === "2026.9.1") {
      expect((await ask(legacyConn.reader, "cron.list", {})).ok).toBe(true);
      refused(await ask(hanzodConn.reader, "cron.list", {}), '"snapshotRevision"');
      return;
    }
    refused(await ask(hanzodConn.reader, "cron.list", { sessionKey: "agent:main:main" }), '"sessionKey"');
    // A job whose delivery the legacy previews through its channel plugins.
    const id = await add({ name: "announce", agentId: "ops", schedule: { kind: "every", everyMs: 3 * HOUR }, sessionTarget: "isolated", wakeMode: "now", payload: { kind: "agentTurn", message: "x" } });
    const legacyList = await ask(legacyConn.reader, "cron.list", {});
    expect(legacyList.ok).toBe(true);
    expect((legacyList.payload as { deliveryPreviews: Record<string, unknown> }).deliveryPreviews[id]).toBeDefined();
    refused(await ask(hanzodConn.reader, "cron.list", {}), '"deliveryPreviews"');
    // The same list without previews is still answered, and matches.
    await expectSame("reader", "cron.list", { includeDeliveryPreviews: false });
    await expectSame("admin", "cron.list", { compact: true });
    await expectSame("reader", "cron.get", { id });
  }, 120_000);
});
