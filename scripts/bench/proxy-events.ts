/**
 * The proxy's event path, before and after the hot-path work of issue 15, measured in the same run
 * (part of `npm run bench:proxy`; BENCH_ONLY_EVENTS=1 runs only this part).
 *
 * A two-leg session: one client through the proxy, whose checklist sends `agent` to the legacy and
 * `chat.send` to hanzod. Two scripted upstreams answer each call with a burst of events first (the
 * legacy's `agent` stream events, hanzod's `chat` events, payloads taken from the recorded runs in
 * fixtures/runs), then the answer. Both streams run at once, so the proxy merges two seq numberings
 * into one and renumbers nearly every event. Rows: events per second at the client, and the proxy
 * process's CPU per event (/proc/<pid>/stat, user + system).
 *
 * "Before" is the proxy as of BEFORE_REV, the commit before that work: `git archive` of that revision
 * into a temporary folder, run from there by the same tsx, against the same upstreams, in rounds
 * interleaved with the current proxy's. Building the old code from git (instead of keeping the old code
 * paths selectable in the proxy) keeps the proxy free of benchmark switches and measures exactly what
 * shipped. Without git or that revision (a shallow clone) the before rows are skipped, and say so.
 */
import { spawnRole } from "./roles.js";
import { spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import { REPO_ROOT } from "../../protocol/index.js";

const here = fileURLToPath(import.meta.url);
/** main before the hot-path work (sniffed events, spliced seq, interim check per method, ...). */
const BEFORE_REV = process.env.BENCH_BEFORE_REV ?? "0c997b1a9323dc2c4dff57e6c3edf06ebdbb2c3e";
const ROUND_MS = 1000;
const ROUNDS = 5;
/** Events per call: each stream waits for its call's answer, so this bounds what is in flight. */
const BURST = 100;

// ---- child roles ---------------------------------------------------------------------------------

/** Payloads of one event name from the recorded runs: real sizes and shapes. */
function recordedPayloads(event: string): unknown[] {
  const dir = join(REPO_ROOT, "fixtures", "runs");
  const out: unknown[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".jsonl")) continue;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!line.includes('"type":"event"')) continue;
      const f = (JSON.parse(line) as { frame?: { type?: string; event?: string; payload?: unknown } }).frame;
      if (f?.type === "event" && f.event === event) out.push(f.payload);
    }
  }
  if (out.length === 0) throw new Error(`no recorded ${event} events in fixtures/runs`);
  return out;
}

/** A backend that answers connect with hello-ok and any other call with `params.events` events, then ok. */
async function runUpstream(event: string): Promise<void> {
  const payloads = recordedPayloads(event);
  // The proxy probes GET /readyz (proxy/upstream-health.ts).
  const server = createServer((_req, res) => res.end("ok"));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    let seq = 0;
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "bench", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string; params?: { events?: number } };
      if (f.method === "connect") {
        ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: { type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read", "operator.write"] }, policy: { maxPayload: 26214400 } } }));
        return;
      }
      const n = f.params?.events ?? 0;
      // As both backends write events: JSON.stringify, seq after the payload.
      for (let i = 0; i < n; i++) ws.send(JSON.stringify({ type: "event", event, payload: payloads[(seq + i) % payloads.length], seq: ++seq }));
      ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: { ok: true } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
}

interface ProxyRole {
  /** A source tree to run the proxy from (the before revision); the current one when absent. */
  source?: string;
  legacy: string;
  hanzod: string;
  checklist: string;
}

async function runProxy(role: ProxyRole): Promise<void> {
  const entry = role.source === undefined ? new URL("../../proxy/index.ts", import.meta.url).href : pathToFileURL(join(role.source, "proxy", "index.ts")).href;
  const { startProxy } = (await import(entry)) as typeof import("../../proxy/index.js");
  const p = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: role.legacy, hanzodUrl: role.hanzod, hanzodToken: "bench", checklistPath: role.checklist, logLevel: "silent" });
  process.stdout.write(`ready ${p.port}\n`);
  process.once("SIGTERM", () => process.exit(0));
}

// ---- orchestration -------------------------------------------------------------------------------


/** utime + stime of a process in seconds (/proc/<pid>/stat fields 14 and 15, USER_HZ = 100). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The old tree at BEFORE_REV in a temporary folder (with this checkout's node_modules), or why not. */
function checkoutBefore(dir: string): { source: string } | { skipped: string } {
  const source = join(dir, "before");
  const archive = spawnSync("git", ["-C", REPO_ROOT, "archive", "--format=tar", "--prefix=before/", BEFORE_REV, "package.json", "protocol", "proxy", "parity", "hanzod", "fixtures/contract"], { maxBuffer: 1 << 28 });
  if (archive.status !== 0) return { skipped: `git archive ${BEFORE_REV.slice(0, 10)} failed: ${archive.stderr.toString().trim().split("\n")[0] ?? ""}` };
  const tar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (tar.status !== 0) return { skipped: `tar failed: ${tar.stderr.toString().trim()}` };
  symlinkSync(realpathSync(join(REPO_ROOT, "node_modules")), join(source, "node_modules"));
  return { source };
}

interface Round {
  events: number;
  seconds: number;
  cpuUs: number;
  /** The client's seq was 1, 2, 3, ... with no gap and no repeat. */
  inOrder: boolean;
}

/** One client, two streams at once (agent -> legacy leg, chat.send -> hanzod leg), for `ms`. */
async function measure(url: string, pid: number, ms: number): Promise<Round> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const waiting = new Map<string, () => void>();
  let events = 0;
  let lastSeq = 0;
  let inOrder = true;
  let counting = false;
  let challenged: () => void = () => undefined;
  const challenge = new Promise<void>((r) => (challenged = r));
  ws.on("message", (d: Buffer) => {
    const s = d.toString();
    if (s.startsWith('{"type":"event"')) {
      if (s.startsWith('{"type":"event","event":"connect.challenge"')) {
        challenged();
        return;
      }
      const seq = Number(/"seq":(\d+)}$/.exec(s)?.[1]);
      if (seq !== lastSeq + 1) inOrder = false;
      lastSeq = seq;
      if (counting) events++;
      return;
    }
    const id = /^\{"type":"res","id":"([^"]+)"/.exec(s)?.[1];
    const w = id === undefined ? undefined : waiting.get(id);
    if (w !== undefined) {
      waiting.delete(id!);
      w();
    }
  });
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  await challenge;
  let n = 0;
  const call = (method: string, params: unknown): Promise<void> =>
    new Promise((resolve) => {
      const id = `${++n}`;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  await call("connect", { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "bench", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read", "operator.write"], auth: { token: "bench" } });
  // Warm up both legs (the hanzod leg opens on the first chat.send), then measure.
  await Promise.all([call("agent", { events: BURST }), call("chat.send", { events: BURST })]);
  counting = true;
  const cpuBefore = cpuSeconds(pid);
  const start = performance.now();
  const end = start + ms;
  const stream = async (method: string): Promise<void> => {
    while (performance.now() < end) await call(method, { events: BURST });
  };
  await Promise.all([stream("agent"), stream("chat.send")]);
  const seconds = (performance.now() - start) / 1000;
  const cpuUs = (cpuSeconds(pid) - cpuBefore) * 1e6;
  counting = false;
  ws.close();
  return { events, seconds, cpuUs, inOrder };
}

export async function eventsRun(): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), "bench-proxy-events-"));
  try {
    const legacy = await spawnRole(here, ["upstream", "agent"], children);
    const hanzod = await spawnRole(here, ["upstream", "chat"], children);
    const checklist = join(dir, "two-legs.yaml");
    writeFileSync(checklist, 'version: 1\nmethods:\n  "chat.*": hanzod\n');
    const role = (source?: string): string => JSON.stringify({ ...(source !== undefined ? { source } : {}), legacy: `ws://127.0.0.1:${legacy.port}`, hanzod: `ws://127.0.0.1:${hanzod.port}`, checklist } satisfies ProxyRole);
    const targets: Array<{ name: string; proc: ChildProcess; port: number }> = [];
    const before = checkoutBefore(dir);
    if ("source" in before) targets.push({ name: `before (${BEFORE_REV.slice(0, 10)})`, ...(await spawnRole(here, ["proxy", role(before.source)], children)) });
    targets.push({ name: "after (this tree)", ...(await spawnRole(here, ["proxy", role()], children)) });
    const rounds: Round[][] = targets.map(() => []);
    // Interleaved: a shared 2-core box drifts within a run; each target sees the same drift.
    for (let r = 0; r < ROUNDS; r++) for (const [i, t] of targets.entries()) rounds[i]!.push(await measure(`ws://127.0.0.1:${t.port}`, t.proc.pid!, ROUND_MS));
    // Each column its own median over the rounds: on a loaded box the round with the median rate need
    // not be the one with the median CPU per event. The lowest CPU per event (least disturbed) is shown too.
    const medianOf = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = rounds.map((rs) => medianOf(rs.map((x) => x.events / x.seconds)));
    const cpu = rounds.map((rs) => medianOf(rs.map((x) => x.cpuUs / Math.max(x.events, 1))));
    const cpuMin = rounds.map((rs) => Math.min(...rs.map((x) => x.cpuUs / Math.max(x.events, 1))));
    console.log(`\nevents through a two-leg session (agent events from the legacy leg, chat events from the hanzod leg, both at once, seq renumbered into one): ${BURST} events per call, ${ROUND_MS / 1000} s, median of ${ROUNDS} interleaved rounds`);
    console.log("proxy                     events/s   proxy CPU us/event (lowest)   client seq gap-free");
    for (const [i, t] of targets.entries()) {
      console.log(`${t.name.padEnd(24)} ${rate[i]!.toFixed(0).padStart(9)}   ${cpu[i]!.toFixed(2).padStart(18)} (${cpuMin[i]!.toFixed(2)})   ${rounds[i]!.every((x) => x.inOrder) ? "yes" : "NO"}`);
    }
    console.log(`rounds (events/s): ${targets.map((t, i) => `${t.name}: ${rounds[i]!.map((x) => (x.events / x.seconds).toFixed(0)).join(", ")}`).join("; ")}`);
    if (targets.length === 2) {
      console.log(`after/before: events/s x${(rate[1]! / rate[0]!).toFixed(2)}, proxy CPU per event x${(cpu[1]! / cpu[0]!).toFixed(2)} (lowest: x${(cpuMin[1]! / cpuMin[0]!).toFixed(2)})`);
    } else {
      console.log(`(before not measured: ${"skipped" in before ? before.skipped : "?"})`);
    }
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[1] === here ? process.argv[2] : undefined;
if (role === "upstream") await runUpstream(process.argv[3]!);
else if (role === "proxy") await runProxy(JSON.parse(process.argv[3]!) as ProxyRole);
else if (process.argv[1] === here) await eventsRun();
