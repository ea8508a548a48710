/**
 * ExitGuard's forced endings, on a real process whose child ignores SIGTERM: a second Ctrl-C, or a graceful
 * stop that outlasts its timeout, still kills the child (by its group) and removes the throwaway folder.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../protocol/index.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startGuarded(stopTimeoutMs: number) {
  const proc = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "cli", "test", "fixtures", "guarded.ts"), String(stopTimeoutMs)], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  let out = "";
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+) (\S+)/.exec(out);
      if (m) resolve(m);
    });
    void exited.then(() => reject(new Error(`guarded process exited early: ${out}`)));
  });
  /** Resolves once the guard has said `line` on stderr (it says "stopping (...)" as a graceful stop begins). */
  const said = async (line: string, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!err.includes(line)) {
      if (Date.now() > deadline) throw new Error(`guarded process did not say ${JSON.stringify(line)} within ${timeoutMs} ms; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { proc, exited, said, childPid: Number(ready[1]), dir: ready[2]! };
}

// The guarded process starts under tsx: over 20 s on a loaded two-core machine.
describe("ExitGuard forced endings", { timeout: 180_000 }, () => {
  it("a second SIGINT while the graceful stop hangs: exit 130, the child's group killed, the folder removed", async () => {
    const g = await startGuarded(60_000);
    expect(alive(g.childPid) && existsSync(g.dir)).toBe(true);
    g.proc.kill("SIGINT");
    // The first SIGINT has begun the graceful stop (the child has been sent SIGTERM), so the next one is
    // really a second Ctrl-C, however slowly the guarded process got to the first.
    await g.said("stopping (SIGINT received)");
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(g.childPid)).toBe(true); // it ignores SIGTERM: the graceful stop is still waiting
    g.proc.kill("SIGINT");
    expect(await g.exited).toBe(130);
    await expect.poll(() => alive(g.childPid), { timeout: 30_000 }).toBe(false);
    expect(existsSync(g.dir)).toBe(false);
  });

  it("a graceful stop longer than the timeout: the end is forced, the child killed, the folder removed", async () => {
    const g = await startGuarded(1000);
    g.proc.kill("SIGTERM");
    expect(await g.exited).toBe(1);
    await expect.poll(() => alive(g.childPid), { timeout: 30_000 }).toBe(false);
    expect(existsSync(g.dir)).toBe(false);
  });
});
