/**
 * `npm run bench:proxy`: what the proxy costs. One run measures, against the same upstream:
 *   - round-trip p50/p99 and calls/s direct to the upstream, through the proxy with all-legacy routing,
 *     and through the proxy with every method shadowed to a second upstream ("hanzod"): once with the
 *     checklist's default shadow budget (500 copies/s per method) and once copying every call
 *     (`maxPerSecond: 0`); throughput as the median of 3 interleaved rounds, with ratios against the
 *     direct baseline of the same run. The shadow proxies run the real parity sink (comparator + SQLite
 *     diff store), as `hanzonode proxy` does; copies and comparisons per call come from their /metrics;
 *   - CPU microseconds per call of every process involved (load generator via process.cpuUsage(), the
 *     upstreams and the proxy via /proc/<pid>/stat): on a 2-core box the load generator, the upstream and
 *     the proxy compete for the same cores, so with a trivial echo upstream calls/s mostly measures how the
 *     CPU is shared, and CPU per call is the fair measure of the proxy's own cost;
 *   - the same against the REAL legacy gateway (the upstream-bound case), shadowing to a real hanzod:
 *     LEGACY_URL + LEGACY_TOKEN, or one started with startLegacyGateway (BENCH_LEGACY=0 skips it;
 *     BENCH_ONLY_LEGACY=1 runs only that part);
 *   - the throughput rounds again with the proxy pinned to a core of its own and the load generator and
 *     upstreams on the other (taskset; BENCH_PIN=0 skips it): what adding the proxy costs when it is not
 *     also taking the client's and the upstream's CPU;
 *   - proxy RSS per 1,000 idle connections, against the upstream's own RSS per 1,000 connections;
 *   - what a decline costs (declineRun; BENCH_ONLY_DECLINES=1 runs only that part): calls routed to a
 *     hanzod that declines them, against the same calls routed to the legacy and to a hanzod that answers;
 *   - events per second through a two-leg session and the proxy's CPU per event, the proxy before and
 *     after the hot-path work of issue 15, in the same run (proxy-events.ts; BENCH_ONLY_EVENTS=1 runs
 *     only that part).
 * BENCH_CPU_PROF=DIR makes the proxy children write V8 CPU profiles there.
 * Targets: <= 15% throughput loss, <= 0.3 ms added p50.
 */
import { spawnRole, type RoleChild } from "./roles.js";
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import { startProxy } from "../../proxy/index.js";
import { createShadowSink } from "../../parity/shadow/sink.js";
import { startHanzod } from "../../hanzod/index.js";
import { eventsRun } from "./proxy-events.js";
import { declinedError } from "../../protocol/declined.js";

const here = fileURLToPath(import.meta.url);
const LATENCY_CALLS = 3000;
const THROUGHPUT_MS = 4000;
const THROUGHPUT_CONNS = 8;
const WINDOW = 16;
const IDLE_CONNS = 1000;
const ROUNDS = 3;

// ---- child roles ---------------------------------------------------------------------------------

async function runEcho(): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "bench", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string };
      const payload = f.method === "connect" ? { type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read"] }, policy: { maxPayload: 26214400 } } : { ok: true, ts: Date.now() };
      ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload }));
    });
  });
  await new Promise((r) => wss.once("listening", r));
  process.stdout.write(`ready ${(wss.address() as { port: number }).port}\n`);
}

/** A stand-in hanzod that says hello and declines every call (protocol/declined.ts), as hanzod does for what it does not serve. */
async function runDecliner(): Promise<void> {
  const declined = declinedError("route this call to the legacy gateway");
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "bench", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string };
      if (f.method === "connect") {
        const hello = { type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read"] }, features: { methods: [], events: [] }, policy: { maxPayload: 26214400 } };
        ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: hello }));
      } else ws.send(JSON.stringify({ type: "res", id: f.id, ok: false, error: declined }));
    });
  });
  await new Promise((r) => wss.once("listening", r));
  process.stdout.write(`ready ${(wss.address() as { port: number }).port}\n`);
}

interface ProxyRole {
  legacy: string;
  hanzod?: string;
  hanzodToken?: string;
  checklist?: string;
  /** Where the parity sink keeps its diff store (only with a hanzod). */
  storePath?: string;
}

async function runProxy(role: ProxyRole): Promise<void> {
  // The real parity sink, as `hanzonode proxy` wires it: shadow copies are compared and stored.
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  const sink = role.hanzod !== undefined && role.storePath !== undefined ? createShadowSink({ storePath: role.storePath, onCompared: (m, o) => proxy?.recordComparison(m, o) }) : undefined;
  const p = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: role.legacy, hanzodUrl: role.hanzod, hanzodToken: role.hanzodToken ?? "bench", checklistPath: role.checklist, shadowSink: sink, logLevel: "silent" });
  proxy = p;
  process.stdout.write(`ready ${p.port} ${p.adminPort}\n`);
  // A clean exit, so --cpu-prof gets to write its profile.
  process.once("SIGTERM", () => process.exit(0));
}

// ---- orchestration -------------------------------------------------------------------------------


function rssOf(pid: number): number {
  // /proc/<pid>/status VmRSS in kB (Linux); the bench machine is Linux.
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

interface Conn {
  ws: WebSocket;
  /** Resolves true on ok, false on an error answer or when the socket closed first. */
  call(method: string): Promise<boolean>;
  closed: { code: number; reason: string } | undefined;
}

async function connect(url: string, token = "bench"): Promise<Conn> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const waiting = new Map<string, (ok: boolean) => void>();
  let n = 0;
  const challenge = new Promise<void>((resolve) => {
    ws.on("message", (d) => {
      const s = d.toString();
      // Not `includes`: the legacy's hello-ok lists "connect.challenge" among its events.
      if (s.startsWith('{"type":"event","event":"connect.challenge"')) {
        resolve();
        return;
      }
      if (!s.startsWith('{"type":"res"')) return;
      const idAt = s.indexOf('"id":"');
      if (idAt < 0) return;
      const idEnd = s.indexOf('"', idAt + 6);
      const id = s.slice(idAt + 6, idEnd);
      const w = waiting.get(id);
      if (w) {
        waiting.delete(id);
        w(s.startsWith(',"ok":true', idEnd + 1));
      }
    });
  });
  const conn: Conn = { ws, call: (m) => call(m), closed: undefined };
  ws.on("close", (code, reason) => {
    conn.closed = { code, reason: reason.toString() };
    for (const w of waiting.values()) w(false);
    waiting.clear();
  });
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  await challenge;
  const call = (method: string, params: unknown = {}): Promise<boolean> =>
    new Promise((resolve) => {
      if (conn.closed !== undefined) {
        resolve(false);
        return;
      }
      const id = `${++n}`;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  await call("connect", { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "bench", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token } });
  return conn;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function median(xs: number[]): number {
  return pct([...xs].sort((a, b) => a - b), 0.5);
}

async function latency(url: string, calls: number, token?: string): Promise<{ p50: number; p99: number }> {
  const c = await connect(url, token);
  for (let i = 0; i < 200; i++) await c.call("health"); // warm up
  const t: number[] = [];
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    await c.call("health");
    t.push(performance.now() - s);
  }
  c.ws.close();
  t.sort((a, b) => a - b);
  return { p50: pct(t, 0.5), p99: pct(t, 0.99) };
}

// ---- CPU accounting: every process of a run shares the same two cores -----------------------------

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** utime and stime of a process in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuTimes(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLOCK_TICKS_PER_S, sys: Number(fields[12]) / CLOCK_TICKS_PER_S };
}

interface Load {
  rps: number;
  errors: number;
  /** CPU microseconds per call, per named process (the load generator is "client"). */
  cpuPerCall: Record<string, number>;
  /** Share of that CPU spent in the kernel (socket reads and writes, loopback TCP), per named process. */
  sysShare: Record<string, number>;
  /** Share of calls copied to the shadow backend (from the proxy's /metrics); undefined without one. */
  copied?: number;
}

interface Target {
  name: string;
  url: string;
  procs: Record<string, number>;
  /** The proxy's admin port, to read its shadow counters. */
  adminPort?: number;
}

/** Sums a counter's series whose labels contain every `labels` pair. */
async function counter(adminPort: number, name: string, labels: string[] = []): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) && labels.every((l) => line.includes(l))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

/** Copies sent to the shadow backend: answered (submitted) or not (failed); dropped ones never left. */
async function copiesSent(adminPort: number): Promise<number> {
  return (await counter(adminPort, "hanzonode_proxy_shadow_total", ['result="submitted"'])) + (await counter(adminPort, "hanzonode_proxy_shadow_total", ['result="failed"']));
}

async function throughput(t: Target, opts: { token?: string; conns?: number; window?: number; ms?: number } = {}): Promise<Load> {
  const ms = opts.ms ?? THROUGHPUT_MS;
  const conns = await Promise.all(Array.from({ length: opts.conns ?? THROUGHPUT_CONNS }, () => connect(t.url, opts.token)));
  let done = 0;
  let errors = 0;
  const copiesBefore = t.adminPort === undefined ? 0 : await copiesSent(t.adminPort);
  const before = Object.fromEntries(Object.entries(t.procs).map(([k, pid]) => [k, cpuTimes(pid)]));
  const selfBefore = process.cpuUsage();
  const end = performance.now() + ms;
  await Promise.all(
    conns.map(async (c) => {
      await Promise.all(
        Array.from({ length: opts.window ?? WINDOW }, async () => {
          while (performance.now() < end && c.closed === undefined) {
            if (await c.call("health")) done++;
            else errors++;
          }
        }),
      );
    }),
  );
  const self = process.cpuUsage(selfBefore);
  const calls = Math.max(done + errors, 1);
  const cpuPerCall: Record<string, number> = { client: (self.user + self.system) / calls };
  const sysShare: Record<string, number> = { client: self.system / Math.max(self.user + self.system, 1) };
  for (const [k, pid] of Object.entries(t.procs)) {
    const now = cpuTimes(pid);
    const user = now.user - before[k]!.user;
    const sys = now.sys - before[k]!.sys;
    cpuPerCall[k] = ((user + sys) * 1e6) / calls;
    sysShare[k] = sys / Math.max(user + sys, 1e-9);
  }
  for (const c of conns) {
    if (c.closed !== undefined) console.log(`  (a load connection to ${t.url} was closed: ${c.closed.code} ${c.closed.reason})`);
    c.ws.close();
  }
  const load: Load = { rps: done / (ms / 1000), errors, cpuPerCall, sysShare };
  // Copies still in flight when the load stops are counted by the next read; a short settle keeps them in this round.
  if (t.adminPort !== undefined) {
    await new Promise((r) => setTimeout(r, 200));
    load.copied = ((await copiesSent(t.adminPort)) - copiesBefore) / calls;
  }
  return load;
}

async function idleRss(url: string, pid: number): Promise<number> {
  const before = rssOf(pid);
  const conns: Conn[] = [];
  for (let i = 0; i < IDLE_CONNS; i += 50) conns.push(...(await Promise.all(Array.from({ length: 50 }, () => connect(url)))));
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssOf(pid);
  for (const c of conns) c.ws.terminate();
  return after - before;
}

function cpuColumns(l: Load, names: string[]): string {
  return names.map((n) => (l.cpuPerCall[n] === undefined ? "-" : l.cpuPerCall[n]!.toFixed(1)).padStart(8)).join(" ");
}

function copiedColumn(l: Load): string {
  return (l.copied === undefined ? "-" : `${(l.copied * 100).toFixed(1)}%`).padStart(7);
}

function medianLoad(ls: Load[]): Load {
  return ls.slice().sort((a, b) => a.rps - b.rps)[Math.floor(ls.length / 2)]!;
}

/** Interleaved rounds, median per target: a 2-core box drifts (thermal, other tenants) within a run. */
async function rounds(targets: Target[], opts: Parameters<typeof throughput>[1] = {}): Promise<{ med: Load[]; all: Load[][] }> {
  const all: Load[][] = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) for (const [i, t] of targets.entries()) all[i]!.push(await throughput(t, opts));
  return { med: all.map(medianLoad), all };
}

const verdict = (loss: number): string => `${(loss * 100).toFixed(1)}% (<= 15%: ${loss <= 0.15 ? "met" : "NOT met"})`;

/** A checklist that shadows every call of `health` with the given budget (0 = every call). */
function shadowChecklist(dir: string, maxPerSecond: number): string {
  const file = join(dir, `all-shadow-${maxPerSecond}.yaml`);
  writeFileSync(file, `version: 1\nmethods:\n  health: shadow\nshadow: { queueSize: 10000, noiseSampleRate: 0, maxPerSecond: ${maxPerSecond} }\n`);
  return file;
}

const DEFAULT_BUDGET = 500;

async function startProxyChild(children: ChildProcess[], role: ProxyRole): Promise<RoleChild> {
  const child = await spawnRole(here, ["proxy", JSON.stringify(role)]);
  children.push(child.proc);
  return child;
}

/** Real legacy gateway as the upstream and a real hanzod as the shadow: the upstream is the bottleneck. */
async function legacyRun(children: ChildProcess[], dir: string): Promise<void> {
  let url = process.env.LEGACY_URL;
  let token = process.env.LEGACY_TOKEN;
  let legacyPid: number | undefined;
  let stop: (() => Promise<void>) | undefined;
  if (!url || !token) {
    if (process.env.BENCH_LEGACY === "0") return;
    const { startLegacyGateway } = await import("../legacy/index.js");
    process.stdout.write("\nstarting a real legacy gateway (BENCH_LEGACY=0 skips this) ...\n");
    const gw = await startLegacyGateway();
    ({ url, token, pid: legacyPid } = gw);
    stop = () => gw.stop();
  }
  try {
    // hanzod as `hanzonode up` runs it: its own process, the proxy trusted on loopback with the legacy token.
    const hanzod = await spawnRole(here, ["hanzod", token, join(dir, "hanzod-state")]);
    children.push(hanzod.proc);
    const hanzodUrl = `ws://127.0.0.1:${hanzod.ports[0]}`;
    const plain = await startProxyChild(children, { legacy: url });
    const shadowRole = (budget: number): ProxyRole => ({ legacy: url!, hanzod: hanzodUrl, hanzodToken: token, checklist: shadowChecklist(dir, budget), storePath: join(dir, `legacy-parity-${budget}.sqlite`) });
    const budgeted = await startProxyChild(children, shadowRole(DEFAULT_BUDGET));
    const everyCall = await startProxyChild(children, shadowRole(0));
    const procs = (proxyPid?: number): Record<string, number> => ({ ...(legacyPid !== undefined ? { legacy: legacyPid } : {}), hanzod: hanzod.proc.pid!, ...(proxyPid !== undefined ? { proxy: proxyPid } : {}) });
    const targets: Target[] = [
      { name: "direct", url, procs: procs() },
      { name: "proxy all-legacy", url: `ws://127.0.0.1:${plain.ports[0]}`, procs: procs(plain.proc.pid!) },
      { name: `all-shadow ${DEFAULT_BUDGET}/s`, url: `ws://127.0.0.1:${budgeted.ports[0]}`, procs: procs(budgeted.proc.pid!), adminPort: budgeted.ports[1]! },
      { name: "all-shadow every call", url: `ws://127.0.0.1:${everyCall.ports[0]}`, procs: procs(everyCall.proc.pid!), adminPort: everyCall.ports[1]! },
    ];
    const lat: Array<{ p50: number; p99: number }> = [];
    for (const t of targets) lat.push(await latency(t.url, 300, token));
    const { med } = await rounds(targets, { token, conns: 4, window: 4, ms: 3000 });
    const dm = med[0]!;
    console.log(`\nreal legacy (${url}) as the upstream, real hanzod as the shadow: 4x4 health calls in flight, 3 s, median of ${ROUNDS} interleaved rounds`);
    console.log("target                  p50 ms   p99 ms   calls/s   errors   vs direct   copied   CPU us/call: client   legacy   hanzod    proxy   proxy in kernel");
    for (const [i, t] of targets.entries()) {
      const l = med[i]!;
      console.log(
        `${t.name.padEnd(23)} ${lat[i]!.p50.toFixed(3).padStart(6)}   ${lat[i]!.p99.toFixed(3).padStart(6)}   ${l.rps.toFixed(0).padStart(7)}   ${String(l.errors).padStart(6)}   ${((l.rps / dm.rps) * 100).toFixed(1).padStart(8)}%   ${copiedColumn(l)}   ${cpuColumns(l, ["client", "legacy", "hanzod", "proxy"])}   ${l.sysShare.proxy === undefined ? "-" : `${(l.sysShare.proxy * 100).toFixed(0)}%`}`,
      );
    }
    for (const [i, t] of targets.entries()) {
      if (i === 0) continue;
      console.log(`  ${t.name} (legacy-bound) throughput loss ${verdict(1 - med[i]!.rps / dm.rps)}, added p50 ${(lat[i]!.p50 - lat[0]!.p50).toFixed(3)} ms`);
    }
    await shadowSummary(targets);
  } finally {
    await stop?.();
  }
}

/** What each shadow proxy did with its copies over the whole run, from its /metrics. */
async function shadowSummary(targets: Target[]): Promise<void> {
  for (const t of targets) {
    if (t.adminPort === undefined) continue;
    await new Promise((r) => setTimeout(r, 1000)); // the sink compares in time-boxed slices; let it catch up
    const n = (result: string): Promise<number> => counter(t.adminPort!, "hanzonode_proxy_shadow_total", [`result="${result}"`]);
    const compared = await counter(t.adminPort, "hanzonode_proxy_shadow_compared_total");
    const mismatches = await counter(t.adminPort, "hanzonode_proxy_shadow_compared_total", ['outcome="mismatch"']);
    console.log(
      `  ${t.name}: copies answered ${await n("submitted")}, failed ${await n("failed")}, over budget (not copied) ${await n("over-budget")}, queue-full drops ${await n("dropped")}; compared and stored ${compared} (mismatches ${mismatches})`,
    );
  }
}

function pin(pid: number, cpu: number | string): boolean {
  // -a: every thread of the process (libuv pool, GC helpers), not just the main one.
  return spawnSync("taskset", ["-a", "-pc", String(cpu), String(pid)], { stdio: "ignore" }).status === 0;
}

/**
 * The same throughput rounds with the proxy on a core of its own (cpu 0) and the load generator and
 * the upstreams on the other (cpu 1), as a deployment would give the proxy its own CPU. The direct
 * baseline runs on that same single core, so the ratio isolates what the proxy takes away.
 * BENCH_PIN=0 skips it; it needs taskset and two cores.
 */
async function pinnedRun(targets: Target[], pids: { client: number; upstream: number; shadowUp: number; proxies: number[] }): Promise<Load[] | undefined> {
  if (process.env.BENCH_PIN === "0" || availableParallelism() < 2) return undefined;
  const ok = [pin(pids.client, 1), pin(pids.upstream, 1), pin(pids.shadowUp, 1), ...pids.proxies.map((p) => pin(p, 0))].every(Boolean);
  if (!ok) {
    console.log("\n(pinned run skipped: taskset could not set CPU affinity)");
    return undefined;
  }
  const { med } = await rounds(targets);
  // Everything measured later (idle RSS, the real legacy, which children inherit affinity from) runs unpinned.
  for (const pid of [pids.client, pids.upstream, pids.shadowUp, ...pids.proxies]) pin(pid, "0,1");
  console.log(`\nproxy pinned to cpu 0; load generator, upstream and shadow upstream pinned to cpu 1 (median of ${ROUNDS} rounds)`);
  console.log("target                  calls/s   vs direct   copied   CPU us/call: client upstream shadow-up    proxy");
  for (const [i, t] of targets.entries()) {
    const r = med[i]!;
    console.log(`${t.name.padEnd(23)} ${r.rps.toFixed(0).padStart(7)}   ${((r.rps / med[0]!.rps) * 100).toFixed(1).padStart(8)}%   ${copiedColumn(r)}   ${cpuColumns(r, ["client", "upstream", "shadow-up", "proxy"])}`);
  }
  return med;
}

/**
 * What a decline costs: every call routed to a hanzod that declines it and answered by the legacy (two
 * upstream round trips), against the same calls routed to the legacy, and to a hanzod that answers them.
 */
async function declineRun(children: ChildProcess[], dir: string): Promise<void> {
  const legacy = await spawnRole(here, ["echo"], children);
  const answering = await spawnRole(here, ["echo"], children);
  const decliner = await spawnRole(here, ["decliner"], children);
  const toHanzod = join(dir, "all-hanzod.yaml");
  writeFileSync(toHanzod, "version: 1\ndefault: hanzod\n");
  const legacyUrl = `ws://127.0.0.1:${legacy.port}`;
  const viaLegacy = await startProxyChild(children, { legacy: legacyUrl, hanzod: `ws://127.0.0.1:${answering.port}` });
  const viaHanzod = await startProxyChild(children, { legacy: legacyUrl, hanzod: `ws://127.0.0.1:${answering.port}`, checklist: toHanzod });
  const viaDecline = await startProxyChild(children, { legacy: legacyUrl, hanzod: `ws://127.0.0.1:${decliner.port}`, checklist: toHanzod });
  const procs = { legacy: legacy.proc.pid!, hanzod: answering.proc.pid!, decliner: decliner.proc.pid! };
  const targets: Target[] = [
    { name: "routed to legacy", url: `ws://127.0.0.1:${viaLegacy.port}`, procs: { ...procs, proxy: viaLegacy.proc.pid! } },
    { name: "routed to hanzod", url: `ws://127.0.0.1:${viaHanzod.port}`, procs: { ...procs, proxy: viaHanzod.proc.pid! } },
    { name: "declined to legacy", url: `ws://127.0.0.1:${viaDecline.port}`, procs: { ...procs, proxy: viaDecline.proc.pid! } },
  ];
  // Each path warmed first: the first target measured would otherwise pay for the JIT of all three.
  for (const t of targets) await latency(t.url, 500);
  const lat: Array<{ p50: number; p99: number }> = [];
  for (const t of targets) lat.push(await latency(t.url, LATENCY_CALLS));
  const { med } = await rounds(targets);
  console.log(`\ndeclines (echo upstreams): ${LATENCY_CALLS} sequential calls; ${THROUGHPUT_CONNS}x${WINDOW} in flight for ${THROUGHPUT_MS / 1000} s, median of ${ROUNDS} rounds`);
  console.log("target                  p50 ms   p99 ms   calls/s   +p50 ms   vs legacy-routed   CPU us/call: client   legacy   hanzod decliner    proxy");
  for (const [i, t] of targets.entries()) {
    const r = med[i]!;
    const l = lat[i]!;
    console.log(
      `${t.name.padEnd(23)} ${l.p50.toFixed(3).padStart(6)}   ${l.p99.toFixed(3).padStart(6)}   ${r.rps.toFixed(0).padStart(7)}   ${(l.p50 - lat[0]!.p50).toFixed(3).padStart(7)}   ${((r.rps / med[0]!.rps) * 100).toFixed(1).padStart(15)}%   ${cpuColumns(r, ["client", "legacy", "hanzod", "decliner", "proxy"])}`,
    );
  }
  const extra = (med[2]!.cpuPerCall.proxy ?? NaN) - (med[0]!.cpuPerCall.proxy ?? NaN);
  console.log(`  a declined call costs the proxy ${extra.toFixed(1)} us of CPU more than one routed to the legacy (one more frame out and in), and the decliner's round trip in latency`);
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "bench-proxy-"));
  try {
    if (process.env.BENCH_ONLY_EVENTS === "1") {
      await eventsRun();
      return;
    }
    if (process.env.BENCH_ONLY_DECLINES === "1") {
      await declineRun(children, dir);
      return;
    }
    if (process.env.BENCH_ONLY_LEGACY === "1") {
      await legacyRun(children, dir);
      return;
    }
    const echo = await spawnRole(here, ["echo"]);
    const shadowTarget = await spawnRole(here, ["echo"]);
    children.push(echo.proc, shadowTarget.proc);
    const upstream = `ws://127.0.0.1:${echo.ports[0]}`;
    const shadowUrl = `ws://127.0.0.1:${shadowTarget.ports[0]}`;
    const legacyProxy = await startProxyChild(children, { legacy: upstream });
    const shadowRole = (budget: number): ProxyRole => ({ legacy: upstream, hanzod: shadowUrl, checklist: shadowChecklist(dir, budget), storePath: join(dir, `parity-${budget}.sqlite`) });
    const budgetProxy = await startProxyChild(children, shadowRole(DEFAULT_BUDGET));
    const everyCallProxy = await startProxyChild(children, shadowRole(0));

    const procs = { upstream: echo.proc.pid!, "shadow-up": shadowTarget.proc.pid! };
    const targets: Target[] = [
      { name: "direct", url: upstream, procs },
      { name: "proxy all-legacy", url: `ws://127.0.0.1:${legacyProxy.ports[0]}`, procs: { ...procs, proxy: legacyProxy.proc.pid! } },
      { name: `all-shadow ${DEFAULT_BUDGET}/s`, url: `ws://127.0.0.1:${budgetProxy.ports[0]}`, procs: { ...procs, proxy: budgetProxy.proc.pid! }, adminPort: budgetProxy.ports[1]! },
      { name: "all-shadow every call", url: `ws://127.0.0.1:${everyCallProxy.ports[0]}`, procs: { ...procs, proxy: everyCallProxy.proc.pid! }, adminPort: everyCallProxy.ports[1]! },
    ];
    const lat: Array<{ p50: number; p99: number }> = [];
    for (const t of targets) lat.push(await latency(t.url, LATENCY_CALLS));
    const { med, all } = await rounds(targets);
    const base = med[0]!;
    console.log(`\nfast upstream (ws echo-gateway process), ${LATENCY_CALLS} sequential calls; ${THROUGHPUT_CONNS}x${WINDOW} in flight for ${THROUGHPUT_MS / 1000} s, median of ${ROUNDS} interleaved rounds`);
    console.log("load generator, upstream(s) and proxy share 2 cores; CPU us/call from /proc/<pid>/stat (10 ms ticks) and process.cpuUsage()");
    console.log(`all-shadow ${DEFAULT_BUDGET}/s: the checklist's default shadow budget (shadow.maxPerSecond per method); every call: maxPerSecond 0`);
    console.log("target                  p50 ms   p99 ms   calls/s   +p50 ms   vs direct   copied   CPU us/call: client upstream shadow-up    proxy");
    for (const [i, t] of targets.entries()) {
      const r = med[i]!;
      const l = lat[i]!;
      console.log(
        `${t.name.padEnd(23)} ${l.p50.toFixed(3).padStart(6)}   ${l.p99.toFixed(3).padStart(6)}   ${r.rps.toFixed(0).padStart(7)}   ${(l.p50 - lat[0]!.p50).toFixed(3).padStart(7)}   ${((r.rps / base.rps) * 100).toFixed(1).padStart(8)}%   ${copiedColumn(r)}   ${cpuColumns(r, ["client", "upstream", "shadow-up", "proxy"])}`,
      );
    }
    console.log(`rounds (calls/s): ${targets.map((t, i) => `${t.name}: ${all[i]!.map((l) => l.rps.toFixed(0)).join(", ")}`).join("; ")}`);
    const pinned = await pinnedRun(targets, { client: process.pid, upstream: echo.proc.pid!, shadowUp: shadowTarget.proc.pid!, proxies: [legacyProxy, budgetProxy, everyCallProxy].map((p) => p.proc.pid!) });
    const allLegacy = med[1]!;
    const proxyCpu = allLegacy.cpuPerCall.proxy ?? NaN;
    const upstreamCpu = base.cpuPerCall.upstream ?? NaN;
    console.log(
      `proxy CPU per call (all-legacy) ${proxyCpu.toFixed(1)} us vs the echo upstream's ${upstreamCpu.toFixed(1)} us direct (ratio ${(proxyCpu / upstreamCpu).toFixed(2)}): the proxy relays 4 frames per call, the echo 2; ` +
        `on its own core the proxy alone would sustain ~${(1e6 / proxyCpu).toFixed(0)} calls/s`,
    );
    // Fresh processes: the load rounds' garbage would be collected mid-measurement and blur the numbers.
    const rssEcho = await spawnRole(here, ["echo"]);
    children.push(rssEcho.proc);
    const rssUpstream = `ws://127.0.0.1:${rssEcho.ports[0]}`;
    const rssProxy = await startProxyChild(children, { legacy: rssUpstream });
    await new Promise((r) => setTimeout(r, 1000));
    const upstreamRss = await idleRss(rssUpstream, rssEcho.proc.pid!);
    const proxyRss = await idleRss(`ws://127.0.0.1:${rssProxy.ports[0]}`, rssProxy.proc.pid!);
    console.log(`\nRSS per ${IDLE_CONNS} idle connections: upstream ${(upstreamRss / 1048576).toFixed(1)} MiB, proxy ${(proxyRss / 1048576).toFixed(1)} MiB (ratio ${(proxyRss / Math.max(upstreamRss, 1)).toFixed(2)}; the proxy holds a client socket and an upstream socket per connection)`);
    const added = Math.max(...lat.slice(1).map((r) => r.p50 - lat[0]!.p50));
    console.log(`\ntargets (fast upstream): added p50 ${added.toFixed(3)} ms (<= 0.3 ms: ${added <= 0.3 ? "met" : "NOT met"})`);
    for (const [i, t] of targets.entries()) {
      if (i === 0) continue;
      const sharedLoss = 1 - med[i]!.rps / base.rps;
      const ownLoss = pinned ? 1 - pinned[i]!.rps / pinned[0]!.rps : undefined;
      console.log(`  ${t.name} throughput loss: proxy on its own core ${ownLoss === undefined ? "(not measured)" : verdict(ownLoss)}; sharing 2 cores with client and upstream ${verdict(sharedLoss)}`);
    }
    console.log("  (every-call shadow runs each call on two backends: on two cores the shadow upstream shares the load generator's core)");
    await shadowSummary(targets);

    await declineRun(children, dir);
    await eventsRun();
    await legacyRun(children, dir);
  } finally {
    for (const c of children) c.kill("SIGTERM");
    // Let the proxies' sinks close their stores before the folder goes.
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runHanzod(token: string, stateDir: string): Promise<void> {
  const h = await startHanzod({ port: 0, auth: { mode: "token", token }, stateDir, trustedProxies: ["127.0.0.1", "::1"], logger: false });
  process.stdout.write(`ready ${new URL(h.url).port}\n`);
  process.once("SIGTERM", () => void h.close().finally(() => process.exit(0)));
}

const role = process.argv[2];
if (role === "echo") await runEcho();
else if (role === "decliner") await runDecliner();
else if (role === "proxy") await runProxy(JSON.parse(process.argv[3]!) as ProxyRole);
else if (role === "hanzod") await runHanzod(process.argv[3]!, process.argv[4]!);
else await main();
