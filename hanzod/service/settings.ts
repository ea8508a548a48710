/**
 * Where the hanzod service lives and what it runs: the legacy's state dir and config (hanzod works on
 * the legacy's own state), the port resolved the legacy's way (flag, OPENCLAW_GATEWAY_PORT,
 * gateway.port, 18789) and recorded in the unit, and the absolute node + bin/hanzod.js command line.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadLegacyConfig } from "../config-file.js";
import { DAEMON_ENV } from "./daemon-env.js";

export type ServicePlatform = "linux" | "darwin";

export const SYSTEMD_UNIT_NAME = "hanzod.service";
export const LAUNCH_AGENT_LABEL = "ai.hanzo.hanzod";
export const DEFAULT_GATEWAY_PORT = 18789;

export interface ServiceOptions {
  stateDir?: string;
  config?: string;
  port?: number;
  platform?: ServicePlatform;
}

export interface ServiceSettings {
  platform: ServicePlatform;
  home: string;
  stateDir: string;
  configPath?: string;
  port: number;
  /** The unit (Linux) or plist (macOS) this install writes. */
  definitionPath: string;
  programArguments: string[];
  environment: Record<string, string>;
  /** launchd's stdout/stderr files (systemd logs to the journal). */
  stdoutPath: string;
  stderrPath: string;
}

/** The checkout or package root: the directory holding bin/hanzod.js (from src via tsx or from dist/). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "bin", "hanzod.js")) && existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find bin/hanzod.js above ${from}`);
  }
}

export function currentPlatform(): ServicePlatform | undefined {
  return process.platform === "linux" || process.platform === "darwin" ? process.platform : undefined;
}

export function homeFrom(env: NodeJS.ProcessEnv): string {
  return env.HOME?.trim() || homedir();
}

/** The legacy's state dir rule: OPENCLAW_STATE_DIR, else ~/.openclaw (~/.openclaw-<profile> for a profile). */
export function legacyStateDir(env: NodeJS.ProcessEnv, home: string = homeFrom(env)): string {
  if (env.OPENCLAW_STATE_DIR?.trim()) return resolve(env.OPENCLAW_STATE_DIR.trim());
  const profile = env.OPENCLAW_PROFILE?.trim();
  return join(home, profile && profile.toLowerCase() !== "default" ? `.openclaw-${profile}` : ".openclaw");
}

export function systemdUserUnitDir(env: NodeJS.ProcessEnv, home: string = homeFrom(env)): string {
  return join(env.XDG_CONFIG_HOME?.trim() || join(home, ".config"), "systemd", "user");
}

export function launchAgentsDir(home: string): string {
  return join(home, "Library", "LaunchAgents");
}

export function resolveServiceSettings(opts: ServiceOptions, env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const platform = opts.platform ?? currentPlatform();
  if (!platform) throw new Error(`hanzod service supports Linux (systemd) and macOS (launchd), not ${process.platform}`);
  const home = homeFrom(env);
  const stateDir = opts.stateDir ? resolve(opts.stateDir) : legacyStateDir(env, home);
  const candidate = opts.config ?? (env.OPENCLAW_CONFIG_PATH?.trim() || join(stateDir, "openclaw.json"));
  const configPath = opts.config || existsSync(candidate) ? resolve(candidate) : undefined;
  // Read now so a broken config is refused at install, not discovered as exit 78 in the journal later.
  const file = configPath ? loadLegacyConfig(configPath) : undefined;
  const envPort = env.OPENCLAW_GATEWAY_PORT?.trim() ? Number(env.OPENCLAW_GATEWAY_PORT) : undefined;
  const port = opts.port ?? envPort ?? file?.port ?? DEFAULT_GATEWAY_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${String(port)}: a service needs a fixed port between 1 and 65535`);
  const programArguments = [process.execPath, join(packageRoot(), "bin", "hanzod.js"), "--state-dir", stateDir, "--port", String(port), ...(configPath ? ["--config", configPath] : []), "--restart-mode", "exit"];
  const environment: Record<string, string> = {
    HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    ...(configPath ? { OPENCLAW_CONFIG_PATH: configPath } : {}),
    HANZOD_SUPERVISED: platform === "linux" ? SYSTEMD_UNIT_NAME : LAUNCH_AGENT_LABEL,
    ...DAEMON_ENV,
  };
  const definitionPath = platform === "linux" ? join(systemdUserUnitDir(env, home), SYSTEMD_UNIT_NAME) : join(launchAgentsDir(home), `${LAUNCH_AGENT_LABEL}.plist`);
  return {
    platform,
    home,
    stateDir,
    ...(configPath ? { configPath } : {}),
    port,
    definitionPath,
    programArguments,
    environment,
    stdoutPath: join(stateDir, "logs", "hanzod-service.out.log"),
    stderrPath: join(stateDir, "logs", "hanzod-service.err.log"),
  };
}
