/**
 * `npm run bench:proxy`: what the proxy costs. One run measures, against the same upstream:
 *   - round-trip p50/p99 and calls/s direct to the upstream, through the proxy with all-legacy routing,
 *     and through the proxy with every call shadowed to a second upstream ("hanzod");
 *   - proxy RSS per 1,000 idle connections, against the upstream's own RSS per 1,000 connections.
 * The fast upstream is a minimal ws echo-gateway (challenge, hello-ok, answers) in its own process, and
 * so is the proxy; the load generator is this process. With LEGACY_URL + LEGACY_TOKEN set it also
 * measures round trips against that real legacy gateway, direct vs through the proxy.
 * Targets: <= 15% throughput loss, <= 0.3 ms added p50.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import { startProxy } from "../../proxy/index.js";
import type { ShadowSink } from "../../parity/shadow-sink.js";

const here = fileURLToPath(import.meta.url);
const LATENCY_CALLS = 3000;
const THROUGHPUT_MS = 4000;
const THROUGHPUT_CONNS = 8;
const WINDOW = 16;
const IDLE_CONNS = 1000;

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

async function runProxy(legacy: string, hanzod: string | undefined, checklist: string | undefined): Promise<void> {
  const countingSink: ShadowSink = { submit: () => undefined, submitEvent: () => undefined, recordLatency: () => undefined, close: async () => undefined };
  const p = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy, hanzodUrl: hanzod, hanzodToken: "bench", checklistPath: checklist, shadowSink: countingSink, logLevel: "silent" });
  process.stdout.write(`ready ${p.port} ${p.adminPort}\n`);
}

// ---- orchestration -------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  ports: number[];
}

function spawnRole(args: string[]): Promise<Child> {
  const proc = spawn(process.execPath, ["--import", "tsx", here, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /ready ([\d ]+)\n/.exec(buf);
      if (m) resolve({ proc, ports: m[1]!.trim().split(" ").map(Number) });
    });
    proc.once("exit", (code) => reject(new Error(`${args[0]} exited ${String(code)}`)));
  });
}

function rssOf(pid: number): number {
  // /proc/<pid>/status VmRSS in kB (Linux); the bench machine is Linux.
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

interface Conn {
  ws: WebSocket;
  call(method: string): Promise<void>;
}

async function connect(url: string, token = "bench"): Promise<Conn> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const waiting = new Map<string, () => void>();
  let n = 0;
  const challenge = new Promise<void>((resolve) => {
    ws.on("message", (d) => {
      const s = d.toString();
      if (s.includes('"connect.challenge"')) {
        resolve();
        return;
      }
      const idAt = s.indexOf('"id":"');
      if (idAt < 0) return;
      const id = s.slice(idAt + 6, s.indexOf('"', idAt + 6));
      const w = waiting.get(id);
      if (w) {
        waiting.delete(id);
        w();
      }
    });
  });
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  await challenge;
  const call = (method: string, params: unknown = {}): Promise<void> =>
    new Promise((resolve) => {
      const id = `${++n}`;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  await call("connect", { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "bench", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token } });
  return { ws, call: (m) => call(m) };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
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

async function throughput(url: string): Promise<number> {
  const conns = await Promise.all(Array.from({ length: THROUGHPUT_CONNS }, () => connect(url)));
  let done = 0;
  const end = performance.now() + THROUGHPUT_MS;
  await Promise.all(
    conns.map(async (c) => {
      await Promise.all(
        Array.from({ length: WINDOW }, async () => {
          while (performance.now() < end) {
            await c.call("health");
            done++;
          }
        }),
      );
    }),
  );
  for (const c of conns) c.ws.close();
  return done / (THROUGHPUT_MS / 1000);
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

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "bench-proxy-"));
  try {
    const echo = await spawnRole(["echo"]);
    const shadowTarget = await spawnRole(["echo"]);
    children.push(echo.proc, shadowTarget.proc);
    const upstream = `ws://127.0.0.1:${echo.ports[0]}`;
    const legacyProxy = await spawnRole(["proxy", upstream]);
    children.push(legacyProxy.proc);
    const checklist = join(dir, "all-shadow.yaml");
    writeFileSync(checklist, "version: 1\nmethods:\n  health: shadow\nshadow: { queueSize: 10000, noiseSampleRate: 0 }\n");
    const shadowProxy = await spawnRole(["proxy", upstream, `ws://127.0.0.1:${shadowTarget.ports[0]}`, checklist]);
    children.push(shadowProxy.proc);

    const targets = [
      ["direct", upstream],
      ["proxy all-legacy", `ws://127.0.0.1:${legacyProxy.ports[0]}`],
      ["proxy all-shadow", `ws://127.0.0.1:${shadowProxy.ports[0]}`],
    ] as const;
    const rows: Array<{ name: string; p50: number; p99: number; rps: number }> = [];
    for (const [name, url] of targets) {
      const l = await latency(url, LATENCY_CALLS);
      const rps = await throughput(url);
      rows.push({ name, ...l, rps });
    }
    const base = rows[0]!;
    console.log(`\nfast upstream (in-process ws echo-gateway), ${LATENCY_CALLS} sequential calls, ${THROUGHPUT_CONNS}x${WINDOW} in flight for ${THROUGHPUT_MS / 1000} s`);
    console.log("target                 p50 ms   p99 ms   calls/s   +p50 ms   throughput vs direct");
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(22)} ${r.p50.toFixed(3).padStart(6)}   ${r.p99.toFixed(3).padStart(6)}   ${r.rps.toFixed(0).padStart(7)}   ${(r.p50 - base.p50).toFixed(3).padStart(7)}   ${((r.rps / base.rps) * 100).toFixed(1)}%`,
      );
    }
    const upstreamRss = await idleRss(upstream, echo.proc.pid!);
    const proxyRss = await idleRss(`ws://127.0.0.1:${legacyProxy.ports[0]}`, legacyProxy.proc.pid!);
    console.log(`\nRSS per ${IDLE_CONNS} idle connections: upstream ${(upstreamRss / 1048576).toFixed(1)} MiB, proxy ${(proxyRss / 1048576).toFixed(1)} MiB (ratio ${(proxyRss / Math.max(upstreamRss, 1)).toFixed(2)}; the proxy holds a client socket and an upstream socket per connection)`);
    const worst = rows.slice(1);
    const loss = Math.max(...worst.map((r) => 1 - r.rps / base.rps));
    const added = Math.max(...worst.map((r) => r.p50 - base.p50));
    console.log(`targets: throughput loss ${(loss * 100).toFixed(1)}% (<= 15%: ${loss <= 0.15 ? "met" : "NOT met"}), added p50 ${added.toFixed(3)} ms (<= 0.3 ms: ${added <= 0.3 ? "met" : "NOT met"})`);

    if (process.env.LEGACY_URL && process.env.LEGACY_TOKEN) {
      const legacyUrl = process.env.LEGACY_URL;
      const p = await spawnRole(["proxy", legacyUrl]);
      children.push(p.proc);
      const d = await latency(legacyUrl, 300, process.env.LEGACY_TOKEN);
      const v = await latency(`ws://127.0.0.1:${p.ports[0]}`, 300, process.env.LEGACY_TOKEN);
      console.log(`\nreal legacy (${legacyUrl}), 300 health calls: direct p50 ${d.p50.toFixed(3)} / p99 ${d.p99.toFixed(3)} ms; through proxy p50 ${v.p50.toFixed(3)} / p99 ${v.p99.toFixed(3)} ms`);
    }
  } finally {
    for (const c of children) c.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === "echo") await runEcho();
else if (role === "proxy") await runProxy(process.argv[3]!, process.argv[4], process.argv[5]);
else await main();
