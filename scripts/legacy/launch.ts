/**
 * Starts a real legacy gateway (`openclaw gateway run`) with HOME and state in a throwaway folder,
 * waits until `GET /readyz` answers 200, and stops it by PID.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLegacyInstalled, legacyEnv, type LegacyInstall, type ProgressLog } from "./install.js";
import { freePort } from "./free-port.js";
import { stopProcessGroup } from "./process.js";
import { DEFAULT_LEGACY_VERSION } from "./paths.js";
import { waitForSettledGateway } from "./settle.js";
import { isCloudCredentialVar, modelProviderConfig, type LegacyModelProvider } from "./model-config.js";
import { isRecord } from "../../protocol/index.js";

/**
 * How long a legacy gateway may take to answer /readyz. openclaw 2026.9.6 loads ~6700 modules before it
 * logs a line: 104 s measured on a 2-core machine at load 17. Tests that start a legacy inside a test
 * (not a hook, which gets vitest's hookTimeout) budget at least this much.
 */
export const LEGACY_READY_TIMEOUT_MS = 240_000;

export interface LegacyGatewayOptions {
  port?: number;
  token?: string;
  version?: string;
  /** Merged over the quiet, offline defaults below and written as the gateway's openclaw.json. */
  config?: Record<string, unknown>;
  /**
   * Run agent turns against this OpenAI-compatible server (scripts/model-server): it becomes the only
   * provider and the default model, and provider credentials in this machine's environment are dropped.
   */
  modelServer?: LegacyModelProvider;
  env?: Record<string, string>;
  /**
   * Start the configured channels (the quiet defaults skip them). Point each at a loopback stand-in
   * (scripts/platforms): a channel test never reaches a real platform.
   */
  channels?: boolean;
  readyTimeoutMs?: number;
  log?: ProgressLog;
  /** Called as soon as the gateway process exists (before it is ready), so an owner can clean up after it whatever happens. */
  onSpawned?: (spawned: { pid: number; homeDir: string }) => void;
}

export interface LegacyGateway {
  version: string;
  port: number;
  url: string;
  httpUrl: string;
  token: string;
  pid: number;
  homeDir: string;
  stateDir: string;
  configPath: string;
  logPath: string;
  install: LegacyInstall;
  stop(): Promise<void>;
}

/** Settings that keep the legacy gateway quiet and offline (no mDNS, cron, update checks, catalog refresh). */
export const QUIET_CONFIG = {
  discovery: { mdns: { mode: "off" } },
  cron: { enabled: false },
  update: { checkOnStart: false },
  models: { catalogRefresh: { enabled: false } },
} as const;

export const QUIET_ENV = {
  OPENCLAW_DISABLE_BONJOUR: "1",
  OPENCLAW_SKIP_CHANNELS: "1",
  OPENCLAW_SKIP_CRON: "1",
  OPENCLAW_NO_RESPAWN: "1",
} as const;

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isRecord(b) && isRecord(v) ? deepMerge(b, v) : v;
  }
  return out;
}

async function waitReady(httpUrl: string, child: { exitCode: number | null }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`legacy gateway exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`legacy gateway not ready after ${timeoutMs} ms`);
}

export async function startLegacyGateway(opts: LegacyGatewayOptions = {}): Promise<LegacyGateway> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[legacy] ${line}\n`));
  const version = opts.version ?? DEFAULT_LEGACY_VERSION;
  const install = await ensureLegacyInstalled(version, log);
  const port = opts.port ?? (await freePort());
  const token = opts.token ?? `legacy-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const homeDir = await mkdtemp(join(tmpdir(), "hanzonode-legacy-"));
  const stateDir = join(homeDir, ".openclaw");
  const configPath = join(stateDir, "openclaw.json");
  const tmp = join(homeDir, "tmp");
  await mkdir(tmp, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  const modelConfig = opts.modelServer ? modelProviderConfig(opts.modelServer) : {};
  await writeFile(configPath, JSON.stringify(deepMerge(deepMerge(QUIET_CONFIG, modelConfig), opts.config ?? {}), null, 2));
  const logPath = join(homeDir, "gateway.log");
  const logStream = createWriteStream(logPath);

  const args = [install.openclawEntry, "gateway", "run", "--allow-unconfigured", "--auth", "token", "--token", token, "--port", String(port), "--bind", "loopback"];
  const { OPENCLAW_SKIP_CHANNELS: _skipChannels, ...quietWithChannels } = QUIET_ENV;
  const env = legacyEnv(install, {
    ...(opts.channels ? quietWithChannels : QUIET_ENV),
    HOME: homeDir,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: configPath,
    TMPDIR: tmp,
    NO_COLOR: "1",
    ...opts.env,
  });
  if (opts.modelServer) for (const k of Object.keys(env)) if (isCloudCredentialVar(k) && !(opts.env && k in opts.env)) delete env[k];
  const started = Date.now();
  // detached: its own process group, so stop() reaches the workers it forks.
  const child = spawn(install.nodeBin, args, { cwd: homeDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(logStream);
  child.stderr.pipe(logStream);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn the legacy gateway");
  opts.onSpawned?.({ pid, homeDir });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopProcessGroup(child);
    logStream.end();
    await rm(homeDir, { recursive: true, force: true }).catch(() => undefined);
  };

  const httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitReady(httpUrl, child, opts.readyTimeoutMs ?? LEGACY_READY_TIMEOUT_MS);
    // /readyz turns 200 about a second before startup-dependent state (update schedule, plugin cron
    // jobs) exists; a gateway handed out earlier gives answers no later run reproduces.
    await waitForSettledGateway(`ws://127.0.0.1:${port}`, token);
  } catch (err) {
    // The log dies with the temp HOME: keep its tail in the error, the only trace of why it failed.
    const tail = (await readFile(logPath, "utf8").catch(() => "")).split("\n").slice(-25).join("\n");
    await stop();
    if (err instanceof Error && tail.trim()) err.message += `\n--- last lines of the openclaw@${version} log ---\n${tail.replaceAll(token, "<redacted:gateway-token>")}`;
    throw err;
  }
  log(`openclaw@${version} ready on ws://127.0.0.1:${port} (pid ${pid}, ${Date.now() - started} ms)`);
  return { version, port, url: `ws://127.0.0.1:${port}`, httpUrl, token, pid, homeDir, stateDir, configPath, logPath, install, stop };
}
