/** Programmatic entry: `startHanzod(opts)` -> a listening hanzod; `close()` sends `shutdown`, closes 1012, stops. */
import { createLogger } from "./logger.js";
import { createRuntime } from "./runtime.js";
import { listen } from "./server.js";
import { testInjectFromEnv } from "./test-inject.js";
import type { HanzodOptions } from "./options.js";

export type { HanzodOptions, HanzodAuthOptions, AuthMode, TrustedProxyAuthOptions, TestInject } from "./options.js";
export { loadLegacyConfig, type LegacyGatewayConfig } from "./config-file.js";

export interface HanzodHandle {
  url: string;
  httpUrl: string;
  port: number;
  /** Broadcast `shutdown`, close every socket with 1012 "service restart", stop listening. */
  close(reason?: string): Promise<void>;
}

export interface StartHanzodOptions extends HanzodOptions {
  /** Internal: the CLI also logs to stderr. */
  logToStderr?: boolean;
}

function validate(opts: HanzodOptions): void {
  const a = opts.auth;
  if (a.mode === "token" && !a.token) throw new Error("hanzod: auth mode is token, but no token was configured (--token or gateway.auth.token)");
  if (a.mode === "password" && !a.password) throw new Error("hanzod: auth mode is password, but no password was configured");
  if (a.mode === "trusted-proxy") {
    if (!a.trustedProxy?.userHeader?.trim()) throw new Error("hanzod: auth mode is trusted-proxy, but trustedProxy.userHeader is empty (set gateway.auth.trustedProxy.userHeader)");
    if (a.token) throw new Error("hanzod: auth mode is trusted-proxy, but a shared token is also configured; trusted-proxy and token auth are mutually exclusive");
  }
  if (!opts.stateDir) throw new Error("hanzod: stateDir is required");
}

export async function startHanzod(opts: StartHanzodOptions): Promise<HanzodHandle> {
  validate(opts);
  const log = createLogger(opts.logger, opts.stateDir, opts.logToStderr === true);
  const runtime = createRuntime(opts, log, opts.testInject ?? testInjectFromEnv(process.env));
  const server = await listen(runtime);
  const host = opts.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  log?.info({ port: server.port, host, authMode: opts.auth.mode }, "hanzod listening");
  return {
    url: `ws://${urlHost}:${server.port}`,
    httpUrl: `http://${urlHost}:${server.port}`,
    port: server.port,
    close: (reason = "gateway stopping") => server.shutdown(reason),
  };
}
