/**
 * `hanzod service install | uninstall | start | stop | status | logs` on systemd (Linux, user unit) and
 * launchd (macOS, LaunchAgent). Each returns the process exit code and says what it did or what the
 * platform needs; nothing here touches a legacy service, it only refuses to run beside one.
 */
import { createConnection } from "node:net";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { renderSystemdUnit } from "./systemd-unit.js";
import { renderLaunchAgentPlist } from "./launchd-plist.js";
import { currentPlatform, LAUNCH_AGENT_LABEL, SYSTEMD_UNIT_NAME, type ServiceSettings } from "./settings.js";
import { describeConflict, legacyConflicts } from "./legacy-owner.js";
import { managerHint, Systemctl, type Say } from "./systemd.js";
import { toolText, type RunTool, type ToolResult } from "./exec.js";
import { logFilePath } from "../core/logger.js";

export interface ServiceContext {
  settings: ServiceSettings;
  env: NodeJS.ProcessEnv;
  run: RunTool;
  say: Say;
  /** Overrides the system unit dirs scanned for a legacy gateway (tests). */
  systemUnitDirs?: string[];
}

export function renderDefinition(s: ServiceSettings): string {
  if (s.platform === "linux") {
    return renderSystemdUnit({ description: `hanzod gateway (state ${s.stateDir}, port ${s.port})`, programArguments: s.programArguments, environment: s.environment, workingDirectory: s.stateDir });
  }
  return renderLaunchAgentPlist({
    label: LAUNCH_AGENT_LABEL,
    comment: `hanzod gateway (state ${s.stateDir}, port ${s.port})`,
    programArguments: s.programArguments,
    environment: s.environment,
    workingDirectory: s.stateDir,
    stdoutPath: s.stdoutPath,
    stderrPath: s.stderrPath,
  });
}

function refuseBesideLegacy(ctx: ServiceContext, action: string): boolean {
  const conflicts = legacyConflicts(ctx.settings, ctx.env, ctx.systemUnitDirs);
  if (conflicts.length === 0) return false;
  for (const c of conflicts) ctx.say.err(`hanzod service ${action}: refused: ${describeConflict(c)}`);
  ctx.say.err(
    ctx.settings.platform === "linux"
      ? "Stop and remove the legacy service first (openclaw gateway uninstall), or give hanzod another --state-dir and --port."
      : "Remove the legacy LaunchAgent first (openclaw gateway uninstall), or give hanzod another --state-dir and --port.",
  );
  return true;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function onThisMachine(ctx: ServiceContext): boolean {
  return ctx.settings.platform === currentPlatform();
}

function isToolResult(v: Record<string, string> | ToolResult): v is ToolResult {
  return typeof (v as ToolResult).code === "number";
}

function uid(): number {
  return typeof process.getuid === "function" ? process.getuid() : 0;
}

export async function install(ctx: ServiceContext, opts: { start: boolean }): Promise<number> {
  const s = ctx.settings;
  if (refuseBesideLegacy(ctx, "install")) return 1;
  const existing = existsSync(s.definitionPath) ? readFileSync(s.definitionPath, "utf8") : undefined;
  if (!existing && (await portInUse(s.port))) {
    ctx.say.err(`hanzod service install: refused: port ${s.port} is already in use on 127.0.0.1 (another gateway?); stop it or pass --port`);
    return 1;
  }
  const text = renderDefinition(s);
  mkdirSync(dirname(s.definitionPath), { recursive: true });
  mkdirSync(dirname(s.stdoutPath), { recursive: true });
  if (existing !== undefined && existing !== text) copyFileSync(s.definitionPath, `${s.definitionPath}.bak`);
  writeFileSync(s.definitionPath, text, { mode: 0o644 });
  chmodSync(s.definitionPath, 0o644);
  ctx.say.out(`Installed ${s.platform === "linux" ? "systemd user unit" : "LaunchAgent"}: ${s.definitionPath}`);
  ctx.say.out(`  state dir ${s.stateDir}, config ${s.configPath ?? "(none: flags only)"}, port ${s.port}`);
  if (!onThisMachine(ctx)) {
    ctx.say.out(`  written only: this machine is ${process.platform}, the definition is for ${s.platform}`);
    return 0;
  }
  if (s.platform === "linux") {
    const sc = new Systemctl(ctx.run, ctx.env, ctx.say);
    const linger = await sc.lingeringAdvice();
    if (linger) ctx.say.out(linger);
    if (!opts.start) {
      ctx.say.out(`Not started (--no-start). Start it with: hanzod service start (systemctl --user enable --now ${SYSTEMD_UNIT_NAME})`);
      return 0;
    }
    if (!(await sc.user(["daemon-reload"], "reload the user manager"))) return 1;
    if (!(await sc.user(["enable", SYSTEMD_UNIT_NAME], "enable the unit"))) return 1;
    if (!(await sc.user(["restart", SYSTEMD_UNIT_NAME], "start the unit"))) return 1;
    ctx.say.out(`Started ${SYSTEMD_UNIT_NAME}; ws://127.0.0.1:${s.port}`);
    return 0;
  }
  if (!opts.start) {
    ctx.say.out(`Not started (--no-start). Start it with: hanzod service start`);
    return 0;
  }
  return launchdStart(ctx);
}

async function launchdStart(ctx: ServiceContext): Promise<number> {
  const domain = `gui/${uid()}`;
  await ctx.run("launchctl", ["enable", `${domain}/${LAUNCH_AGENT_LABEL}`]);
  const boot = await ctx.run("launchctl", ["bootstrap", domain, ctx.settings.definitionPath]);
  // 5 / 37: already bootstrapped; kickstart restarts it either way.
  if (boot.code !== 0 && !/already|in progress|service already loaded/i.test(boot.stderr) && boot.code !== 5 && boot.code !== 37) {
    ctx.say.err(`hanzod service: launchctl bootstrap ${domain} failed (${boot.code}): ${toolText(boot)}. A LaunchAgent needs a logged-in GUI session for ${domain}.`);
    return 1;
  }
  const kick = await ctx.run("launchctl", ["kickstart", "-k", `${domain}/${LAUNCH_AGENT_LABEL}`]);
  if (kick.code !== 0) {
    ctx.say.err(`hanzod service: launchctl kickstart failed (${kick.code}): ${toolText(kick)}`);
    return 1;
  }
  ctx.say.out(`Started ${LAUNCH_AGENT_LABEL}; ws://127.0.0.1:${ctx.settings.port}`);
  return 0;
}

export async function uninstall(ctx: ServiceContext): Promise<number> {
  const s = ctx.settings;
  if (onThisMachine(ctx)) {
    if (s.platform === "linux") {
      const r = await ctx.run("systemctl", ["--user", "disable", "--now", SYSTEMD_UNIT_NAME]);
      if (r.code !== 0) ctx.say.err(`note: could not stop/disable ${SYSTEMD_UNIT_NAME} through the user manager (${toolText(r)}); removing the unit file anyway`);
    } else {
      await ctx.run("launchctl", ["bootout", `gui/${uid()}/${LAUNCH_AGENT_LABEL}`]);
    }
  }
  if (!existsSync(s.definitionPath)) {
    ctx.say.out(`No hanzod service installed at ${s.definitionPath}`);
    return 0;
  }
  unlinkSync(s.definitionPath);
  if (existsSync(`${s.definitionPath}.bak`)) unlinkSync(`${s.definitionPath}.bak`);
  if (onThisMachine(ctx) && s.platform === "linux") await ctx.run("systemctl", ["--user", "daemon-reload"]);
  ctx.say.out(`Removed ${s.definitionPath} (state dir ${s.stateDir} kept)`);
  return 0;
}

function requireInstalled(ctx: ServiceContext, action: string): boolean {
  if (existsSync(ctx.settings.definitionPath)) return true;
  ctx.say.err(`hanzod service ${action}: not installed (${ctx.settings.definitionPath} does not exist); run hanzod service install`);
  return false;
}

export async function start(ctx: ServiceContext): Promise<number> {
  if (!requireInstalled(ctx, "start") || refuseBesideLegacy(ctx, "start")) return 1;
  if (ctx.settings.platform === "darwin") return launchdStart(ctx);
  const sc = new Systemctl(ctx.run, ctx.env, ctx.say);
  // A unit stopped by exit 78 or the start limit stays failed until reset.
  await ctx.run("systemctl", ["--user", "reset-failed", SYSTEMD_UNIT_NAME]);
  if (!(await sc.user(["start", SYSTEMD_UNIT_NAME], "start the unit"))) return 1;
  ctx.say.out(`Started ${SYSTEMD_UNIT_NAME}; ws://127.0.0.1:${ctx.settings.port}`);
  return 0;
}

export async function stop(ctx: ServiceContext): Promise<number> {
  if (!requireInstalled(ctx, "stop")) return 1;
  if (ctx.settings.platform === "darwin") {
    const r = await ctx.run("launchctl", ["bootout", `gui/${uid()}/${LAUNCH_AGENT_LABEL}`]);
    if (r.code !== 0 && !/No such process|not find/i.test(r.stderr)) {
      ctx.say.err(`hanzod service stop: launchctl bootout failed (${r.code}): ${toolText(r)}`);
      return 1;
    }
    ctx.say.out(`Stopped ${LAUNCH_AGENT_LABEL} (KeepAlive resumes on the next hanzod service start or login)`);
    return 0;
  }
  const sc = new Systemctl(ctx.run, ctx.env, ctx.say);
  if (!(await sc.user(["stop", SYSTEMD_UNIT_NAME], "stop the unit"))) return 1;
  ctx.say.out(`Stopped ${SYSTEMD_UNIT_NAME}`);
  return 0;
}

export async function status(ctx: ServiceContext): Promise<number> {
  const s = ctx.settings;
  const installed = existsSync(s.definitionPath);
  ctx.say.out(`Service: ${installed ? "installed" : "not installed"} (${s.definitionPath})`);
  ctx.say.out(`State dir: ${s.stateDir}; config: ${s.configPath ?? "(none)"}; port: ${s.port}`);
  for (const c of legacyConflicts(s, ctx.env, ctx.systemUnitDirs)) ctx.say.out(`Warning: ${describeConflict(c)}`);
  if (installed && onThisMachine(ctx)) {
    if (s.platform === "linux") {
      const sc = new Systemctl(ctx.run, ctx.env, ctx.say);
      const props = await sc.show();
      if (isToolResult(props)) ctx.say.out(`Runtime: unknown: ${managerHint(props, ctx.env)}`);
      else {
        const p = props;
        ctx.say.out(`Runtime: ${p.ActiveState ?? "?"} (${p.SubState ?? "?"}), pid ${p.MainPID ?? "?"}, restarts ${p.NRestarts ?? "?"}, enabled ${p.UnitFileState ?? "?"}`);
        if (p.ExecMainStatus === "78") ctx.say.out(`Last exit 78: a configuration error; systemd will not restart it. Fix ${s.configPath ?? "the flags"} (see hanzod service logs), then hanzod service start`);
      }
      const linger = await sc.lingeringAdvice();
      if (linger) ctx.say.out(linger);
    } else {
      const r = await ctx.run("launchctl", ["print", `gui/${uid()}/${LAUNCH_AGENT_LABEL}`]);
      if (r.code !== 0) ctx.say.out(`Runtime: not loaded (${toolText(r)})`);
      else {
        const state = /\bstate = (\S+)/.exec(r.stdout)?.[1] ?? "?";
        const pid = /\bpid = (\d+)/.exec(r.stdout)?.[1] ?? "-";
        const last = /last exit code = (\d+)/.exec(r.stdout)?.[1];
        ctx.say.out(`Runtime: ${state}, pid ${pid}${last ? `, last exit ${last}` : ""}`);
        if (last === "78") ctx.say.out(`Last exit 78: a configuration error; launchd retries it every 10 s until ${s.configPath ?? "the flags"} is fixed`);
      }
    }
  }
  const listening = await portInUse(s.port);
  ctx.say.out(`Port ${s.port} on 127.0.0.1: ${listening ? "listening" : "not listening"}`);
  return installed ? 0 : 3;
}

export async function logs(ctx: ServiceContext, opts: { lines: number }): Promise<number> {
  const s = ctx.settings;
  if (s.platform === "linux" && onThisMachine(ctx)) {
    const r = await ctx.run("journalctl", ["--user", "-u", SYSTEMD_UNIT_NAME, "-n", String(opts.lines), "--no-pager", "-o", "short-iso"]);
    if (r.code === 0 && r.stdout.trim() && !/^-- No entries --$/m.test(r.stdout)) {
      ctx.say.out(r.stdout.trimEnd());
      return 0;
    }
    ctx.say.err(`(journal: ${toolText(r) || "no entries"}; showing hanzod's own log file)`);
  }
  const files = s.platform === "darwin" ? [s.stderrPath, s.stdoutPath, logFilePath(s.stateDir)] : [logFilePath(s.stateDir)];
  let shown = 0;
  for (const f of files) {
    if (!existsSync(f)) continue;
    const lines = readFileSync(f, "utf8").trimEnd().split("\n");
    ctx.say.out(`==> ${f} <==`);
    ctx.say.out(lines.slice(-opts.lines).join("\n"));
    shown++;
  }
  if (shown === 0) {
    ctx.say.err(`hanzod service logs: nothing logged yet (${files.join(", ")})`);
    return 1;
  }
  return 0;
}
