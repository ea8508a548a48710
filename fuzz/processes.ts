/** Fuzz target processes: spawned with IPC, watched (stalls, RSS, exit), stopped by PID. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../protocol/index.js";
import type { TargetSpec } from "./target.js";
import type { WatchdogReport } from "./watchdog.js";

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

export async function startTarget(name: string, spec: TargetSpec): Promise<TargetProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--expose-gc", "--import", "tsx", join(REPO_ROOT, "fuzz", "target.ts"), JSON.stringify(spec)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, HANZOD_LOG_LEVEL: "silent", HANZONODE_LOG_LEVEL: "silent" },
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
