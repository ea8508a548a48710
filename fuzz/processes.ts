/** Fuzz target processes: spawned with IPC, watched (stalls, RSS, exit), stopped by PID. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../protocol/index.js";
import type { TargetSpec } from "./target.js";
import type { WatchdogReport } from "./watchdog.js";
import { DAEMON_ENV } from "../hanzod/service/daemon-env.js";

export interface TargetProcess {
  name: string;
  pid: number;
  url: string;
  /** Every watchdog report so far. */
  readonly reports: WatchdogReport[];
  /** Set when the process ended before stop() (a crash). */
  readonly crashed: { code: number | null; signal: string | null } | undefined;
  /** Latest RSS, after asking for a collection (when the process runs with --expose-gc). */
  rssNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Where a target's code comes from. "build": dist/ (`npm run build`), the compiled JS that users run
 * through bin/hanzod.js, with no TypeScript loader in the process or its intake worker (tsx costs each
 * thread that loads it about 26 MB, so RSS figures from source are not what users see). "source": the
 * .ts files through tsx, for runs that do not measure memory (the short fuzz in `npm test`).
 */
export type TargetFrom = "build" | "source";

export async function startTarget(name: string, spec: TargetSpec, from: TargetFrom = "source"): Promise<TargetProcess> {
  const entry = from === "build" ? ["--expose-gc", join(REPO_ROOT, "dist", "fuzz", "target.js")] : ["--expose-gc", "--import", "tsx", join(REPO_ROOT, "fuzz", "target.ts")];
  const child: ChildProcess = spawn(process.execPath, [...entry, JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    // Both targets with the daemon's start-time settings: hanzod as its launchers start it (the service unit,
    // `hanzonode up`), the proxy as a long-running process should be started (issue 16: without a fixed mmap
    // threshold its frame buffers stay in the malloc heap after the load, the minute-after figure).
    env: { ...process.env, ...DAEMON_ENV, HANZOD_LOG_LEVEL: "silent", HANZONODE_LOG_LEVEL: "silent" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const reports: WatchdogReport[] = [];
  let stopping = false;
  let crashed: TargetProcess["crashed"];
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      if (!stopping) crashed = { code, signal };
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s: ${stderr}`)), 60_000);
    child.on("message", (m: { kind: "ready"; url: string } | WatchdogReport) => {
      if (m.kind === "ready") {
        clearTimeout(timer);
        resolve(m.url);
      } else if (m.kind === "watchdog") reports.push(m);
    });
    void exited.then(() => reject(new Error(`${name} exited while starting: ${stderr}`)));
  });
  return {
    name,
    pid: child.pid!,
    url,
    reports,
    get crashed() {
      return crashed;
    },
    async rssNow() {
      child.send({ kind: "gc" });
      const seen = reports.length;
      // The next report after the collection request carries the new figure (reports come every 250 ms).
      for (let i = 0; i < 40 && reports.length < seen + 2; i++) await new Promise((r) => setTimeout(r, 50));
      return reports[reports.length - 1]?.rssBytes ?? 0;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      process.kill(child.pid!, "SIGTERM");
      const killer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
      }, 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
