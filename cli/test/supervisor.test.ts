/**
 * The supervisor on a small real child (a node script): ready on its line and its HTTP probe, restarted with
 * backoff on the same port after it dies, output tagged with its origin, stopped by PID with its whole
 * process group (a grandchild it forked goes too), a start that never gets ready leaves nothing behind.
 */
import { afterEach, describe, expect, it } from "vitest";
import { supervise, type SupervisedProcess } from "../supervisor.js";

/** Serves /readyz on the given port (0 = any), prints its URL, forks a sleeping grandchild, logs one JSON line. */
const CHILD = `
const http = require("node:http");
const { spawn } = require("node:child_process");
const port = Number(process.argv[1]);
const grand = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
const srv = http.createServer((req, res) => res.end(req.url === "/readyz" ? "ok" : "no"));
srv.listen(port, "127.0.0.1", () => {
  console.log("child listening on http://127.0.0.1:" + srv.address().port + " grandchild " + grand.pid);
  console.error(JSON.stringify({ level: 30, msg: "hello" }));
});
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("supervise", () => {
  let sup: SupervisedProcess | undefined;
  afterEach(async () => {
    await sup?.stop();
    sup = undefined;
  });

  function start(extra: { readyLine?: RegExp; readyTimeoutMs?: number } = {}) {
    const lines: string[] = [];
    const notices: string[] = [];
    const spawned: number[] = [];
    sup = supervise({
      name: "toy",
      command: (last) => ({ file: process.execPath, args: ["-e", CHILD, last === undefined ? "0" : new URL(last).port] }),
      readyLine: extra.readyLine ?? /^child listening on (http:\/\/\S+)/,
      readyProbe: (url) => `${url}/readyz`,
      readyTimeoutMs: extra.readyTimeoutMs ?? 30_000,
      backoff: { initialMs: 50 },
      output: { childLine: (origin, stream, line) => lines.push(`${origin}/${stream}: ${line}`), notice: (l) => notices.push(l) },
      onSpawn: (pid) => spawned.push(pid),
    });
    return { sup, lines, notices, spawned };
  }

  it("is ready on its line and probe; restarted on the same port after SIGKILL; its output is tagged", async () => {
    const { sup: s, lines, notices, spawned } = start();
    const url = await s.ready;
    const firstPid = s.pid!;
    expect(spawned).toEqual([firstPid]);
    expect(lines).toContain(`toy/stderr: {"level":30,"msg":"hello"}`);
    const again = s.nextReady();
    process.kill(firstPid, "SIGKILL");
    expect(await again).toBe(url);
    expect(s.pid).not.toBe(firstPid);
    expect(s.restarts).toBe(1);
    expect(notices.join("\n")).toMatch(new RegExp(`toy \\(pid ${firstPid}\\) exited with signal SIGKILL; restarting in 50 ms`));
    expect(await (await fetch(`${url}/readyz`)).text()).toBe("ok");
  });

  it("stop() ends the child and its process group (the grandchild too)", async () => {
    const { sup: s, lines } = start();
    await s.ready;
    const pid = s.pid!;
    const grand = Number(/grandchild (\d+)/.exec(lines.join("\n"))![1]);
    expect(alive(grand)).toBe(true);
    await s.stop();
    expect(alive(pid)).toBe(false);
    await expect.poll(() => alive(grand), { timeout: 30_000 }).toBe(false);
  });

  it("a first start that is never ready rejects and leaves no process", async () => {
    const { sup: s, spawned } = start({ readyLine: /^never printed (\S+)/, readyTimeoutMs: 1500 });
    await expect(s.ready).rejects.toThrow(/toy was not ready within 1500 ms/);
    expect(spawned).toHaveLength(1);
    await expect.poll(() => alive(spawned[0]!), { timeout: 30_000 }).toBe(false);
  });
});
