/**
 * A fleet: three proxies sharing one real PostgreSQL (Debian's server, started here on a free port in
 * a throwaway data directory, stopped by PID), in front of the real legacy gateway and a real hanzod.
 * One report for the fleet's shadow results; one checklist in the store, changed once and applied by
 * every instance within a second; the same canary cohort through each; PostgreSQL stopped in the
 * middle of traffic costs no client answer, and everything recovers when it returns.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pg from "pg";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import { bucketOf } from "../../proxy/routing.js";
import type { ParityReport } from "../report/model.js";
import { ParityShadowSink } from "../shadow/sink.js";
import { FleetChecklist } from "../store/pg/checklist.js";
import { PgStore } from "../store/pg/store.js";
import { runHanzonode } from "./support/cli.js";
import { HANZOD_TOKEN, startTestHanzod, tempDir, waitFor, type TempDir, type TestHanzod } from "./support/env.js";
import { startTestPostgres, type TestPostgres } from "./support/postgres.js";
import { connectRawClient, type RawClient } from "./support/raw-client.js";

const legacy = inject("legacy");
const NAMES = ["proxy-a", "proxy-b", "proxy-c"] as const;
const CALLS = 12;

interface Member {
  name: string;
  store: PgStore;
  sink: ParityShadowSink;
  checklist: FleetChecklist;
  proxy: RunningProxy;
  client: RawClient;
}

const SEED = [
  "version: 1",
  "methods:",
  "  status: shadow",
  "  system.info: legacy",
  "  health: legacy",
  "gates: { minShadowCalls: 5, minMatchRate: 0.5, requireContractReplay: false }",
  "shadow: { noiseSampleRate: 0, maxPerSecond: 0 }",
  "",
].join("\n");

describe("a fleet of proxies on PostgreSQL", () => {
  let db: TestPostgres;
  let dir: TempDir;
  let hanzod: TestHanzod;
  const fleet: Member[] = [];

  beforeAll(async () => {
    db = await startTestPostgres();
    dir = tempDir("parity-fleet-");
    // hanzod marks its health answers, so a test can see which backend a canary call reached.
    hanzod = await startTestHanzod({ health: { "/answeredBy": "hanzod" } });
    const seedFile = dir.file("checklist.yaml");
    (await import("node:fs")).writeFileSync(seedFile, SEED);
    for (const name of NAMES) {
      // The fallback poll is off (an hour): only LISTEN/NOTIFY can carry a change to an instance here.
      const checklist = await FleetChecklist.open(db.url, { instance: name, seed: { text: SEED, file: seedFile }, auditApplied: true, pollMs: 3_600_000 });
      const store = await PgStore.open(db.url, { instance: name });
      let proxy: RunningProxy | undefined;
      const sink = new ParityShadowSink({ store, ownsStore: true, onCompared: (m, o) => proxy?.recordComparison(m, o) });
      proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistSource: checklist, shadowSink: sink, logLevel: "silent" });
      const client = await connectRawClient(proxy.url, legacy.token);
      fleet.push({ name, store, sink, checklist, proxy, client });
    }
  }, 180_000);

  afterAll(async () => {
    for (const m of fleet) {
      await m.client.close().catch(() => undefined);
      await m.proxy.close().catch(() => undefined);
      await m.checklist.close().catch(() => undefined);
    }
    await hanzod?.close();
    await db?.dispose();
    dir?.dispose();
  });

  async function flushAll(): Promise<void> {
    for (const m of fleet) {
      await m.sink.flush();
      await m.store.flush();
    }
  }

  async function count(sql: string): Promise<number> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
    } finally {
      await c.end();
    }
  }

  async function fleetReport(): Promise<ParityReport> {
    const r = await runHanzonode(["parity", "report", "--json", "--store", db.url]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ParityReport;
  }

  it("shadow results from all three instances land in one report", async () => {
    for (const m of fleet) for (let i = 0; i < CALLS; i++) expect((await m.client.call("status", {})).frame.ok).toBe(true);
    await waitFor(async () => {
      await flushAll();
      return (await count("SELECT COUNT(*) AS n FROM comparisons WHERE kind = 'shadow'")) >= CALLS * 3;
    }, 30_000, "the fleet's comparisons in PostgreSQL");
    const report = await fleetReport();
    const status = report.phases.flatMap((p) => p.methods).find((r) => r.method === "status")!;
    expect(status.shadowCalls).toBe(CALLS * 3);
    expect(status.route).toBe("shadow");
    expect(report.instances.map((i) => [i.instance, i.comparisons])).toEqual(NAMES.map((n) => [n, CALLS]));
    expect(report.sources.store).not.toContain("hanzonode-test"); // the password never reaches a report
    expect(report.sources.checklist).toContain("#checklist");
  });

  it("a promote writes the fleet's checklist once and all three apply it within a second; the audit says who did what", async () => {
    const before = await count("SELECT version AS n FROM checklist");
    const r = await runHanzonode(["parity", "promote", "system.info", "--to", "shadow", "--store", db.url, "--instance", "ops-cli", "--why", "fleet test"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // Polling, not sleeping: each instance must show the new route.
    await waitFor(() => fleet.every((m) => m.proxy.table().decide("system.info").kind === "shadow"), 10_000, "every instance applying the promote");
    expect(await count("SELECT version AS n FROM checklist")).toBe(before + 1);
    const audit = await fleet[0]!.store.audit();
    const change = audit.filter((a) => a.action === "change");
    expect(change).toHaveLength(1);
    expect(change[0]).toMatchObject({ instance: "ops-cli", target: "methods.system.info", old: "legacy", new: "shadow", version: before + 1 });
    expect(change[0]!.why).toContain("fleet test");
    // Each instance recorded when it applied that version. NOTIFY delivers in milliseconds (idle runs:
    // tens of ms); the bound is loose so a CI machine loaded many times over does not decide the test.
    const applied = await waitFor(async () => {
      const rows = (await fleet[0]!.store.audit()).filter((a) => a.action === "applied" && a.version === before + 1);
      return NAMES.every((n) => rows.some((a) => a.instance === n)) ? rows : undefined;
    }, 10_000, "each instance's 'applied' entry");
    const lags = applied.map((a) => a.at - change[0]!.at);
    console.log(`fleet: promote applied by ${applied.map((a, i) => `${a.instance} after ${lags[i]} ms`).join(", ")}`);
    for (const [i, a] of applied.entries()) expect(lags[i], a.instance).toBeLessThan(5000);
  });

  it("an invalid change is refused for the whole fleet: nothing written, every instance keeps its routing", async () => {
    const before = await count("SELECT version AS n FROM checklist");
    // Shadowing a side-effecting method against hanzod's real state would apply it twice: the checklist refuses it.
    const r = await runHanzonode(["parity", "promote", "config.set", "--to", "shadow", "--store", db.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/side-effecting/);
    expect(await count("SELECT version AS n FROM checklist")).toBe(before);
    for (const m of fleet) expect(m.proxy.table().decide("config.set").kind).toBe("legacy");
  });

  it("a canary cohort is the same through every instance", async () => {
    // The client's cohort is a hash of its identity (bucket 0..99): canary:b+1 takes it to hanzod,
    // canary:b keeps it on legacy, on every instance alike.
    const bucket = bucketOf("client:gateway-client");
    const answeredBy = async (m: Member): Promise<string> => ((await m.client.call("health", {})).frame.payload as { answeredBy?: string }).answeredBy ?? "legacy";
    for (const [percent, expected] of [[bucket + 1, "hanzod"], [bucket, "legacy"]] as const) {
      const r = await runHanzonode(["parity", "promote", "health", "--to", `canary:${percent}`, "--force", "--store", db.url, "--instance", "ops-cli"]);
      expect(r.code, r.stderr).toBe(0);
      await waitFor(() => fleet.every((m) => m.proxy.table().decide("health").canaryPercent === percent), 10_000, `canary:${percent} everywhere`);
      for (const m of fleet) for (let i = 0; i < 3; i++) expect(await answeredBy(m), `${m.name} at canary:${percent}`).toBe(expected);
    }
  });

  it("PostgreSQL stopped mid-traffic loses no client answer; shadow results are dropped and counted; all recover when it returns", async () => {
    const stored = await count("SELECT COUNT(*) AS n FROM comparisons");
    let stop: Promise<void> | undefined;
    let answered = 0;
    for (let i = 0; i < 30; i++) {
      if (i === 5) stop = db.stop();
      for (const m of fleet) {
        const r = await m.client.call("status", {});
        expect(r.frame.ok).toBe(true);
        answered++;
      }
    }
    await stop;
    expect(answered).toBe(90);
    // The writes that met a dead database were dropped and counted, not retried forever or blocking anyone.
    await waitFor(async () => {
      await flushAll();
      return fleet.some((m) => m.store.stats().droppedRows > 0) ? true : undefined;
    }, 30_000, "dropped shadow results counted");

    await db.start();
    // Traffic after the database is back is stored again, by every instance.
    for (const m of fleet) for (let i = 0; i < 5; i++) expect((await m.client.call("status", {})).frame.ok).toBe(true);
    await waitFor(async () => {
      await flushAll();
      const byInstance = await count(`SELECT COUNT(DISTINCT instance) AS n FROM comparisons WHERE id > (SELECT COALESCE(MAX(id), 0) - 15 FROM comparisons)`);
      return byInstance === 3 ? true : undefined;
    }, 30_000, "every instance storing again");
    expect(await count("SELECT COUNT(*) AS n FROM comparisons")).toBeGreaterThan(stored);
    const dropped = await count("SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE name = 'dropped.store.rows'");
    await waitFor(async () => {
      await flushAll();
      return (await count("SELECT COALESCE(SUM(value), 0) AS n FROM counters WHERE name = 'dropped.store.rows'")) > 0 ? true : undefined;
    }, 30_000, "the dropped count written once the database is back");
    void dropped;

    // The checklist listeners reconnected: a change made now reaches all three.
    const r = await runHanzonode(["parity", "rollback", "system.info", "--store", db.url, "--instance", "ops-cli"]);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => fleet.every((m) => m.proxy.table().decide("system.info").kind === "legacy"), 15_000, "the rollback applied by every instance after the restart");
  }, 240_000);
});
