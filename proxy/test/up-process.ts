/**
 * `hanzonode up` as users run it, in a process of its own: the real CLI entry, what it prints parsed into
 * the PIDs and folders it started, and checks that a PID or a port is really gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "../../protocol/index.js";

export interface UpProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout match after `from` (a stdout offset; default 0). */
  printed(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface UpOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra node flags before the entry (e.g. `--import` of a test preload). */
  nodeArgs?: string[];
}

export function startUp(args: string[], opts: UpOptions = {}): UpProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...(opts.nodeArgs ?? []), join(REPO_ROOT, "cli", "hanzonode.ts"), "up", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: "1", HANZONODE_LOG_LEVEL: "warn", HANZOD_LOG_LEVEL: "warn", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stdout!.on("error", () => undefined);
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed: (pattern, timeoutMs = 180_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(out.slice(from));
          if (m === null) return;
          finish();
          resolve(m);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`up did not print ${String(pattern)} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        void exited.then(() => {
          if (!waiters.has(check)) return;
          finish();
          reject(new Error(`up exited before printing ${String(pattern)}\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
        });
        waiters.add(check);
        check();
      }),
  };
}

export interface UpParts {
  clientUrl: string;
  adminPort: number;
  hanzodUrl: string;
  hanzodPid: number;
  isolatedUrl: string;
  isolatedPid: number;
  /** The throwaway state dir of the isolated hanzod. */
  isolatedDir: string;
}

/** Waits for up's address block and reads from it what it started. */
export async function upReady(up: UpProcess): Promise<UpParts> {
  const clientUrl = (await up.printed(/clients connect to:\s+(ws:\/\/\S+)/))[1]!;
  const metrics = (await up.printed(/metrics:\s+(http:\/\/\S+)/))[1]!;
  const h = await up.printed(/\nhanzod:\s+(ws:\/\/\S+)\s+\(pid (\d+),/);
  const i = await up.printed(/isolated hanzod:\s+(ws:\/\/\S+)\s+\(pid (\d+), throwaway state in (\S+)\)/);
  return { clientUrl, adminPort: Number(new URL(metrics).port), hanzodUrl: h[1]!, hanzodPid: Number(h[2]), isolatedUrl: i[1]!, isolatedPid: Number(i[2]), isolatedDir: i[3]! };
}

/** Alive and not a zombie (a SIGKILLed child reparented to init is gone for every purpose here). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** True when something accepts TCP connections on the loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Stops a test's `up` if it is still running (a failed test must not leave it and its children behind). */
export async function stopUp(up: UpProcess | undefined): Promise<void> {
  if (up === undefined || up.child.exitCode !== null || up.child.signalCode !== null) return;
  up.child.kill("SIGTERM");
  await Promise.race([up.exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (up.child.exitCode === null && up.child.signalCode === null) up.child.kill("SIGKILL");
}
