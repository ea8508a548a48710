/**
 * `npm run bench:node` (issue 12, must-show): `node.invoke` round trips through hanzod against the legacy, in
 * one run, on ONE state dir (hanzod started on the legacy's state dir at its release, as `hanzonode up` does).
 *
 * Two kinds of node, each connected to both runtimes at once, so every call can alternate between them:
 * - the real node host (`openclaw node run`, one HOME per runtime, both paired by the legacy's own
 *   `node.pair.approve`; the hanzod one then reconnects to hanzod with its device token, as
 *   hanzod/test/node-pair-list.test.ts does) answering `system.which` (a cheap command): the headline numbers;
 * - an "instant" node of our own (a node-role device, same pairing path) that answers each
 *   `node.invoke.request` at once through `node.invoke.result`, timing itself from the request's arrival to its
 *   answer's send. Round trip minus that own time = what the gateway adds (the two extra hops, its dispatch and
 *   checks); the node host's own time is not reported, so this is how the gateway's share is isolated.
 * A floor beside them: a bare ws relay in this process (as hanzod is) doing the same four hops with the same
 * instant node, so what hanzod adds above what this machine's loopback and scheduler take is visible too.
 *
 * Calls alternate between the runtimes one at a time (who goes first alternates too), so both see the same
 * machine load; the first answers are compared (node ids masked for the node hosts, which are two devices) so a
 * fast wrong answer cannot pass. Target (issue 12): hanzod adds under 1 ms (p50) to what the node itself
 * takes, and its round trip with the real node host is at least 3x faster (p50) than the legacy's. A missed
 * target prints MISSED and exits 1.
 *
 * Env: BENCH_ROUNDS (calls per runtime and node, default 200).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import WebSocket, { WebSocketServer } from "ws";
import { legacyEnv, startLegacyGateway, stopProcessGroup, type LegacyGateway } from "../legacy/index.js";
import { startHanzod, type HanzodHandle } from "../../hanzod/index.js";
import { RawGatewaySocket, connectParams, pollUntil, createDeviceIdentity, signDeviceBlock, wsDataToText, type DeviceIdentity } from "../../protocol/index.js";
import { percentileOf } from "../../parity/store/latency-bins.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const HANZOD_TOKEN = "bench";
/** What the instant node declares and answers (the node host declares it too; approving it needs an admin). */
const COMMAND = "system.which";
const WHICH_PARAMS = { bins: ["sh"] };
const INSTANT_ANSWER = JSON.stringify({ bins: { sh: "/bin/sh" } });

interface Res {
  ok: boolean;
  payload?: unknown;
  error?: unknown;
}

/**
 * One WebSocket whose answers are matched by id in its own message handler. The raw client keeps and scans
 * every frame; after connect the bench takes the socket over so its own overhead stays small and is the same
 * for both runtimes.
 */
class Conn {
  private seq = 0;
  private readonly waiting = new Map<string, (r: Res) => void>();
  private constructor(readonly socket: RawGatewaySocket) {}

  /** Connects (the connect params built by `params` for the challenge's nonce), then takes the socket over. */
  static async open(url: string, params: (nonce: string, ts: number) => Record<string, unknown>, onEvent?: (frame: Record<string, unknown>, conn: Conn) => void): Promise<Conn> {
    const socket = await RawGatewaySocket.open(url);
    const challenge = await socket.challenge();
    const hello = await socket.request("connect", params(challenge.nonce, challenge.ts), { timeoutMs: 60_000 });
    if (!hello.ok) {
      await socket.close();
      throw new Error(`connect to ${url} refused: ${JSON.stringify(hello.error)}`);
    }
    const conn = new Conn(socket);
    socket.ws.removeAllListeners("message");
    socket.ws.on("message", (data: Buffer) => {
      const f = JSON.parse(wsDataToText(data)) as Record<string, unknown>;
      if (f.type === "res") {
        // An interim "accepted" answer is not the final one.
        if ((f.payload as { status?: unknown } | undefined)?.status === "accepted") return;
        const done = conn.waiting.get(f.id as string);
        if (done) {
          conn.waiting.delete(f.id as string);
          done({ ok: f.ok === true, payload: f.payload, error: f.error });
        }
      } else if (f.type === "event") onEvent?.(f, conn);
    });
    return conn;
  }

  send(method: string, params: unknown): string {
    const id = `b${++this.seq}`;
    this.socket.send({ type: "req", id, method, params });
    return id;
  }

  request(method: string, params: unknown, timeoutMs = 60_000): Promise<Res> {
    return new Promise((resolve, reject) => {
      const id = this.send(method, params);
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  close(): Promise<unknown> {
    return this.socket.close();
  }
}

const operator = (url: string, token: string): Promise<Conn> => Conn.open(url, () => connectParams({ token, scopes: ["operator.admin"] }));

/**
 * The instant node on one runtime: answers every invoke request at once, and keeps how long each answer took
 * from the request's arrival (own time, in ms; near zero).
 */
async function instantNode(url: string, token: string, identity: DeviceIdentity, displayName: string, ownMs: number[]): Promise<Conn> {
  const client = { id: "node-host", version: "1.0.0", platform: "linux", mode: "node", displayName };
  return Conn.open(
    url,
    (nonce, ts) => ({
      ...connectParams({ token, role: "node", scopes: [], client }),
      commands: [COMMAND],
      device: signDeviceBlock(identity, { clientId: client.id, clientMode: client.mode, role: "node", scopes: [], token, platform: client.platform }, ts, nonce),
    }),
    (f, conn) => {
      if (f.event !== "node.invoke.request") return;
      const t = process.hrtime.bigint();
      const p = f.payload as { id: string; nodeId: string };
      conn.send("node.invoke.result", { id: p.id, nodeId: p.nodeId, ok: true, payloadJSON: INSTANT_ANSWER });
      ownMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    },
  );
}

interface Host {
  child: ChildProcess;
  output: string;
}

/** The real node host, detached in its own process group, against a runtime's port. */
function spawnHost(gw: LegacyGateway, home: string, port: number, token: string, displayName: string): Host {
  const child = spawn(gw.install.nodeBin, [gw.install.openclawEntry, "node", "run", "--host", "127.0.0.1", "--port", String(port), "--display-name", displayName], {
    env: legacyEnv(gw.install, { HOME: home, OPENCLAW_GATEWAY_TOKEN: token }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const host: Host = { child, output: "" };
  const keep = (d: Buffer): void => {
    host.output = (host.output + d.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return host;
}

/** Stops a node host: its process group, then any process under it that left the group. */
async function stopHost(h: Host): Promise<void> {
  const root = h.child.pid;
  if (root === undefined || h.child.exitCode !== null || h.child.signalCode !== null) return;
  const children = new Map<number, number[]>();
  for (const line of execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).trim().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  await stopProcessGroup(h.child);
  for (const pid of tree.slice(1)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone with its group.
    }
  }
}

const until = pollUntil;

interface NodeRow {
  nodeId: string;
  requestId?: string;
  displayName?: string;
  connected?: boolean;
}

async function pendingOf(admin: Conn, displayName: string): Promise<NodeRow | undefined> {
  const r = await admin.request("node.pair.list", {});
  return (r.payload as { pending?: NodeRow[] } | undefined)?.pending?.find((p) => p.displayName === displayName);
}

async function connectedIn(admin: Conn, displayName: string): Promise<NodeRow | undefined> {
  const r = await admin.request("node.list", {});
  const n = (r.payload as { nodes?: NodeRow[] } | undefined)?.nodes?.find((x) => x.displayName === displayName);
  return n?.connected === true ? n : undefined;
}

async function approve(admin: Conn, row: NodeRow): Promise<void> {
  const r = await admin.request("node.pair.approve", { requestId: row.requestId });
  if (!r.ok) throw new Error(`node.pair.approve ${row.displayName}: ${JSON.stringify(r.error)}`);
}

let keySeq = 0;
const invoke = (s: Conn, nodeId: string): Promise<Res> => s.request("node.invoke", { nodeId, command: COMMAND, params: WHICH_PARAMS, timeoutMs: 20_000, idempotencyKey: `bench-${process.pid}-${++keySeq}` });

/** One measured series: a call and its round trips (ms); a refused call ends the bench with its reason. */
interface Series {
  name: string;
  call: () => Promise<Res>;
  ms: number[];
  first?: Res;
}

function series(name: string, call: () => Promise<Res>): Series {
  return { name, call, ms: [] };
}

async function timed(s: Series): Promise<number> {
  const t = process.hrtime.bigint();
  const answer = await s.call();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (!answer.ok) throw new Error(`${s.name}: ${JSON.stringify(answer.error)}`);
  s.first ??= answer;
  return ms;
}

/**
 * Every series in each round, one call at a time, the order rotated each round: no series always runs right
 * after another's GC or burst, and all see the same machine load.
 */
async function measureAll(all: Series[]): Promise<void> {
  // A few unmeasured calls each (the first is the one compared): JIT, sockets and caches warm on every side.
  for (let i = 0; i < 10; i++) for (const s of all) await timed(s);
  for (let r = 0; r < ROUNDS; r++) {
    const k = r % all.length;
    for (const s of [...all.slice(k), ...all.slice(0, k)]) s.ms.push(await timed(s));
  }
}

/** The same answer from both runtimes: the first answers, node ids masked (two node hosts are two devices). */
function sameAnswer(l: Series, h: Series, legacyNode: string, hanzodNode: string): boolean {
  const mask = (r: Res | undefined, id: string): unknown => JSON.parse(JSON.stringify(r ?? null).replaceAll(id, "<node>")) as unknown;
  const equal = l.first !== undefined && isDeepStrictEqual(mask(l.first, legacyNode), mask(h.first, hanzodNode));
  if (!equal) process.stderr.write(`[bench] answers differ\n  ${l.name}: ${JSON.stringify(l.first)}\n  ${h.name}: ${JSON.stringify(h.first)}\n`);
  return equal;
}

/**
 * The floor: the least any gateway can take for the same four hops (caller -> gateway -> node -> gateway ->
 * caller), a ws relay in this process (as hanzod is) that parses each frame and forwards it, nothing else. What
 * hanzod adds above it is hanzod's own work; what the floor itself adds is the machine's (loopback, scheduling).
 */
async function floorRelay(): Promise<{ call: () => Promise<Res>; own: number[]; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await once(wss, "listening");
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  let nodeSocket: WebSocket | undefined;
  const callers = new Map<string, WebSocket>();
  wss.on("connection", (ws) => {
    ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString()) as { type: string; id: string; params?: unknown; payloadJSON?: string };
      if (f.type === "node") {
        nodeSocket = ws;
        ws.send(JSON.stringify({ type: "node-ok" }));
      }
      else if (f.type === "req") {
        callers.set(f.id, ws);
        nodeSocket?.send(JSON.stringify({ type: "event", event: "node.invoke.request", payload: { id: f.id, paramsJSON: JSON.stringify(f.params) } }));
      } else if (f.type === "result") {
        const caller = callers.get(f.id);
        callers.delete(f.id);
        caller?.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload: { ok: true, payload: JSON.parse(f.payloadJSON ?? "null") as unknown } }));
      }
    });
  });
  const open = async (): Promise<WebSocket> => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await once(ws, "open");
    return ws;
  };
  // The floor's node answers as the instant node does, timing itself the same way.
  const own: number[] = [];
  const node = await open();
  let registered: () => void = () => undefined;
  const ready = new Promise<void>((r) => (registered = r));
  node.on("message", (data: Buffer) => {
    const t = process.hrtime.bigint();
    const f = JSON.parse(data.toString()) as { type: string; payload: { id: string } };
    if (f.type === "node-ok") return registered();
    node.send(JSON.stringify({ type: "result", id: f.payload.id, payloadJSON: INSTANT_ANSWER }));
    own.push(Number(process.hrtime.bigint() - t) / 1e6);
  });
  node.send(JSON.stringify({ type: "node" }));
  await ready;
  const caller = await open();
  const waiting = new Map<string, (r: Res) => void>();
  caller.on("message", (data: Buffer) => {
    const f = JSON.parse(data.toString()) as { id: string; ok: boolean; payload: unknown };
    waiting.get(f.id)?.({ ok: f.ok, payload: f.payload });
    waiting.delete(f.id);
  });
  let seq = 0;
  return {
    own,
    call: () =>
      new Promise<Res>((resolve) => {
        const id = `f${++seq}`;
        waiting.set(id, resolve);
        caller.send(JSON.stringify({ type: "req", id, params: WHICH_PARAMS }));
      }),
    close: async () => {
      node.close();
      caller.close();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

const q = (xs: number[], p: number): number => percentileOf([...xs], p) ?? NaN;

interface Measured {
  host: { legacy: Series; hanzod: Series; equal: boolean };
  instant: { legacy: Series; hanzod: Series; equal: boolean };
  floor: Series;
  own: { legacy: number[]; hanzod: number[]; floor: number[] };
}

function report(m: Measured, startLoad: number[]): boolean {
  const f = (n: number): string => n.toFixed(2);
  const { host, instant, floor, own } = m;
  const out = [
    `node.invoke ${COMMAND} round trips, hanzod against the legacy on one state dir, ${ROUNDS} calls per series, all series interleaved one call at a time (ms)`,
    `load average (1/5/15 min) at start ${startLoad.map((n) => n.toFixed(2)).join(" ")}, at end ${loadavg().map((n) => n.toFixed(2)).join(" ")} (${cpus().length} cores)`,
    "| node | runtime | p50 | p99 | legacy/hanzod p50 | legacy/hanzod p99 | same answer |",
    "|---|---|---:|---:|---:|---:|:---:|",
  ];
  for (const [name, r] of [["real node host", host], ["instant node (ours)", instant]] as const) {
    out.push(`| ${name} | legacy | ${f(q(r.legacy.ms, 50))} | ${f(q(r.legacy.ms, 99))} | | | |`);
    out.push(`| ${name} | hanzod | ${f(q(r.hanzod.ms, 50))} | ${f(q(r.hanzod.ms, 99))} | ${(q(r.legacy.ms, 50) / q(r.hanzod.ms, 50)).toFixed(1)}x | ${(q(r.legacy.ms, 99) / q(r.hanzod.ms, 99)).toFixed(1)}x | ${r.equal ? "yes" : "NO"} |`);
  }
  out.push(`| instant node (ours) | floor: bare ws relay | ${f(q(floor.ms, 50))} | ${f(q(floor.ms, 99))} | | | |`);
  // The gateway's share: the instant node's round trip minus its own time (a few µs a call).
  const added = (rt: number[], o: number[], p: number): number => q(rt, p) - q(o, 50);
  const addedHanzod = added(instant.hanzod.ms, own.hanzod, 50);
  const addedLegacy = added(instant.legacy.ms, own.legacy, 50);
  const addedFloor = added(floor.ms, own.floor, 50);
  out.push("");
  out.push(`instant node's own time (request arrival to answer sent) p50/p99: legacy ${f(q(own.legacy, 50))}/${f(q(own.legacy, 99))}, hanzod ${f(q(own.hanzod, 50))}/${f(q(own.hanzod, 99))}, floor ${f(q(own.floor, 50))}/${f(q(own.floor, 99))}`);
  out.push(`gateway's added time (instant node round trip minus its own time) p50: legacy ${f(addedLegacy)}, hanzod ${f(addedHanzod)}, floor relay ${f(addedFloor)} (hanzod above the floor: ${f(addedHanzod - addedFloor)}); p99: legacy ${f(added(instant.legacy.ms, own.legacy, 99))}, hanzod ${f(added(instant.hanzod.ms, own.hanzod, 99))}, floor ${f(added(floor.ms, own.floor, 99))}`);
  // The node host's own time, estimated per runtime: its round trip minus that runtime's added time.
  out.push(`node host's own time, estimated (its round trip minus the gateway's added time) p50: behind the legacy ${f(q(host.legacy.ms, 50) - addedLegacy)}, behind hanzod ${f(q(host.hanzod.ms, 50) - addedHanzod)}`);
  const addsUnder1 = addedHanzod < 1;
  const ratio = q(host.legacy.ms, 50) / q(host.hanzod.ms, 50);
  const threeX = ratio >= 3;
  const same = host.equal && instant.equal;
  out.push(`target: hanzod adds < 1 ms (p50): ${f(addedHanzod)} ms -> ${addsUnder1 ? "yes" : "NO"}; >= 3x faster than the legacy with the real node host (p50): ${ratio.toFixed(1)}x -> ${threeX ? "yes" : "NO"}; same answers: ${same ? "yes" : "NO"}`);
  out.push(addsUnder1 && threeX && same ? "TARGET MET" : "TARGET MISSED");
  process.stdout.write(`\n${out.join("\n")}\n`);
  return addsUnder1 && threeX && same;
}

async function main(): Promise<number> {
  const startLoad = loadavg();
  const t0 = Date.now();
  const gw = await startLegacyGateway({});
  process.stderr.write(`[bench] legacy ${gw.version} up (${Date.now() - t0} ms)\n`);
  const t1 = Date.now();
  let hz: HanzodHandle | undefined;
  const conns: Conn[] = [];
  const hosts: Host[] = [];
  const homes: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const close of closers) await close().catch(() => undefined);
    for (const c of conns) await c.close().catch(() => undefined);
    for (const h of hosts) await stopHost(h).catch(() => undefined);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    await hz?.close();
    await gw.stop();
  };
  // Interrupted (Ctrl-C, a CI timeout): everything this started is stopped by PID all the same.
  const interrupted = (signal: NodeJS.Signals): void => {
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: HANZOD_TOKEN }, stateDir: gw.stateDir, logger: false, compat: gw.version });
    const legacyAdmin = await operator(gw.url, gw.token);
    const hanzodAdmin = await operator(hz.url, HANZOD_TOKEN);
    conns.push(legacyAdmin, hanzodAdmin);

    // Two node hosts (one per runtime, each its own HOME and device), both paired by the legacy.
    const names = { legacy: `bench-node-legacy-${process.pid}`, hanzod: `bench-node-hanzod-${process.pid}`, instant: `bench-node-instant-${process.pid}` };
    for (let i = 0; i < 2; i++) homes.push(mkdtempSync(join(tmpdir(), "bench-node-host-")));
    const onLegacy = spawnHost(gw, homes[0]!, gw.port, gw.token, names.legacy);
    let forHanzod = spawnHost(gw, homes[1]!, gw.port, gw.token, names.hanzod);
    hosts.push(onLegacy, forHanzod);
    // The instant node: one device, its surface approved by the legacy, then connected to each runtime.
    const identity = createDeviceIdentity();
    const own = { legacy: [] as number[], hanzod: [] as number[] };
    const filing = await instantNode(gw.url, gw.token, identity, names.instant, []);
    const pendingInstant = await until("the instant node's pending surface", () => pendingOf(legacyAdmin, names.instant), 30_000);
    await approve(legacyAdmin, pendingInstant);
    await filing.close();
    conns.push(await instantNode(gw.url, gw.token, identity, names.instant, own.legacy));
    conns.push(await instantNode(hz.url, HANZOD_TOKEN, identity, names.instant, own.hanzod));

    // The node hosts start slowly on a loaded machine (tens of seconds before their first connect).
    for (const [name, h] of [[names.legacy, onLegacy], [names.hanzod, forHanzod]] as const) {
      const pending = await until(`${name}'s pending surface`, () => pendingOf(legacyAdmin, name), 180_000, () => h.output.slice(-1500));
      await approve(legacyAdmin, pending);
    }
    const legacyHost = await until("the legacy's node host connected and approved", async () => {
      const n = await connectedIn(legacyAdmin, names.legacy);
      return n && (await invoke(legacyAdmin, n.nodeId)).ok ? n : undefined;
    }, 60_000, () => onLegacy.output.slice(-1500));
    // The second host, approved, moves to hanzod: the same HOME (device and device token), hanzod's port.
    await until("the second node host approved", () => connectedIn(legacyAdmin, names.hanzod), 60_000, () => forHanzod.output.slice(-1500));
    await stopHost(forHanzod);
    forHanzod = spawnHost(gw, homes[1]!, hz.port, HANZOD_TOKEN, names.hanzod);
    hosts.push(forHanzod);
    const hanzodHost = await until("the node host connected to hanzod and answering", async () => {
      const n = await connectedIn(hanzodAdmin, names.hanzod);
      return n && (await invoke(hanzodAdmin, n.nodeId)).ok ? n : undefined;
    }, 180_000, () => forHanzod.output.slice(-1500));
    process.stderr.write(`[bench] nodes paired and connected (${Date.now() - t1} ms after the legacy was up); measuring\n`);

    const floorRun = await floorRelay();
    closers.push(floorRun.close);
    const m: Measured = {
      host: { legacy: series("legacy, node host", () => invoke(legacyAdmin, legacyHost.nodeId)), hanzod: series("hanzod, node host", () => invoke(hanzodAdmin, hanzodHost.nodeId)), equal: false },
      instant: { legacy: series("legacy, instant node", () => invoke(legacyAdmin, identity.id)), hanzod: series("hanzod, instant node", () => invoke(hanzodAdmin, identity.id)), equal: false },
      floor: series("floor relay", floorRun.call),
      own: { legacy: own.legacy, hanzod: own.hanzod, floor: floorRun.own },
    };
    await measureAll([m.host.legacy, m.host.hanzod, m.instant.legacy, m.instant.hanzod, m.floor]);
    m.host.equal = sameAnswer(m.host.legacy, m.host.hanzod, legacyHost.nodeId, hanzodHost.nodeId);
    m.instant.equal = sameAnswer(m.instant.legacy, m.instant.hanzod, identity.id, identity.id);
    process.stderr.write(`[bench] done ${Date.now() - t1} ms after the legacy was up\n`);
    return report(m, startLoad) ? 0 : 1;
  } finally {
    await cleanup();
  }
}

process.exit(await main());
