/**
 * `hanzod service`: the unit and the LaunchAgent it writes pass the platform's own validator
 * (systemd-analyze verify; a strict plist parse), and the command line they hold starts a working
 * hanzod (spawned exactly as written, health answered, stopped by PID); a configuration error exits 78;
 * a legacy service on the same state dir or port is refused. Everything runs in a throwaway HOME with
 * no XDG_RUNTIME_DIR bus, so the real user's systemd is never reached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectRaw } from "../../../protocol/index.js";
import { freePort } from "../../../scripts/legacy/free-port.js";
import { parseSystemdUnit } from "../systemd-unit.js";
import { packageRoot } from "../settings.js";

const ROOT = packageRoot();
const BIN = join(ROOT, "bin", "hanzod.js");
const TOKEN = "service-test-token";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function hanzod(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let root: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "hanzod", "service", "cli.js"))) throw new Error("dist/ lacks hanzod/service: run `npm run build` (npm ci does)");
  root = mkdtempSync(join(tmpdir(), "hanzod-service-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A throwaway user: HOME with a legacy-style ~/.openclaw/openclaw.json, no systemd user bus. */
function user(name: string, port: number, gateway: Record<string, unknown> = { port, auth: { mode: "token", token: TOKEN } }): { home: string; stateDir: string; env: NodeJS.ProcessEnv } {
  const home = join(root, name);
  const stateDir = join(home, ".openclaw");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, "openclaw.json"), `// legacy config (comments and trailing commas, as the legacy writes it)\n{ "gateway": ${JSON.stringify(gateway)}, }\n`);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, USER: "hanzod-test", HANZOD_SERVICE_SYSTEM_UNIT_DIRS: "" };
  return { home, stateDir, env };
}

async function waitListening(port: number, child: ChildProcess, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hanzod exited ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once("error", () => r(true));
      s.listen(port, "127.0.0.1", () => s.close(() => r(false)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
}

/** Spawns argv with the environment a supervisor gives it, as the unit/plist says; returns the child. */
function spawnAsSupervised(argv: string[], environment: Record<string, string>, cwd: string | undefined, marker: Record<string, string>): ChildProcess {
  const [cmd, ...args] = argv;
  return spawn(cmd!, args, { cwd, env: { PATH: process.env.PATH, ...environment, ...marker, HANZOD_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
}

async function healthThrough(port: number): Promise<{ ok: unknown; version: unknown }> {
  const { socket, hello } = await connectRaw(`ws://127.0.0.1:${port}`, { token: TOKEN });
  try {
    const res = await socket.request("health");
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    return { ok: (res.payload as { ok?: unknown }).ok, version: (hello.payload as { server?: { version?: unknown } }).server?.version };
  } finally {
    await socket.close();
  }
}

function unitDir(home: string): string {
  return join(home, ".config", "systemd", "user");
}

describe("hanzod service on Linux (systemd user unit)", () => {
  it("writes a unit that systemd-analyze verify accepts, with the legacy's restart policy", async (ctx) => {
    const port = await freePort();
    const u = user("verify", port);
    const run = await hanzod(["service", "install", "--no-start"], u.env);
    expect(run.code, run.stderr).toBe(0);
    const unitPath = join(unitDir(u.home), "hanzod.service");
    expect(run.stdout).toContain(unitPath);
    const text = readFileSync(unitPath, "utf8");
    for (const line of ["Restart=always", "RestartPreventExitStatus=78", "SuccessExitStatus=0 143", "KillMode=control-group", "WantedBy=default.target"]) expect(text).toContain(`${line}\n`);
    expect(text).toContain(`--state-dir ${u.stateDir}`);
    expect(text).toContain(`--port ${port}`);
    expect(text).not.toContain(TOKEN); // the secret stays in the config file

    if (spawnSync("systemd-analyze", ["--version"]).error) return ctx.skip("systemd-analyze is not installed (apt-get install systemd)");
    // verify runs its own manager in test mode; a throwaway runtime dir keeps it off any real session.
    const runtime = mkdtempSync(join(root, "xdg-runtime-"));
    const verify = (path: string) => spawnSync("systemd-analyze", ["verify", "--user", path], { env: { PATH: process.env.PATH, HOME: u.home, XDG_RUNTIME_DIR: runtime }, encoding: "utf8" });
    const good = verify(unitPath);
    expect(good.status, good.stderr).toBe(0);
    expect(`${good.stdout}${good.stderr}`.trim()).toBe("");
    // The validator is live: the same unit with one bad directive is reported.
    const broken = join(root, "broken-hanzod.service");
    writeFileSync(broken, text.replace("Restart=always", "Restart=sometimes"));
    expect(`${verify(broken).stdout}${verify(broken).stderr}`).toMatch(/Restart|restart specifier/);
  }, 90_000);

  it("its ExecStart, run as written with its Environment=, starts a hanzod that answers health; SIGTERM ends it as a success", async () => {
    const port = await freePort();
    const u = user("execstart", port);
    expect((await hanzod(["service", "install", "--no-start"], u.env)).code).toBe(0);
    const unit = parseSystemdUnit(readFileSync(join(unitDir(u.home), "hanzod.service"), "utf8"));
    const wd = /^WorkingDirectory=(.*)$/m.exec(readFileSync(join(unitDir(u.home), "hanzod.service"), "utf8"))?.[1];
    expect(unit.execStart?.[0]).toBe(process.execPath);
    const child = spawnAsSupervised(unit.execStart!, unit.environment, wd, { INVOCATION_ID: "0123456789abcdef" });
    try {
      await waitListening(port, child);
      const h = await healthThrough(port);
      expect(h.ok).toBe(true);
      expect(typeof h.version).toBe("string");
      expect(existsSync(join(u.stateDir, "logs", "hanzod.log"))).toBe(true); // on the legacy's state dir
    } finally {
      child.kill("SIGTERM");
    }
    const end = await exited(child);
    expect([0, 143]).toContain(end.code ?? 143); // SuccessExitStatus=0 143
  }, 90_000);

  it("a configuration error makes that command line exit 78 (RestartPreventExitStatus), and install refuses a broken config", async () => {
    const port = await freePort();
    const u = user("exit78", port);
    expect((await hanzod(["service", "install", "--no-start"], u.env)).code).toBe(0);
    const unit = parseSystemdUnit(readFileSync(join(unitDir(u.home), "hanzod.service"), "utf8"));
    // The token removed after install: hanzod cannot start until the config is fixed.
    writeFileSync(join(u.stateDir, "openclaw.json"), JSON.stringify({ gateway: { port, auth: { mode: "token" } } }));
    const child = spawnAsSupervised(unit.execStart!, unit.environment, undefined, { INVOCATION_ID: "x" });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    expect((await exited(child)).code).toBe(78);
    expect(stderr).toMatch(/no token was configured/);
    // Unparseable config: also 78, and install says why instead of writing a unit that cannot start.
    writeFileSync(join(u.stateDir, "openclaw.json"), "{ gateway: { port: ");
    const again = spawnAsSupervised(unit.execStart!, unit.environment, undefined, { INVOCATION_ID: "x" });
    expect((await exited(again)).code).toBe(78);
    const refused = await hanzod(["service", "install", "--no-start", "--port", String(port)], u.env);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toMatch(/cannot be parsed/);
    // An unknown flag in a hand-edited ExecStart is a configuration error too.
    const flag = spawnAsSupervised([...unit.execStart!, "--no-such-flag"], unit.environment, undefined, {});
    expect((await exited(flag)).code).toBe(78);
    // So is a --compat release outside hanzod's window, with a config that is otherwise fine.
    writeFileSync(join(u.stateDir, "openclaw.json"), JSON.stringify({ gateway: { port, auth: { mode: "token", token: "compat-test-token-0123456789" } } }));
    const compat = spawnAsSupervised([...unit.execStart!, "--compat", "2026.8.2"], unit.environment, undefined, {});
    let compatErr = "";
    compat.stderr!.on("data", (c: Buffer) => (compatErr += c.toString()));
    expect((await exited(compat)).code).toBe(78);
    expect(compatErr).toMatch(/--compat 2026\.8\.2: hanzod answers as a frozen release of its window/);
  }, 90_000);

  it("refuses to install beside a legacy gateway unit on the same state dir or the same port, and when the port is taken", async () => {
    const port = await freePort();
    const u = user("legacy", port);
    mkdirSync(unitDir(u.home), { recursive: true });
    const legacyUnit = (stateDir: string, legacyPort: number) =>
      [
        "[Unit]",
        "Description=OpenClaw Gateway",
        "[Service]",
        `ExecStart=/usr/local/bin/openclaw gateway --port ${legacyPort}`,
        "Restart=always",
        "RestartPreventExitStatus=78",
        `Environment=OPENCLAW_STATE_DIR=${stateDir}`,
        `Environment=OPENCLAW_GATEWAY_PORT=${legacyPort}`,
        "[Install]",
        "WantedBy=default.target",
        "",
      ].join("\n");
    const legacyPath = join(unitDir(u.home), "openclaw-gateway.service");

    writeFileSync(legacyPath, legacyUnit(u.stateDir, port + 1));
    let run = await hanzod(["service", "install", "--no-start"], u.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`already owns state dir ${u.stateDir}: ${legacyPath}`);
    expect(existsSync(join(unitDir(u.home), "hanzod.service"))).toBe(false);

    writeFileSync(legacyPath, legacyUnit(join(u.home, "elsewhere"), port));
    run = await hanzod(["service", "install", "--no-start"], u.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`already owns port ${port}`);

    writeFileSync(legacyPath, legacyUnit(join(u.home, "elsewhere"), port + 1));
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(port, "127.0.0.1", r));
    try {
      run = await hanzod(["service", "install", "--no-start"], u.env);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} is already in use`);
    } finally {
      await new Promise((r) => busy.close(r));
    }
    run = await hanzod(["service", "install", "--no-start"], u.env);
    expect(run.code, run.stderr).toBe(0);
  }, 90_000);

  it("start/status/uninstall without a reachable user manager say which step the platform needs", async () => {
    const port = await freePort();
    const u = user("manager", port);
    const notInstalled = await hanzod(["service", "start"], u.env);
    expect(notInstalled.code).toBe(1);
    expect(notInstalled.stderr).toMatch(/not installed .*run hanzod service install/);
    const install = await hanzod(["service", "install"], u.env);
    expect(install.code).toBe(1); // written, but it cannot be started here
    expect(install.stdout).toContain("Installed systemd user unit");
    expect(install.stderr).toMatch(/user manager is not reachable|does not run systemd/);
    expect(`${install.stdout}${install.stderr}`).toMatch(/loginctl enable-linger|XDG_RUNTIME_DIR|systemctl --user|does not run systemd/);
    const status = await hanzod(["service", "status"], u.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Service: installed/);
    expect(status.stdout).toMatch(new RegExp(`Port ${port} on 127.0.0.1: not listening`));
    const gone = await hanzod(["service", "uninstall"], u.env);
    expect(gone.code).toBe(0);
    expect(existsSync(join(unitDir(u.home), "hanzod.service"))).toBe(false);
    expect((await hanzod(["service", "status"], u.env)).stdout).toMatch(/Service: not installed/);
  }, 90_000);
});

describe("hanzod service on macOS (LaunchAgent)", () => {
  it("writes a plist that parses strictly, with KeepAlive, and whose ProgramArguments start a working hanzod", async (ctx) => {
    const port = await freePort();
    const u = user("darwin", port);
    const run = await hanzod(["service", "install", "--no-start", "--platform", "darwin"], u.env);
    expect(run.code, run.stderr).toBe(0);
    const plistPath = join(u.home, "Library", "LaunchAgents", "ai.hanzo.hanzod.plist");
    expect(run.stdout).toContain(plistPath);
    // Python's plistlib is a strict XML plist reader (expat; wrong element types or structure raise).
    const py = spawnSync("python3", ["-c", "import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'), fmt=plistlib.FMT_XML)))", plistPath], { encoding: "utf8" });
    if (py.error) return ctx.skip("python3 is not installed: no strict plist parser on this machine");
    expect(py.status, py.stderr).toBe(0);
    const plist = JSON.parse(py.stdout) as { Label: string; KeepAlive: boolean; RunAtLoad: boolean; ThrottleInterval: number; ProgramArguments: string[]; EnvironmentVariables: Record<string, string>; WorkingDirectory: string; StandardErrorPath: string };
    expect(plist).toMatchObject({ Label: "ai.hanzo.hanzod", KeepAlive: true, RunAtLoad: true, ThrottleInterval: 10 });
    expect(plist.EnvironmentVariables.OPENCLAW_STATE_DIR).toBe(u.stateDir);
    // The parser is live: a truncated copy is refused.
    const bad = join(root, "bad.plist");
    writeFileSync(bad, readFileSync(plistPath, "utf8").replace("</array>", ""));
    expect(spawnSync("python3", ["-c", "import plistlib,sys; plistlib.load(open(sys.argv[1],'rb'))", bad]).status).not.toBe(0);

    const child = spawnAsSupervised(plist.ProgramArguments, plist.EnvironmentVariables, plist.WorkingDirectory, { XPC_SERVICE_NAME: "ai.hanzo.hanzod" });
    try {
      await waitListening(port, child);
      expect((await healthThrough(port)).ok).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    await exited(child);
  }, 90_000);
});
