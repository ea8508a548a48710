/**
 * `npm run bench:hanzod`: hanzod side by side with the real legacy gateway, one after the other on the
 * same machine (never at once: two cores). For each:
 *   - spawn-to-first-`health`: from spawn() until the first connect+health over WS succeeds, and the
 *     process group's RSS at that moment ("at ready");
 *   - RSS of the whole process group after 200 idle authenticated connections;
 *   - connect+`health` round trip (open, challenge, connect, health, close) p50/p99 over 2,000 sequential runs;
 *   - `health` calls/s from 50 concurrent connected clients (each: one call at a time).
 * hanzod runs as `npx hanzod` does: bin/hanzod.js, the bundle in dist/bundle/ (built first).
 * Start-up targets (issue 15): spawn -> first health <= 150 ms and RSS at ready <= 60 MB. They are
 * checked here, against the numbers of this run, beside hanzod / floor ratios: the floor is node + ws
 * answering the handshake (floor-gateway.mjs), started STARTUP_ROUNDS times interleaved with hanzod,
 * medians compared, so a loaded machine moves both sides.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { ensureLegacyInstalled, freePort, legacyEnv, stopProcessGroup, QUIET_CONFIG, QUIET_ENV } from "../legacy/index.js";
import { REPO_ROOT } from "../../protocol/index.js";

const IDLE_CONNS = 200;
const SEQ_CALLS = Number(process.env.BENCH_SEQ_CALLS ?? 2000);
const CONCURRENT = 50;
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 5000);
const TOKEN = `bench-${Date.now().toString(36)}`;
const STARTUP_ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
const TARGET_STARTUP_MS = 150;
const TARGET_READY_RSS_MB = 60;

interface Target {
  name: string;
  spawn(port: number): { child: ChildProcess; cleanup(): void };
}

interface Started {
  startupMs: number;
  readyRssMb: number;
}

interface Result extends Started {
  rssMb: number;
  p50: number;
  p99: number;
  callsPerSec: number;
}

const CONNECT = (id: string) =>
  JSON.stringify({ type: "req", id, method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "bench", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token: TOKEN } } });

/** Opens a socket and completes the handshake; resolves with the socket once hello-ok arrived. */
function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    // Keep a listener for the socket's whole life: a late error must not crash the bench.
    ws.on("error", reject);
    ws.on("message", function onMsg(data) {
      const f = JSON.parse(data.toString()) as { type: string; event?: string; id?: string; ok?: boolean };
      if (f.event === "connect.challenge") ws.send(CONNECT("c"));
      else if (f.type === "res" && f.id === "c") {
        ws.off("message", onMsg);
        if (f.ok) resolve(ws);
        else reject(new Error(`connect refused: ${data.toString().slice(0, 200)}`));
      }
    });
  });
}

function call(ws: WebSocket, id: string, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMsg = (data: WebSocket.RawData) => {
      const text = data.toString();
      // Cheap id check; events interleave.
      if (!text.includes(`"id":"${id}"`)) return;
      ws.off("message", onMsg);
      const f = JSON.parse(text) as { ok: boolean };
      if (f.ok) resolve();
      else reject(new Error(text.slice(0, 200)));
    };
    ws.on("message", onMsg);
    ws.send(JSON.stringify({ type: "req", id, method, params: {} }));
  });
}

async function connectHealthClose(url: string): Promise<void> {
  const ws = await connect(url);
  await call(ws, "h", "health");
  await new Promise<void>((r) => {
    ws.once("close", () => r());
    ws.close();
  });
}

function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* process went away */
    }
  }
  return kb / 1024;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Spawn until the first connect+health succeeds (polled every 5 ms), and the group's RSS right then. */
async function untilReady(t: Target, child: ChildProcess, url: string, started: number): Promise<Started> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${t.name} exited with ${child.exitCode}`);
    try {
      await connectHealthClose(url);
      const startupMs = performance.now() - started;
      return { startupMs, readyRssMb: groupRssMb(child.pid as number) };
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (performance.now() - started > 180_000) throw new Error(`${t.name} not answering health after 180 s`);
  }
}

/** Only start-up: spawn, wait for ready, stop. */
async function measureStart(t: Target): Promise<Started> {
  const port = await freePort();
  const started = performance.now();
  const { child, cleanup } = t.spawn(port);
  try {
    return await untilReady(t, child, `ws://127.0.0.1:${port}`, started);
  } finally {
    await stopProcessGroup(child);
    cleanup();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** hanzod and the floor started alternately, STARTUP_ROUNDS each; medians of both. */
async function startupAgainstFloor(hanzod: Target, floor: Target): Promise<{ hanzod: Started; floor: Started }> {
  const h: Started[] = [];
  const f: Started[] = [];
  for (let i = 0; i < STARTUP_ROUNDS; i++) {
    f.push(await measureStart(floor));
    h.push(await measureStart(hanzod));
  }
  const med = (xs: Started[]): Started => ({ startupMs: median(xs.map((x) => x.startupMs)), readyRssMb: median(xs.map((x) => x.readyRssMb)) });
  process.stderr.write(`[bench] start-up rounds (ms): hanzod ${h.map((x) => x.startupMs.toFixed(0)).join(" ")}; floor ${f.map((x) => x.startupMs.toFixed(0)).join(" ")}\n`);
  return { hanzod: med(h), floor: med(f) };
}

async function measure(t: Target): Promise<Result> {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const started = performance.now();
  const { child, cleanup } = t.spawn(port);
  try {
    const { startupMs, readyRssMb } = await untilReady(t, child, url, started);
    process.stderr.write(`[bench] ${t.name}: first health after ${startupMs.toFixed(0)} ms, RSS at ready ${readyRssMb.toFixed(0)} MB\n`);

    const idle: WebSocket[] = [];
    for (let i = 0; i < IDLE_CONNS; i++) idle.push(await connect(url));
    await new Promise((r) => setTimeout(r, 1500));
    const rssMb = groupRssMb(child.pid as number);
    for (const ws of idle) ws.close();
    process.stderr.write(`[bench] ${t.name}: RSS ${rssMb.toFixed(0)} MB with ${IDLE_CONNS} idle connections\n`);
    await new Promise((r) => setTimeout(r, 500));

    const lat: number[] = [];
    for (let i = 0; i < SEQ_CALLS; i++) {
      const t0 = performance.now();
      await connectHealthClose(url);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    process.stderr.write(`[bench] ${t.name}: connect+health p50 ${pct(lat, 50).toFixed(2)} ms p99 ${pct(lat, 99).toFixed(2)} ms\n`);

    // Sequential opens: the legacy answers 503 to a burst of simultaneous pre-auth sockets.
    const clients: WebSocket[] = [];
    for (let i = 0; i < CONCURRENT; i++) clients.push(await connect(url));
    let calls = 0;
    const deadline = performance.now() + THROUGHPUT_MS;
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (ws, c) => {
        let n = 0;
        while (performance.now() < deadline) {
          await call(ws, `t${c}-${n++}`, "health");
          calls++;
        }
      }),
    );
    const callsPerSec = calls / ((performance.now() - t0) / 1000);
    for (const ws of clients) ws.close();
    process.stderr.write(`[bench] ${t.name}: ${callsPerSec.toFixed(0)} health calls/s from ${CONCURRENT} clients\n`);
    return { startupMs, readyRssMb, rssMb, p50: pct(lat, 50), p99: pct(lat, 99), callsPerSec };
  } finally {
    await stopProcessGroup(child);
    cleanup();
  }
}

type StartupRows = [name: string, floor: number, hanzod: number, target: number][];

function startupRows(start: { hanzod: Started; floor: Started }): StartupRows {
  return [
    ["spawn -> first health (ms)", start.floor.startupMs, start.hanzod.startupMs, TARGET_STARTUP_MS],
    ["RSS at ready (MB)", start.floor.readyRssMb, start.hanzod.readyRssMb, TARGET_READY_RSS_MB],
  ];
}

function meetsTargets(start: { hanzod: Started; floor: Started }): boolean {
  return startupRows(start).every(([, , hv, target]) => hv <= target);
}

/** Start-up against the floor and the targets, medians of STARTUP_ROUNDS interleaved starts. */
function printStartup(start: { hanzod: Started; floor: Started }): void {
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const lines = ["| metric | node+ws floor | hanzod | hanzod/floor | target | meets target |", "|---|---:|---:|---:|---:|:---:|"];
  for (const [name, fv, hv, target] of startupRows(start)) lines.push(`| ${name} | ${fmt(fv)} | ${fmt(hv)} | ${(hv / fv).toFixed(2)}x | <= ${target} | ${hv <= target ? "yes" : "NO"} |`);
  process.stdout.write(`\nhanzod start-up, median of ${STARTUP_ROUNDS} starts interleaved with the floor (node + ws answering the handshake)\n${lines.join("\n")}\n`);
}

async function main(): Promise<void> {
  process.stderr.write("[bench] building dist/ (npm run build: tsc, then the hanzod bundle bin/hanzod.js runs)\n");
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("build failed");
  const install = await ensureLegacyInstalled();

  const legacy: Target = {
    name: `legacy openclaw@${install.version}`,
    spawn(port) {
      const home = mkdtempSync(join(tmpdir(), "bench-legacy-"));
      const stateDir = join(home, ".openclaw");
      mkdirSync(join(home, "tmp"), { recursive: true });
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(join(stateDir, "openclaw.json"), JSON.stringify(QUIET_CONFIG));
      const env = legacyEnv(install, { ...QUIET_ENV, HOME: home, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"), TMPDIR: join(home, "tmp"), NO_COLOR: "1" });
      const child = spawn(install.nodeBin, [install.openclawEntry, "gateway", "run", "--allow-unconfigured", "--auth", "token", "--token", TOKEN, "--port", String(port), "--bind", "loopback"], { cwd: home, env, detached: true, stdio: "ignore" });
      return { child, cleanup: () => rmSync(home, { recursive: true, force: true }) };
    },
  };
  const hanzod: Target = {
    name: "hanzod",
    spawn(port) {
      const stateDir = mkdtempSync(join(tmpdir(), "bench-hanzod-"));
      const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "hanzod.js"), "--port", String(port), "--bind", "loopback", "--auth", "token", "--token", TOKEN, "--state-dir", stateDir], {
        cwd: REPO_ROOT,
        env: { ...process.env, HANZOD_LOG_LEVEL: "info" },
        detached: true,
        stdio: "ignore",
      });
      return { child, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
    },
  };

  const floor: Target = {
    name: "node+ws floor",
    spawn(port) {
      const child = spawn(process.execPath, [join(REPO_ROOT, "scripts", "bench", "floor-gateway.mjs"), "--port", String(port)], { cwd: REPO_ROOT, detached: true, stdio: "ignore" });
      return { child, cleanup: () => undefined };
    },
  };

  const start = await startupAgainstFloor(hanzod, floor);
  if (process.env.BENCH_STARTUP_ONLY === "1") {
    printStartup(start);
    process.exit(meetsTargets(start) ? 0 : 1);
  }
  const l = await measure(legacy);
  const h = await measure(hanzod);
  const rows: [string, number, number, string, boolean][] = [
    ["spawn -> first health (ms)", l.startupMs, h.startupMs, "lower", h.startupMs < l.startupMs],
    [`RSS, ${IDLE_CONNS} idle conns (MB)`, l.rssMb, h.rssMb, "lower", h.rssMb < l.rssMb],
    [`connect+health p50 (ms, n=${SEQ_CALLS})`, l.p50, h.p50, "lower", h.p50 < l.p50],
    [`connect+health p99 (ms, n=${SEQ_CALLS})`, l.p99, h.p99, "lower", h.p99 < l.p99],
    [`health calls/s (${CONCURRENT} clients)`, l.callsPerSec, h.callsPerSec, "higher", h.callsPerSec > l.callsPerSec],
  ];
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  const lines = ["| metric | legacy | hanzod | legacy/hanzod | hanzod wins |", "|---|---:|---:|---:|:---:|"];
  for (const [name, lv, hv, better, win] of rows) {
    const ratio = better === "lower" ? lv / hv : hv / lv;
    lines.push(`| ${name} | ${fmt(lv)} | ${fmt(hv)} | ${ratio.toFixed(1)}x | ${win ? "yes" : "NO"} |`);
  }
  process.stdout.write(`\nhanzod vs ${legacy.name} (${new Date().toISOString()}, ${process.platform}, node ${process.version} for hanzod)\n${lines.join("\n")}\n`);

  printStartup(start);
  process.exit(rows.every((r) => r[4]) && meetsTargets(start) ? 0 : 1);
}

await main();
