/**
 * Finds a legacy gateway service (`openclaw gateway install`) that already owns the state dir or the
 * port hanzod's service would use. Two supervisors on one state dir corrupt its SQLite files and fight
 * over the port in a restart loop, so `hanzod service install|start` refuses while one exists.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadLegacyConfig } from "../config-file.js";
import { readLaunchAgentPlist } from "./launchd-plist.js";
import { parseSystemdUnit } from "./systemd-unit.js";
import { DEFAULT_GATEWAY_PORT, launchAgentsDir, legacyStateDir, systemdUserUnitDir, type ServiceSettings } from "./settings.js";

export interface LegacyService {
  path: string;
  stateDir: string;
  port: number;
}

export interface LegacyConflict {
  service: LegacyService;
  sameStateDir: boolean;
  samePort: boolean;
}

const LEGACY_UNIT = /^(?:openclaw-gateway(?:-[^/]+)?|clawdbot-gateway)\.service$/;
const LEGACY_AGENT = /^ai\.openclaw\.(?!node\b|ssh-tunnel\b)[^/]+\.plist$/;

/** System-scope unit dirs a system-level legacy gateway could be installed in (docs: gateway runbook). */
export const SYSTEM_UNIT_DIRS = ["/etc/systemd/system"];

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function listMatching(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => pattern.test(n))
      .map((n) => join(dir, n));
  } catch {
    return [];
  }
}

function describe(path: string, args: string[], env: Record<string, string>, home: string): LegacyService {
  const serviceEnv: NodeJS.ProcessEnv = { ...env, HOME: env.HOME ?? home };
  const stateDir = legacyStateDir(serviceEnv, serviceEnv.HOME);
  const portFlag = args.findIndex((a) => a === "--port");
  const fromFlag = portFlag >= 0 ? Number(args[portFlag + 1]) : Number(/^--port=(\d+)$/.exec(args.find((a) => a.startsWith("--port=")) ?? "")?.[1]);
  let port = Number.isInteger(fromFlag) && fromFlag > 0 ? fromFlag : Number(env.OPENCLAW_GATEWAY_PORT);
  if (!Number.isInteger(port) || port <= 0) {
    const config = env.OPENCLAW_CONFIG_PATH ?? join(stateDir, "openclaw.json");
    try {
      port = existsSync(config) ? (loadLegacyConfig(config).port ?? DEFAULT_GATEWAY_PORT) : DEFAULT_GATEWAY_PORT;
    } catch {
      port = DEFAULT_GATEWAY_PORT;
    }
  }
  return { path, stateDir, port };
}

/** Every legacy gateway service definition for this user (and system-wide units on Linux). */
export function findLegacyServices(settings: ServiceSettings, env: NodeJS.ProcessEnv, systemUnitDirs: string[] = SYSTEM_UNIT_DIRS): LegacyService[] {
  if (settings.platform === "linux") {
    const files = [systemdUserUnitDir(env, settings.home), ...systemUnitDirs].flatMap((d) => listMatching(d, LEGACY_UNIT));
    return files.flatMap((f) => {
      try {
        const unit = parseSystemdUnit(readFileSync(f, "utf8"));
        return [describe(f, unit.execStart ?? [], unit.environment, settings.home)];
      } catch {
        return [];
      }
    });
  }
  return listMatching(launchAgentsDir(settings.home), LEGACY_AGENT).flatMap((f) => {
    try {
      const plist = readLaunchAgentPlist(readFileSync(f, "utf8"));
      return [describe(f, plist.programArguments, plist.environment, settings.home)];
    } catch {
      return [];
    }
  });
}

export function legacyConflicts(settings: ServiceSettings, env: NodeJS.ProcessEnv, systemUnitDirs?: string[]): LegacyConflict[] {
  const ours = canonical(settings.stateDir);
  return findLegacyServices(settings, env, systemUnitDirs)
    .map((service) => ({ service, sameStateDir: canonical(service.stateDir) === ours, samePort: service.port === settings.port }))
    .filter((c) => c.sameStateDir || c.samePort);
}

export function describeConflict(c: LegacyConflict): string {
  const what = [c.sameStateDir ? `state dir ${c.service.stateDir}` : "", c.samePort ? `port ${c.service.port}` : ""].filter(Boolean).join(" and ");
  return `a legacy gateway service already owns ${what}: ${c.service.path}`;
}
