/** The hanzod command line (hanzod/cli.ts): the plain forms without yargs, the rest with it. */
import { homedir } from "node:os";
import { join } from "node:path";
import type { AuthMode } from "./options.js";
import { CONFIG_ERROR_EXIT_CODE } from "./config-error.js";

export interface CliArgs {
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
  "control-ui-root"?: string;
  "restart-mode"?: "in-process" | "exit";
  turns?: "off" | "text-only";
}

const STRING_FLAGS = ["host", "token", "password", "user-header", "state-dir", "config", "compat", "control-ui-root"] as const;
const CHOICES = { bind: ["loopback", "lan", "auto", "custom"], auth: ["token", "password", "none", "trusted-proxy"], "restart-mode": ["in-process", "exit"], turns: ["off", "text-only"] } as const;

/**
 * The plain command lines (`--flag value` / `--flag=value`, each known flag once, valid choices, a decimal
 * port) parsed without yargs: yargs and its text layout take about 60 modules and a tenth of hanzod's
 * start. Anything else (help, an unknown or repeated flag, a bad choice, `--trusted-proxy`, camelCase or
 * negated forms) returns undefined and goes to yargs, which answers exactly as before.
 */
export function parsePlainArgs(args: readonly string[]): CliArgs | undefined {
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
    } else if (name === "bind" || name === "auth" || name === "restart-mode" || name === "turns") {
      if (!(CHOICES[name] as readonly string[]).includes(value)) return undefined;
      if (name === "bind") out.bind = value as CliArgs["bind"];
      else if (name === "auth") out.auth = value as AuthMode;
      else if (name === "turns") out.turns = value as CliArgs["turns"];
      else out["restart-mode"] = value as CliArgs["restart-mode"];
    } else if ((STRING_FLAGS as readonly string[]).includes(name)) {
      out[name as (typeof STRING_FLAGS)[number]] = value;
    } else return undefined;
  }
  return out;
}

/** yargs, loaded only here: help, errors (exit 78) and every form parsePlainArgs leaves. */
export async function parseWithYargs(args: readonly string[]): Promise<CliArgs> {
  const { default: yargs } = await import("yargs");
  return yargs([...args])
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
    .option("control-ui-root", { type: "string", describe: "serve the legacy's Control UI from this dir (its package's dist/control-ui); default: the one of the openclaw on PATH, if any; none: no UI" })
    .option("restart-mode", { type: "string", choices: CHOICES["restart-mode"], describe: "on a restart request: listen again in-process, or exit 0 for a supervisor (default: exit when systemd/launchd is detected)" })
    .option("turns", { type: "string", choices: CHOICES.turns, describe: "run chat turns in hanzod: off (default: the legacy runs them) or text-only (no system prompt, no tools yet)" })
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

