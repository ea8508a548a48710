/**
 * `hanzod --port P --bind loopback --auth token --token T --state-dir D` (or `--config openclaw.json`).
 * Flags override the config file. SIGTERM/SIGINT: `shutdown` event, close 1012, exit 0. The compat
 * release's restart signal (SIGUSR2 from 2026.9.6, SIGUSR1 before: hanzod/core/compat.ts) or
 * `gateway.restart.request`: `shutdown` (restartExpectedMs 1500), close 1012, then a restart in-process,
 * or exit 0 for the supervisor when one is detected (systemd / launchd markers, as the legacy detects
 * them) or `--restart-mode exit` is given; run hanzod under `Restart=always` / `KeepAlive` then.
 * A configuration error (bad flags, unreadable or invalid config, missing secret) exits 78, which the
 * service unit's `RestartPreventExitStatus=78` does not restart. `hanzod service ...` manages the unit.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { LegacyStateError, startHanzod } from "./index.js";
import { bindToHost, loadLegacyConfig } from "./config-file.js";
import type { AuthMode, HanzodAuthOptions } from "./options.js";
import { CONFIG_ERROR_EXIT_CODE, isConfigError } from "./config-error.js";

if (process.argv[2] === "service") {
  const { runServiceCli } = await import("./service/cli.js");
  process.exit(await runServiceCli(process.argv.slice(3)));
}

/** The legacy's supervisor markers (infra/supervisor-markers): a respawner will start us again after exit. */
function supervisedByEnv(env: NodeJS.ProcessEnv): boolean {
  const keys = process.platform === "darwin" ? ["OPENCLAW_LAUNCHD_LABEL", "XPC_SERVICE_NAME", "LAUNCH_JOB_LABEL"] : ["OPENCLAW_SYSTEMD_UNIT", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "JOURNAL_STREAM"];
  return keys.some((k) => Boolean(env[k]?.trim())) || Boolean(env.HANZOD_SUPERVISED?.trim());
}

interface CliArgs {
  port?: number;
  bind?: "loopback" | "lan" | "auto" | "custom";
  host?: string;
  auth?: AuthMode;
  token?: string;
  password?: string;
  "trusted-proxy"?: string[];
  "user-header"?: string;
  "state-dir": string;
  config?: string;
  compat?: string;
  "restart-mode"?: "in-process" | "exit";
}

const STRING_FLAGS = ["host", "token", "password", "user-header", "state-dir", "config", "compat"] as const;
const CHOICES = { bind: ["loopback", "lan", "auto", "custom"], auth: ["token", "password", "none", "trusted-proxy"], "restart-mode": ["in-process", "exit"] } as const;

/**
 * The plain command lines (`--flag value` / `--flag=value`, each known flag once, valid choices, a decimal
 * port) parsed without yargs: yargs and its text layout take about 60 modules and a tenth of hanzod's
 * start. Anything else (help, an unknown or repeated flag, a bad choice, `--trusted-proxy`, camelCase or
 * negated forms) returns undefined and goes to yargs, which answers exactly as before.
 */
function parsePlainArgs(args: readonly string[]): CliArgs | undefined {
  const out: CliArgs = { "state-dir": join(homedir(), ".hanzod") };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) return undefined;
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === "" || value.startsWith("-") || seen.has(name)) return undefined;
    seen.add(name);
    if (name === "port") {
      if (!/^(0|[1-9]\d{0,5})$/.test(value)) return undefined;
      out.port = Number(value);
    } else if (name === "bind" || name === "auth" || name === "restart-mode") {
      if (!(CHOICES[name] as readonly string[]).includes(value)) return undefined;
      if (name === "bind") out.bind = value as CliArgs["bind"];
      else if (name === "auth") out.auth = value as AuthMode;
      else out["restart-mode"] = value as CliArgs["restart-mode"];
    } else if ((STRING_FLAGS as readonly string[]).includes(name)) {
      out[name as (typeof STRING_FLAGS)[number]] = value;
    } else return undefined;
  }
  return out;
}

async function parseWithYargs(): Promise<CliArgs> {
  const { default: yargs } = await import("yargs");
  const { hideBin } = await import("yargs/helpers");
  return yargs(hideBin(process.argv))
    .scriptName("hanzod")
    .usage("$0 [options]\n\nRun hanzod, the runtime that replaces the legacy OpenClaw gateway.")
    .option("port", { type: "number", describe: "port to listen on (0 = ephemeral; default gateway.port or 18789)" })
    .option("bind", { type: "string", choices: CHOICES.bind, describe: "interface (legacy gateway.bind)" })
    .option("host", { type: "string", describe: "explicit listen address (overrides --bind)" })
    .option("auth", { type: "string", choices: CHOICES.auth, describe: "auth mode (legacy gateway.auth.mode)" })
    .option("token", { type: "string", describe: "shared token (or OPENCLAW_GATEWAY_TOKEN)" })
    .option("password", { type: "string", describe: "shared password (or OPENCLAW_GATEWAY_PASSWORD)" })
    .option("trusted-proxy", { type: "array", string: true, describe: "trusted proxy IP/CIDR (repeatable; legacy gateway.trustedProxies)" })
    .option("user-header", { type: "string", describe: "trusted-proxy identity header (legacy gateway.auth.trustedProxy.userHeader)" })
    .option("state-dir", { type: "string", describe: "state directory (SQLite, logs)", default: join(homedir(), ".hanzod") })
    .option("config", { type: "string", describe: "legacy openclaw.json to read gateway.* from" })
    .option("compat", { type: "string", describe: "legacy release to answer as where releases differ (default: the newest frozen one; `hanzonode up` passes the legacy's)" })
    .option("restart-mode", { type: "string", choices: CHOICES["restart-mode"], describe: "on a restart request: listen again in-process, or exit 0 for a supervisor (default: exit when systemd/launchd is detected)" })
    .strict()
    // A flag hanzod does not know in a unit's command line is a configuration error, not a crash.
    .fail((msg, err) => {
      process.stderr.write(`hanzod: ${msg ?? err?.message ?? "invalid arguments"}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    })
    .help()
    .alias("h", "help")
    .version(false)
    .parseAsync();
}

const argv: CliArgs = parsePlainArgs(process.argv.slice(2)) ?? (await parseWithYargs());

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
  const handle = await startHanzod({
    host,
    port: argv.port ?? file?.port ?? 18789,
    auth,
    stateDir: resolve(argv["state-dir"]),
    trustedProxies: argv["trusted-proxy"] ?? file?.trustedProxies ?? [],
    ...(file ? { configPath: file.path } : {}),
    logToStderr: true,
    ...(argv.compat ? { compat: argv.compat } : {}),
    restartMode: argv["restart-mode"] ?? (supervisedByEnv(process.env) ? "exit" : "in-process"),
    onRestartExit: () => process.exit(0),
  });
  process.stdout.write(`hanzod listening on ${handle.url}\n`);
  const stop = (signal: string) => {
    void handle.close(signal === "SIGTERM" ? "gateway stopping" : "gateway stopping").then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  // Only the compat release's signal: beside 2026.9.6, SIGUSR1 stays Node's inspector signal, as there.
  process.on(handle.restartSignal, () => handle.restart(handle.restartSignal));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(message.startsWith("hanzod:") ? `${message}\n` : `hanzod: ${message}\n`);
  // 78 (EX_CONFIG) for a configuration error or a state dir hanzod must not open (as the legacy exits on a
  // newer schema): the unit's RestartPreventExitStatus=78 does not retry it.
  process.exit(err instanceof LegacyStateError || isConfigError(err) ? CONFIG_ERROR_EXIT_CODE : 1);
}
