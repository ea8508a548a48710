/**
 * The real proxy launch gets DAEMON_ENV (issue 16): `hanzonode up` / `hanzonode proxy` run the proxy in the
 * CLI's own process, and glibc reads MALLOC_* only at start, so the CLI starts itself once more with it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DAEMON_ENV } from "../../hanzod/service/daemon-env.js";
import { NO_REEXEC_VAR, REEXECUTED_VAR, processExecve, reexecEnv } from "../daemon-reexec.js";

const REPO = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "hanzonode-reexec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loaded by every node process the CLI starts (NODE_OPTIONS is inherited): one line per process, "pid ppid setting". */
const probe = join(dir, "probe.mjs");
writeFileSync(probe, 'import { appendFileSync } from "node:fs";\nappendFileSync(process.env.REEXEC_PROBE_OUT, `${process.pid} ${process.ppid} ${process.env.MALLOC_MMAP_THRESHOLD_ ?? "-"}\\n`);\n');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** Each node process that ran the entry, in start order. */
  processes: Array<{ pid: number; ppid: number; setting: string }>;
}

let runs = 0;
function hanzonode(args: string[], extraEnv: Record<string, string> = {}): Promise<Ran> {
  const out = join(dir, `run-${++runs}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, REEXEC_PROBE_OUT: out, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(probe).href}`.trim() };
  for (const k of [...Object.keys(DAEMON_ENV), REEXECUTED_VAR]) delete env[k];
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(REPO, "cli", "hanzonode.ts"), ...args], { cwd: REPO, env }, (err, stdout, stderr) => {
      const lines = existsSync(out) ? readFileSync(out, "utf8").trim().split("\n") : [];
      const processes = lines.map((l) => {
        const [pid, ppid, setting] = l.split(" ");
        return { pid: Number(pid), ppid: Number(ppid), setting: setting ?? "" };
      });
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, processes });
    });
  });
}

describe("reexecEnv: which starts get DAEMON_ENV", () => {
  it("up and proxy do, with the marker; other commands, an opt-out, a second start or a setting already there do not", () => {
    const env = { PATH: "/bin" };
    expect(reexecEnv(["proxy", "--listen", "1"], env)).toEqual({ ...env, ...DAEMON_ENV, [REEXECUTED_VAR]: "1" });
    expect(reexecEnv(["up"], env)?.MALLOC_MMAP_THRESHOLD_).toBe("131072");
    expect(reexecEnv(["status"], env)).toBeUndefined();
    expect(reexecEnv(["--help"], env)).toBeUndefined();
    expect(reexecEnv(["proxy"], { ...env, [NO_REEXEC_VAR]: "1" })).toBeUndefined();
    expect(reexecEnv(["proxy"], { ...env, [REEXECUTED_VAR]: "1" })).toBeUndefined();
    // The operator's own value wins; it is not replaced.
    expect(reexecEnv(["proxy"], { ...env, MALLOC_MMAP_THRESHOLD_: "65536" })).toBeUndefined();
  });
});

describe("the CLI entry starts the proxy's process with DAEMON_ENV", () => {
  it("proxy runs in a process that has the setting from its start, once; same exit code and output as without", async () => {
    // A refused option: the whole CLI loads and yargs answers, without starting a proxy (fast, nothing to stop).
    const [withIt, optedOut] = await Promise.all([hanzonode(["proxy", "--no-such-option"]), hanzonode(["proxy", "--no-such-option"], { [NO_REEXEC_VAR]: "1" })]);
    if (processExecve()) {
      // The process that ran the command had MALLOC_MMAP_THRESHOLD_ in its environment when it started: the
      // same process (execve), started once more.
      expect(withIt.processes.map((p) => p.setting)).toEqual(["-", DAEMON_ENV.MALLOC_MMAP_THRESHOLD_]);
      expect(withIt.processes[1]!.pid).toBe(withIt.processes[0]!.pid);
    } else {
      // Node 20 (no execve): run as it is, in one process (no launcher in front of it).
      expect(withIt.processes.map((p) => p.setting)).toEqual(["-"]);
    }
    expect(optedOut.processes.map((p) => p.setting)).toEqual(["-"]);
    expect(withIt.code).toBe(1);
    expect(withIt.code).toBe(optedOut.code);
    expect(withIt.stderr).toContain("Unknown argument");
    expect(withIt.stderr).toBe(optedOut.stderr);
    expect(withIt.stdout).toBe(optedOut.stdout);
  }, 60_000);
});
