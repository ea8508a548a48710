/**
 * `npm run bench:store`: proxy throughput with the fleet's PostgreSQL store against the embedded SQLite
 * store, in one run. Two proxy processes in front of the same fast echo upstream, shadowing `health` to
 * a second echo with the checklist's default shadow budget (500 copies/s per method), each running the
 * real parity sink: one writing parity.sqlite, one writing a real PostgreSQL (Debian's server, started
 * here on a free port in a throwaway directory, stopped by PID). Throughput is the median of 3
 * interleaved rounds. Target: within 5 % of each other.
 */
import { spawnRole } from "./roles.js";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import pg from "pg";
import { startProxy } from "../../proxy/index.js";
import { createShadowSink, ParityShadowSink } from "../../parity/shadow/sink.js";
import { PgStore } from "../../parity/store/pg/store.js";
import { DiffStore } from "../../parity/store/diff-store.js";
import { startTestPostgres } from "../../parity/test/support/postgres.js";

const here = fileURLToPath(import.meta.url);
const ROUND_MS = 4000;
const CONNS = 8;
const WINDOW = 16;
const ROUNDS = 3;

interface ProxyRole {
  legacy: string;
  hanzod: string;
  checklist: string;
  store: string;
}

async function runEcho(): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "bench", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string };
      const payload = f.method === "connect" ? { type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read"] }, policy: { maxPayload: 26214400 } } : { ok: true };
      ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload }));
    });
  });
  await new Promise((r) => wss.once("listening", r));
  process.stdout.write(`ready ${(wss.address() as { port: number }).port}\n`);
}

async function runProxy(role: ProxyRole): Promise<void> {
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  const onCompared = (m: string, o: "match" | "mismatch" | "no-answer"): void => proxy?.recordComparison(m, o);
  const sink = role.store.startsWith("postgres")
    ? new ParityShadowSink({ store: await PgStore.open(role.store, { instance: "bench" }), ownsStore: true, onCompared })
    : createShadowSink({ storePath: role.store, onCompared });
  proxy = await startProxy({ listenPort: 0, legacyUrl: role.legacy, hanzodUrl: role.hanzod, hanzodToken: "bench", checklistPath: role.checklist, shadowSink: sink, logLevel: "silent" });
  process.stdout.write(`ready ${proxy.port}\n`);
  const p = proxy;
  process.once("SIGTERM", () => void p.close().finally(() => process.exit(0)));
}


async function connect(url: string): Promise<{ ws: WebSocket; call(method: string): Promise<boolean> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const waiting = new Map<string, (ok: boolean) => void>();
  let n = 0;
  const challenge = new Promise<void>((resolve) => {
    ws.on("message", (d) => {
      const f = JSON.parse(d.toString()) as { type: string; event?: string; id?: string; ok?: boolean };
      if (f.type === "event" && f.event === "connect.challenge") return resolve();
      if (f.type === "res" && f.id) {
        waiting.get(f.id)?.(f.ok === true);
        waiting.delete(f.id);
      }
    });
  });
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  await challenge;
  const call = (method: string, params: unknown = {}): Promise<boolean> =>
    new Promise((resolve) => {
      const id = `${++n}`;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  await call("connect", { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "bench", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token: "bench" } });
  return { ws, call };
}

async function throughput(url: string): Promise<number> {
  const conns = await Promise.all(Array.from({ length: CONNS }, () => connect(url)));
  let done = 0;
  const end = performance.now() + ROUND_MS;
  await Promise.all(conns.map((c) => Promise.all(Array.from({ length: WINDOW }, async () => {
    while (performance.now() < end) if (await c.call("health")) done++;
  }))));
  for (const c of conns) c.ws.close();
  return done / (ROUND_MS / 1000);
}

/** CPU seconds (user + system) used so far by a process and, with `tree`, all its descendants (Linux /proc). */
function cpuSeconds(pid: number, tree = false): number {
  const ticks = 100; // USER_HZ on Linux
  const own = (p: number): number => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      return 0;
    }
  };
  if (!tree) return own(pid);
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    total += own(p);
    try {
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) stack.push(Number(c));
    } catch {
      /* gone */
    }
  }
  return total;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-store-"));
  const children: ChildProcess[] = [];
  const db = await startTestPostgres();
  try {
    const checklist = join(dir, "checklist.yaml");
    writeFileSync(checklist, "version: 1\nmethods:\n  health: shadow\nshadow: { queueSize: 10000, noiseSampleRate: 0, maxPerSecond: 500 }\n");
    const legacy = await spawnRole(here, ["echo"]);
    const shadow = await spawnRole(here, ["echo"]);
    children.push(legacy.proc, shadow.proc);
    const role = (store: string): string => JSON.stringify({ legacy: `ws://127.0.0.1:${legacy.port}`, hanzod: `ws://127.0.0.1:${shadow.port}`, checklist, store } satisfies ProxyRole);
    const sqlitePath = join(dir, "parity.sqlite");
    const sqlite = await spawnRole(here, ["proxy", role(sqlitePath)]);
    const postgres = await spawnRole(here, ["proxy", role(db.url)]);
    children.push(sqlite.proc, postgres.proc);
    // Per target: its proxy's CPU and, for the PostgreSQL one, the database server's (its backends and
    // background writers), over the counted rounds: where a throughput gap comes from on a small machine.
    const targets = [
      { name: "proxy, SQLite store", url: `ws://127.0.0.1:${sqlite.port}`, rps: [] as number[], calls: 0, proxyCpu: 0, dbCpu: 0, pid: sqlite.proc.pid!, db: false },
      { name: "proxy, PostgreSQL store", url: `ws://127.0.0.1:${postgres.port}`, rps: [] as number[], calls: 0, proxyCpu: 0, dbCpu: 0, pid: postgres.proc.pid!, db: true },
    ];
    await throughput(targets[0]!.url); // warm-up, not counted
    await throughput(targets[1]!.url);
    for (let r = 0; r < ROUNDS; r++)
      for (const t of targets) {
        const [p0, d0] = [cpuSeconds(t.pid), cpuSeconds(db.pid, true)];
        const rps = await throughput(t.url);
        t.proxyCpu += cpuSeconds(t.pid) - p0;
        t.dbCpu += cpuSeconds(db.pid, true) - d0;
        t.calls += rps * (ROUND_MS / 1000);
        t.rps.push(rps);
      }
    for (const c of [sqlite.proc, postgres.proc]) c.kill("SIGTERM");
    await Promise.all([sqlite.proc, postgres.proc].map((c) => new Promise((r) => c.once("exit", r))));
    const inSqlite = (() => {
      const s = DiffStore.open(sqlitePath, { mustExist: true });
      try {
        return s.comparisonSpan(0).total;
      } finally {
        s.close();
      }
    })();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const inPg = Number((await client.query<{ n: string }>("SELECT COUNT(*) AS n FROM comparisons")).rows[0]!.n);
    await client.end();

    console.log(`\nshadowing health with the default budget (500 copies/s); ${CONNS}x${WINDOW} in flight, ${ROUND_MS / 1000} s rounds, median of ${ROUNDS} interleaved`);
    console.log("target                     calls/s   rounds");
    for (const t of targets) console.log(`${t.name.padEnd(25)} ${median(t.rps).toFixed(0).padStart(8)}   ${t.rps.map((x) => x.toFixed(0)).join(", ")}`);
    console.log("CPU per 1,000 calls       proxy ms   database server ms");
    for (const t of targets) console.log(`${t.name.padEnd(25)} ${((t.proxyCpu * 1e6) / t.calls).toFixed(1).padStart(8)}   ${t.db ? ((t.dbCpu * 1e6) / t.calls).toFixed(1).padStart(18) : "-".padStart(18)}`);
    const ratio = median(targets[1]!.rps) / median(targets[0]!.rps);
    console.log(`PostgreSQL / SQLite throughput: ${(ratio * 100).toFixed(1)}% (within 5 %: ${Math.abs(1 - ratio) <= 0.05 ? "met" : "NOT met"})`);
    console.log(`comparisons stored: SQLite ${inSqlite}, PostgreSQL ${inPg}`);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const roleName = process.argv[2];
if (roleName === "echo") await runEcho();
else if (roleName === "proxy") await runProxy(JSON.parse(process.argv[3]!) as ProxyRole);
else await main();
