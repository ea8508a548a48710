/**
 * `hanzod --port P --bind loopback --auth token --token T --state-dir D` (or `--config openclaw.json`).
 * Flags override the config file. SIGTERM/SIGINT: `shutdown` event, close 1012, exit 0 (SIGTERM with an armed
 * `gateway.suspend.handoff`: the shutdown of a planned restart, as the legacy's external restart). The compat
 * release's restart signal (SIGUSR2 from 2026.9.6, SIGUSR1 before: hanzod/core/compat.ts) or
 * `gateway.restart.request`: `shutdown` (restartExpectedMs 1500), close 1012, then a restart in-process,
 * or exit 0 for the supervisor when one is detected (systemd / launchd markers, as the legacy detects
 * them) or `--restart-mode exit` is given; run hanzod under `Restart=always` / `KeepAlive` then.
 * A configuration error (bad flags, unreadable or invalid config, missing secret) exits 78, which the
 * service unit's `RestartPreventExitStatus=78` does not restart. `hanzod service ...` manages the unit.
 */
import { resolve } from "node:path";
import { LegacyStateError, startHanzod } from "./index.js";
import { bindToHost, loadLegacyConfig } from "./config-file.js";
import type { AuthMode, HanzodAuthOptions } from "./options.js";
import { CONFIG_ERROR_EXIT_CODE, isConfigError } from "./config-error.js";
import { parsePlainArgs, parseWithYargs, type CliArgs } from "./cli-args.js";
import { resolveControlUiRoot } from "./control-ui-root.js";

if (process.argv[2] === "service") {
  const { runServiceCli } = await import("./service/cli.js");
  process.exit(await runServiceCli(process.argv.slice(3)));
}

/** The legacy's supervisor markers (infra/supervisor-markers): a respawner will start us again after exit. */
function supervisedByEnv(env: NodeJS.ProcessEnv): boolean {
  const keys = process.platform === "darwin" ? ["OPENCLAW_LAUNCHD_LABEL", "XPC_SERVICE_NAME", "LAUNCH_JOB_LABEL"] : ["OPENCLAW_SYSTEMD_UNIT", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "JOURNAL_STREAM"];
  return keys.some((k) => Boolean(env[k]?.trim())) || Boolean(env.HANZOD_SUPERVISED?.trim());
}

const argv: CliArgs = parsePlainArgs(process.argv.slice(2)) ?? (await parseWithYargs(process.argv.slice(2)));

try {
  const file = argv.config ? loadLegacyConfig(resolve(argv.config)) : undefined;
  const mode: AuthMode = argv.auth ?? file?.auth?.mode ?? "token";
  const auth: HanzodAuthOptions = { mode };
  const token = argv.token ?? file?.auth?.token ?? process.env.OPENCLAW_GATEWAY_TOKEN;
  const password = argv.password ?? file?.auth?.password ?? process.env.OPENCLAW_GATEWAY_PASSWORD;
  if (token && mode !== "trusted-proxy") auth.token = token;
  if (password) auth.password = password;
  const userHeader = argv["user-header"] ?? file?.auth?.trustedProxy?.userHeader;
  if (file?.auth?.trustedProxy || userHeader) auth.trustedProxy = { ...file?.auth?.trustedProxy, userHeader: userHeader ?? "x-forwarded-user" };
  const host = argv.host ?? bindToHost(argv.bind) ?? file?.host ?? "127.0.0.1";
  const controlUiRoot = resolveControlUiRoot(argv["control-ui-root"], process.env);
  const handle = await startHanzod({
    host,
    port: argv.port ?? file?.port ?? 18789,
    auth,
    stateDir: resolve(argv["state-dir"]),
    trustedProxies: argv["trusted-proxy"] ?? file?.trustedProxies ?? [],
    ...(file ? { configPath: file.path } : {}),
    logToStderr: true,
    ...(argv.compat ? { compat: argv.compat } : {}),
    ...(controlUiRoot ? { controlUiRoot } : {}),
    restartMode: argv["restart-mode"] ?? (supervisedByEnv(process.env) ? "exit" : "in-process"),
    turns: argv.turns ?? "off",
    // This process ends on SIGTERM through handle.terminate() below.
    ownsProcessExit: true,
    onRestartExit: () => process.exit(0),
  });
  process.stdout.write(`hanzod listening on ${handle.url}\n`);
  if (controlUiRoot) process.stdout.write(`hanzod serves the Control UI from ${controlUiRoot} at ${handle.url.replace(/^ws/, "http")}/\n`);
  // SIGTERM may be a host's planned restart (an armed gateway.suspend.handoff); SIGINT always stops.
  process.once("SIGTERM", () => void handle.terminate().then(() => process.exit(0)));
  process.once("SIGINT", () => void handle.close("gateway stopping").then(() => process.exit(0)));
  // Only the compat release's signal: beside 2026.9.6, SIGUSR1 stays Node's inspector signal, as there.
  process.on(handle.restartSignal, () => handle.restart(handle.restartSignal));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(message.startsWith("hanzod:") ? `${message}\n` : `hanzod: ${message}\n`);
  // 78 (EX_CONFIG) for a configuration error or a state dir hanzod must not open (as the legacy exits on a
  // newer schema): the unit's RestartPreventExitStatus=78 does not retry it.
  process.exit(err instanceof LegacyStateError || isConfigError(err) ? CONFIG_ERROR_EXIT_CODE : 1);
}
