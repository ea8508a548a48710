/**
 * `npm run fuzz`: the long fuzz run with a printed summary against issue 16's Must-show targets.
 * Bounded by env: FUZZ_FRAMES (hostile frames per target, default 100000), FUZZ_SECONDS (default 600),
 * FUZZ_CONCURRENCY (hostile clients at once per target, 8), FUZZ_CONNECTIONS (routing check, 1000),
 * FUZZ_REQUESTS (per connection, 20), FUZZ_COOLDOWN_S (RSS measured again after, 60), FUZZ_SEED,
 * FUZZ_ATTACKS (comma-separated attack kinds, e.g. "huge-id,deep-nesting": only those, to see which makes a peak),
 * FUZZ_FROM ("build", the default: the targets run the compiled dist/ that bin/hanzod.js runs, built
 * here first so it is never stale; "source": the .ts files through tsx, whose loader adds about 26 MB
 * to each thread that loads it, the intake worker included, so its RSS figures are not what users see).
 * The targets inherit the environment, so NODE_OPTIONS or glibc's MALLOC_* settings apply to them too;
 * the summary prints them. Exits 1 when a target is missed.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../protocol/index.js";
import { runFuzz, verdicts } from "../../fuzz/run.js";

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
};

const options = {
  frames: num("FUZZ_FRAMES", 100_000),
  seconds: num("FUZZ_SECONDS", 600),
  concurrency: num("FUZZ_CONCURRENCY", 8),
  routingConnections: num("FUZZ_CONNECTIONS", 1000),
  routingRequests: num("FUZZ_REQUESTS", 20),
  cooldownMs: num("FUZZ_COOLDOWN_S", 60) * 1000,
  seed: num("FUZZ_SEED", Date.now() % 2 ** 31),
  from: process.env.FUZZ_FROM === "source" ? ("source" as const) : ("build" as const),
  ...(process.env.FUZZ_ATTACKS ? { attacks: process.env.FUZZ_ATTACKS.split(",").map((a) => a.trim()).filter((a) => a !== "") } : {}),
};

if (options.from === "build") {
  process.stderr.write("[fuzz] building dist/ (npm run build)\n");
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(REPO_ROOT, "tsconfig.build.json")], { cwd: REPO_ROOT, stdio: "inherit" });
}
const loadBefore = loadavg()[0]!;
const tuning = Object.entries(process.env).filter(([k]) => k === "NODE_OPTIONS" || k.startsWith("MALLOC_") || k === "GLIBC_TUNABLES");

const summary = await runFuzz(options, (line) => process.stderr.write(`[fuzz] ${line}\n`));
const out: string[] = [];
out.push(`fuzz run (seed ${options.seed}, ${(summary.durationMs / 1000).toFixed(0)} s): ${summary.framesSent.hanzod} hostile frames to hanzod, ${summary.framesSent.proxy} to the proxy`);
out.push(`measured: ${options.from === "build" ? "compiled dist/ (what bin/hanzod.js runs)" : "sources through tsx (not what users run: the loader adds about 26 MB per thread)"}, Node ${process.version}, ${tuning.length ? tuning.map(([k, v]) => `${k}=${v}`).join(" ") : "no NODE_OPTIONS or MALLOC_* settings"}; load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`);
out.push(`attack kinds run: ${Object.entries(summary.attacks).map(([k, v]) => `${k} ${v}`).join(", ")}`);
out.push("");
out.push("process               idle MB  peak MB  after MB  longest frame CPU ms  (wall ms)  frames >50 ms  (besides GC)  longest GC ms  longest loop turn ms  p99 turn ms  crashed");
for (const p of summary.processes) {
  out.push(`${p.name.padEnd(20)} ${p.idleRssMb.toFixed(0).padStart(8)} ${p.peakRssMb.toFixed(0).padStart(8)} ${p.afterRssMb.toFixed(0).padStart(9)} ${p.longestFrameMs.toFixed(1).padStart(21)} ${p.longestFrameWallMs.toFixed(1).padStart(10)} ${String(p.framesOver50Ms).padStart(14)} ${String(p.framesOver50MsBesidesGc).padStart(13)} ${p.longestGcMs.toFixed(1).padStart(14)} ${p.maxStallMs.toFixed(1).padStart(21)} ${p.p99StallMs.toFixed(1).padStart(12)}  ${p.crashed ? "YES" : "no"}`);
}
out.push("");
const vs = verdicts(summary);
for (const v of vs) out.push(`${v.ok ? "PASS" : "MISS"}  ${v.target}: ${v.detail}`);
process.stdout.write(`${out.join("\n")}\n`);
process.exit(vs.every((v) => v.ok) ? 0 : 1);
