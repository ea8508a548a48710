/**
 * One fuzz run: hanzod alone and the proxy (in front of its own hanzod), each in its own process with
 * the watchdog; hostile clients against both, then the routing check through the proxy, then a normal
 * client against both; RSS at idle, at peak and after a cool-down. Loopback only; every process it
 * starts it stops by PID.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { ATTACKS, type Attack } from "./attacks.js";
import { startTarget, type TargetFrom, type TargetProcess } from "./processes.js";
import { routingCheck, type RoutingResult } from "./routing.js";
import type { WatchdogReport } from "./watchdog.js";

export interface FuzzOptions {
  /** Hostile frames to send to each target (the run stops at this or at `seconds`). */
  frames: number;
  seconds: number;
  /** Hostile clients at once, per target. */
  concurrency: number;
  routingConnections: number;
  routingRequests: number;
  /** How long after the run RSS is measured again. */
  cooldownMs: number;
  seed: number;
  /** Compiled dist/ (what users run; the long run) or the .ts sources through tsx (see processes.ts). */
  from: TargetFrom;
  /** Only these attack kinds (by name), to see which of them makes a peak; all when absent. */
  attacks?: readonly string[];
}

export interface ProcessSummary {
  name: string;
  pid: number;
  crashed: boolean;
  idleRssMb: number;
  peakRssMb: number;
  afterRssMb: number;
  /** Longest event-loop turn (a batch of ready sockets, or a GC pause, counts as one). */
  maxStallMs: number;
  p99StallMs: number;
  /** Longest synchronous handling of one frame or accepted connection, CPU ms (see watchdog.ts). */
  longestFrameMs: number;
  longestFrameWallMs: number;
  /** The longest frame's size, bytes, and whether it was a `message` or an accepted `connection`. */
  longestFrameBytes: number;
  longestFrameEvent: string;
  framesOver50Ms: number;
  /** Frames over 50 ms once the garbage-collection pauses inside them are taken out. */
  framesOver50MsBesidesGc: number;
  longestGcMs: number;
  /** Where the peak was: which phase, and how much of it was the main heap and Buffers (the rest: workers, native, malloc). */
  peakPhase: "hostile" | "routing";
  peakHeapTotalMb: number;
  peakExternalMb: number;
  /** The main heap (heapTotal) at the idle and after-cool-down measurements, to compare with the RSS figures. */
  idleHeapTotalMb: number;
  afterHeapTotalMb: number;
  /** Highest RSS in each phase. */
  peakHostileRssMb: number;
  peakRoutingRssMb: number;
}

export interface FuzzSummary {
  options: FuzzOptions;
  framesSent: Record<string, number>;
  attacks: Record<string, number>;
  routing: RoutingResult;
  /** Normal clients after the run: connect + health, per target. */
  liveness: Record<string, { ok: boolean; ms: number; why?: string }>;
  processes: ProcessSummary[];
  durationMs: number;
}

const TOKEN = `fuzz-${Date.now().toString(36)}`;
const MB = 1024 * 1024;

/** mulberry32: a small seeded PRNG, so a run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** connect + health, as a normal client; not ok (with why) when either fails within 10 s. */
async function normalClient(url: string): Promise<{ ok: boolean; ms: number; why?: string }> {
  const started = performance.now();
  const why = await new Promise<string | undefined>((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const end = (failure: string | undefined): void => {
      clearTimeout(timer);
      ws.terminate();
      resolve(failure);
    };
    const timer = setTimeout(() => end("no answer within 10 s"), 10_000);
    ws.on("error", (err) => end(`socket error: ${err.message}`));
    ws.on("close", (code, reason) => end(`closed ${code} ${reason.toString()}`));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { type: string; event?: string; id?: string; ok?: boolean; error?: { code?: string; message?: string } };
      const refusal = (): string => `${f.id === "c" ? "connect" : "health"}: ${f.error?.code ?? "?"} ${f.error?.message ?? ""}`;
      if (f.event === "connect.challenge") ws.send(JSON.stringify({ type: "req", id: "c", method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "fuzz", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token: TOKEN } } }));
      else if (f.type === "res" && f.id === "c") f.ok ? ws.send(JSON.stringify({ type: "req", id: "h", method: "health" })) : end(refusal());
      else if (f.type === "res" && f.id === "h") end(f.ok === true ? undefined : refusal());
    });
  });
  return why === undefined ? { ok: true, ms: Math.round(performance.now() - started) } : { ok: false, ms: Math.round(performance.now() - started), why };
}

/** The attack kinds a run uses: all, or the ones `only` names (an unknown name is an error, not an empty run). */
export function selectAttacks(only: readonly string[] | undefined): Attack[] {
  if (only === undefined || only.length === 0) return ATTACKS;
  const unknown = only.filter((n) => !ATTACKS.some((a) => a.name === n));
  if (unknown.length > 0) throw new Error(`unknown attack kind ${unknown.join(", ")} (known: ${ATTACKS.map((a) => a.name).join(", ")})`);
  return ATTACKS.filter((a) => only.includes(a.name));
}

async function hostile(target: TargetProcess, opts: FuzzOptions, random: () => number, counts: Record<string, number>): Promise<number> {
  const attacks = selectAttacks(opts.attacks);
  let frames = 0;
  let i = Math.floor(random() * attacks.length);
  // Every kind runs at least once, whatever the frame budget: some kinds send thousands of frames each.
  const firstRoundEnds = i + attacks.length;
  const until = Date.now() + opts.seconds * 1000;
  const ctx = { url: target.url, token: TOKEN, random };
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while ((frames < opts.frames || i < firstRoundEnds) && Date.now() < until && target.crashed === undefined) {
        const attack = attacks[i++ % attacks.length]!;
        counts[attack.name] = (counts[attack.name] ?? 0) + 1;
        // Awaited first, then added: `frames += await ...` reads `frames` before the await, so concurrent
        // clients overwrote each other's counts and the run went far past its frame budget.
        const sent = await attack.run(ctx).catch(() => 1);
        frames += sent;
      }
    }),
  );
  return frames;
}

const heapNow = (t: TargetProcess): number => (t.reports[t.reports.length - 1]?.heapTotalBytes ?? 0) / MB;

function summarize(p: TargetProcess, idle: { rss: number; heap: number }, after: { rss: number; heap: number }, activeFrom: number, routingFrom: number, activeTo: number): ProcessSummary {
  const idleRss = idle.rss;
  const afterRss = after.rss;
  const active = p.reports.filter((r) => r.at >= activeFrom && r.at <= activeTo + 500);
  const peak = active.reduce<WatchdogReport | undefined>((best, r) => (best === undefined || r.rssBytes > best.rssBytes ? r : best), undefined);
  const phasePeak = (from: number, to: number): number => Math.max(0, ...active.filter((r) => r.at >= from && r.at < to).map((r) => r.rssBytes)) / MB;
  return {
    idleHeapTotalMb: idle.heap,
    afterHeapTotalMb: after.heap,
    peakPhase: peak !== undefined && peak.at >= routingFrom ? "routing" : "hostile",
    peakHeapTotalMb: (peak?.heapTotalBytes ?? 0) / MB,
    peakExternalMb: (peak?.externalBytes ?? 0) / MB,
    peakHostileRssMb: phasePeak(activeFrom, routingFrom),
    peakRoutingRssMb: phasePeak(routingFrom, Infinity),
    name: p.name,
    pid: p.pid,
    crashed: p.crashed !== undefined,
    idleRssMb: idleRss / MB,
    peakRssMb: Math.max(idleRss, ...active.map((r) => r.rssBytes)) / MB,
    afterRssMb: afterRss / MB,
    maxStallMs: Math.max(0, ...active.map((r) => r.maxStallMs)),
    p99StallMs: Math.max(0, ...active.map((r) => r.p99StallMs)),
    longestFrameMs: Math.max(0, ...active.map((r) => r.longestFrameMs)),
    ...(({ longestFrameBytes, longestFrameEvent }) => ({ longestFrameBytes, longestFrameEvent }))(active.reduce((worst, r) => (r.longestFrameMs > worst.longestFrameMs ? r : worst), { longestFrameMs: -1, longestFrameBytes: 0, longestFrameEvent: "" })),
    longestFrameWallMs: Math.max(0, ...active.map((r) => r.longestFrameWallMs)),
    framesOver50Ms: active.reduce((n, r) => n + r.framesOver50Ms, 0),
    framesOver50MsBesidesGc: active.reduce((n, r) => n + r.framesOver50MsBesidesGc, 0),
    longestGcMs: Math.max(0, ...active.map((r) => r.longestGcMs)),
  };
}

export async function runFuzz(opts: FuzzOptions, progress: (line: string) => void = () => undefined): Promise<FuzzSummary> {
  selectAttacks(opts.attacks); // a misspelt kind fails before any process starts
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "hanzonode-fuzz-"));
  const checklist = join(dir, "checklist.yaml");
  writeFileSync(checklist, ["version: 1", "authOwner: hanzod", "nodeOwner: hanzod", "default: hanzod"].join("\n"));
  const targets: TargetProcess[] = [];
  try {
    const direct = await startTarget("hanzod", { kind: "hanzod", token: TOKEN, trustedProxies: [] }, opts.from);
    targets.push(direct);
    const behind = await startTarget("hanzod-behind-proxy", { kind: "hanzod", token: TOKEN, trustedProxies: ["127.0.0.1", "::1"] }, opts.from);
    targets.push(behind);
    const proxy = await startTarget("proxy", { kind: "proxy", hanzodUrl: behind.url, hanzodToken: TOKEN, checklistPath: checklist }, opts.from);
    targets.push(proxy);
    progress(`targets up: ${targets.map((t) => `${t.name} pid ${t.pid}`).join(", ")}`);

    // Idle: after one normal client each, and a collection.
    await Promise.all([normalClient(direct.url), normalClient(proxy.url)]);
    const idle = new Map<TargetProcess, { rss: number; heap: number }>();
    for (const t of targets) idle.set(t, { rss: await t.rssNow(), heap: heapNow(t) });

    const activeFrom = Date.now();
    const random = prng(opts.seed);
    const attacks: Record<string, number> = {};
    progress(`hostile clients: up to ${opts.frames} frames or ${opts.seconds} s per target`);
    const [directFrames, proxyFrames] = await Promise.all([hostile(direct, opts, random, attacks), hostile(proxy, opts, random, attacks)]);
    const routingFrom = Date.now();
    progress(`routing check: ${opts.routingConnections} connections x ${opts.routingRequests} requests through the proxy`);
    const routing = await routingCheck(proxy.url, TOKEN, opts.routingConnections, opts.routingRequests, 120_000);
    const liveness = { hanzod: await normalClient(direct.url), proxy: await normalClient(proxy.url) };
    const activeTo = Date.now();

    progress(`cool-down ${Math.round(opts.cooldownMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.cooldownMs));
    const processes: ProcessSummary[] = [];
    for (const t of targets) {
      const after = t.crashed ? { rss: 0, heap: 0 } : { rss: await t.rssNow(), heap: heapNow(t) };
      processes.push(summarize(t, idle.get(t) ?? { rss: 0, heap: 0 }, after, activeFrom, routingFrom, activeTo));
    }
    return { options: opts, framesSent: { hanzod: directFrames, proxy: proxyFrames }, attacks, routing, liveness, processes, durationMs: Date.now() - started };
  } finally {
    for (const t of [...targets].reverse()) await t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Must-show targets, each with whether this run met it. */
export function verdicts(s: FuzzSummary): Array<{ target: string; ok: boolean; detail: string }> {
  const worstFrame = Math.max(...s.processes.map((p) => p.longestFrameMs));
  return [
    { target: "0 crashes", ok: s.processes.every((p) => !p.crashed), detail: s.processes.filter((p) => p.crashed).map((p) => p.name).join(", ") || "none" },
    {
      target: "no single frame stalls an event loop > 50 ms",
      ok: worstFrame <= 50,
      detail: s.processes.map((p) => `${p.name} longest frame ${p.longestFrameMs.toFixed(1)} ms CPU (${p.longestFrameEvent === "connection" ? "accepting a connection" : `${(p.longestFrameBytes / 1024).toFixed(0)} KB`}; ${p.framesOver50Ms} over 50 ms, ${p.framesOver50MsBesidesGc} of them besides garbage collection; longest GC pause ${p.longestGcMs.toFixed(1)} ms; ${p.longestFrameWallMs.toFixed(1)} ms wall; longest loop turn ${p.maxStallMs.toFixed(1)} ms)`).join(", "),
    },
    { target: "RSS <= 2x idle while running", ok: s.processes.every((p) => p.peakRssMb <= 2 * p.idleRssMb), detail: s.processes.map((p) => `${p.name} ${p.idleRssMb.toFixed(0)} -> ${p.peakRssMb.toFixed(0)} MB (${(p.peakRssMb / p.idleRssMb).toFixed(2)}x; hostile ${p.peakHostileRssMb.toFixed(0)}, routing ${p.peakRoutingRssMb.toFixed(0)}; at the peak, main heap ${p.peakHeapTotalMb.toFixed(0)} MB, Buffers ${p.peakExternalMb.toFixed(0)} MB)`).join(", ") },
    { target: "RSS within 20 % of idle after cool-down", ok: s.processes.every((p) => p.afterRssMb <= 1.2 * p.idleRssMb), detail: s.processes.map((p) => `${p.name} ${p.afterRssMb.toFixed(0)} MB (${(p.afterRssMb / p.idleRssMb).toFixed(2)}x; main heap ${p.idleHeapTotalMb.toFixed(0)} MB idle, ${p.afterHeapTotalMb.toFixed(0)} MB after)`).join(", ") },
    { target: "0 answers lost or misrouted", ok: s.routing.lost === 0 && s.routing.misrouted === 0 && s.routing.refused === 0, detail: `${s.routing.answered}/${s.routing.requests} answered, ${s.routing.lost} lost, ${s.routing.misrouted} misrouted, ${s.routing.refused} connections refused` },
    { target: "a normal client still connects", ok: Object.values(s.liveness).every((l) => l.ok), detail: Object.entries(s.liveness).map(([k, v]) => `${k} ${v.ok ? "ok" : `FAILED (${v.why ?? "?"})`} in ${v.ms} ms`).join(", ") },
  ];
}
