/**
 * Programmatic entry: `startHanzod(opts)` -> a listening hanzod; `close()` sends `shutdown`, closes 1012,
 * stops. A `gateway.restart.request` replaces the running incarnation: `shutdown {reason:"gateway
 * restarting", restartExpectedMs:1500}`, close 1012, then either a fresh runtime on the same port
 * (`restartMode: "in-process"`, the default) or `onRestartExit` (`"exit"`: the CLI exits 0 for its
 * supervisor to start it again).
 */
import { createLogger } from "./core/logger.js";
import { createRuntime } from "./core/runtime.js";
import { listen, type RunningServer } from "./core/server.js";
import { RESTART_EXPECTED_MS, RESTART_REASON } from "./core/lifecycle/restart.js";
import { restartSignalFor } from "./core/compat.js";
import type { HanzodOptions } from "./options.js";
import { isLegacyStateDir, openLegacyState } from "./state/legacy-state.js";
import { ConfigError } from "./config-error.js";

export type { HanzodOptions, HanzodAuthOptions, AuthMode, TrustedProxyAuthOptions } from "./options.js";
export type { PipelineHook, Call } from "./core/pipeline.js";
export { loadLegacyConfig, type LegacyGatewayConfig } from "./config-file.js";
export { LegacyStateError, type LegacyState } from "./state/legacy-state.js";

export interface HanzodHandle {
  url: string;
  httpUrl: string;
  port: number;
  /** Broadcast `shutdown`, close every socket with 1012 "service restart", stop listening. */
  close(reason?: string): Promise<void>;
  /**
   * What SIGTERM does to the process that owns exit (the CLI; `ownsProcessExit`): a stop, unless a held
   * suspension's `gateway.suspend.handoff` is armed, which makes it a planned restart (the legacy's
   * "external-restart": `shutdown {reason:"gateway restarting", restartExpectedMs:1500}`). Either way
   * every socket closes 1012 and the host exits after; a supervisor starts the process again.
   */
  terminate(): Promise<void>;
  /** Ask for a restart as `gateway.restart.request` / the restart signal do; false if one is already under way. */
  restart(reason?: string): boolean;
  /** The OS signal that restarts this hanzod (the CLI listens for it): its compat release's, SIGUSR2 from 2026.9.6. */
  restartSignal: "SIGUSR1" | "SIGUSR2";
  /** Resolves after the next in-process restart is listening again (tests, supervisors in-process). */
  nextBoot(): Promise<void>;
}

export interface StartHanzodOptions extends HanzodOptions {
  /** Internal: the CLI also logs to stderr. */
  logToStderr?: boolean;
  /** restartMode "exit": called once the old incarnation has closed (the CLI exits 0 here). */
  onRestartExit?: (reason: string) => void;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function validate(opts: HanzodOptions): void {
  // Every refusal here is a configuration the operator must fix: ConfigError makes the CLI exit 78.
  const a = opts.auth;
  if (a.mode === "token" && !a.token) throw new ConfigError("hanzod: auth mode is token, but no token was configured (--token or gateway.auth.token)");
  if (a.mode === "password" && !a.password) throw new ConfigError("hanzod: auth mode is password, but no password was configured");
  if (a.mode === "trusted-proxy") {
    if (!a.trustedProxy?.userHeader?.trim()) throw new ConfigError("hanzod: auth mode is trusted-proxy, but trustedProxy.userHeader is empty (set gateway.auth.trustedProxy.userHeader)");
    if (a.token) throw new ConfigError("hanzod: auth mode is trusted-proxy, but a shared token is also configured; trusted-proxy and token auth are mutually exclusive");
  }
  if (!opts.stateDir) throw new ConfigError("hanzod: stateDir is required");
  // The legacy's rule: only a loopback listener may run without a shared secret or an identity proxy.
  const host = opts.host ?? "127.0.0.1";
  if (a.mode === "none" && !isLoopbackHost(host)) {
    throw new ConfigError(`refusing to bind gateway to ${host}:${opts.port} without auth (set gateway.auth.token/password, or set OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD)`);
  }
}

export async function startHanzod(opts: StartHanzodOptions): Promise<HanzodHandle> {
  validate(opts);
  // A legacy state dir is checked before anything listens: an unsupported or corrupt database refuses the start.
  const legacy = isLegacyStateDir(opts.stateDir) ? openLegacyState(opts.stateDir) : undefined;
  const log = createLogger(opts.logger, opts.stateDir, opts.logToStderr === true);
  let closing = false;
  let bootWaiters: (() => void)[] = [];

  const boot = async (port: number): Promise<{ server: RunningServer; runtime: ReturnType<typeof createRuntime> }> => {
    const runtime = createRuntime({ ...opts, port }, log, legacy, { performRestart: (reason) => replace(reason) });
    const server = await listen(runtime);
    return { server, runtime };
  };
  let current = await boot(opts.port);
  const port = current.server.port;
  let replacing: Promise<void> | undefined;

  async function replace(reason: string): Promise<void> {
    if (closing) return;
    const old = current;
    log?.info({ reason, mode: opts.restartMode ?? "in-process" }, "hanzod restarting");
    replacing = (async () => {
      await old.server.shutdown(RESTART_REASON, RESTART_EXPECTED_MS);
      if (closing) return;
      if (opts.restartMode === "exit") {
        opts.onRestartExit?.(reason);
        return;
      }
      current = await boot(port);
      log?.info({ port, bootId: current.runtime.bootId }, "hanzod restarted in-process");
      const waiters = bootWaiters;
      bootWaiters = [];
      for (const w of waiters) w();
    })();
    await replacing;
  }

  const host = opts.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  log?.info({ port, host, authMode: opts.auth.mode }, "hanzod listening");
  if (legacy) log?.info({ stateDir: legacy.stateDir, stateSchema: legacy.state.userVersion, releases: legacy.state.releases, agents: legacy.agents.map((a) => a.agentId ?? a.file) }, "on the legacy's state");
  return {
    url: `ws://${urlHost}:${port}`,
    httpUrl: `http://${urlHost}:${port}`,
    port,
    async close(reason = "gateway stopping") {
      closing = true;
      await replacing;
      await current.server.shutdown(reason);
    },
    async terminate() {
      const handoff = current.runtime.suspension.takeHandoff(!current.runtime.restart.isPending && !closing);
      if (!handoff.ok) log?.warn({ error: handoff.error }, "external restart handoff refused");
      closing = true;
      await replacing;
      if (handoff.ok && handoff.value) await current.server.shutdown(RESTART_REASON, RESTART_EXPECTED_MS);
      else await current.server.shutdown("gateway stopping");
    },
    restart: (reason = "gateway.restart.safe") => current.runtime.restart.begin(reason, false),
    restartSignal: restartSignalFor(current.runtime.version),
    nextBoot: () => new Promise<void>((resolve) => bootWaiters.push(resolve)),
  };
}
