/**
 * The benchmarks' child processes: a bench script re-runs itself with a role (`echo`, `proxy`, ...)
 * in a child, which prints `ready <port> [<port>...]` once it listens. One spawner for every bench.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { REPO_ROOT } from "../../protocol/index.js";

export interface RoleChild {
  proc: ChildProcess;
  /** The ports the role printed, in order. */
  ports: number[];
  port: number;
}

/**
 * Starts `script` with `args` (args[0] is the role). BENCH_CPU_PROF=DIR: `proxy` roles write a V8 CPU
 * profile there when stopped. `children` collects the process so the caller stops it whatever happens.
 */
export function spawnRole(script: string, args: string[], children?: ChildProcess[]): Promise<RoleChild> {
  const prof = process.env.BENCH_CPU_PROF && args[0] === "proxy" ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : [];
  const proc = spawn(process.execPath, [...prof, "--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"], cwd: REPO_ROOT });
  children?.push(proc);
  return new Promise((resolve, reject) => {
    let buf = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /ready ([\d ]+)\n/.exec(buf);
      if (m) {
        const ports = m[1]!.trim().split(" ").map(Number);
        resolve({ proc, ports, port: ports[0]! });
      }
    });
    proc.once("exit", (code) => reject(new Error(`${args[0]} exited ${String(code)}`)));
  });
}
