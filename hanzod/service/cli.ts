/** `hanzod service <install|uninstall|start|stop|status|logs>`: hanzod as the user's background service. */
import yargs from "yargs";
import * as actions from "./actions.js";
import { runTool } from "./exec.js";
import { resolveServiceSettings, type ServicePlatform } from "./settings.js";

const ACTIONS = ["install", "uninstall", "start", "stop", "status", "logs"] as const;
type Action = (typeof ACTIONS)[number];

export async function runServiceCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let failed: string | undefined;
  const argv = await yargs(args)
    .scriptName("hanzod service")
    .usage(
      "$0 <install|uninstall|start|stop|status|logs> [options]\n\nRun hanzod as a per-user service: a systemd user unit on Linux, a LaunchAgent on macOS. It runs on the legacy's state dir and config (OPENCLAW_STATE_DIR, else ~/.openclaw), restarts on failure, and stays stopped after a configuration error (exit 78).",
    )
    .command("$0 <action>", false, (y) => y.positional("action", { choices: ACTIONS, describe: "what to do" }))
    .option("state-dir", { type: "string", describe: "state dir (default OPENCLAW_STATE_DIR or ~/.openclaw)" })
    .option("config", { type: "string", describe: "openclaw.json (default OPENCLAW_CONFIG_PATH or <state-dir>/openclaw.json)" })
    .option("port", { type: "number", describe: "port recorded in the unit (default OPENCLAW_GATEWAY_PORT, gateway.port, 18789)" })
    .option("start", { type: "boolean", default: true, describe: "install: also enable and start it (--no-start only writes it)" })
    .option("lines", { type: "number", default: 100, describe: "logs: how many lines" })
    .option("platform", { type: "string", choices: ["linux", "darwin"], hidden: true, describe: "write the definition for another platform (written only)" })
    .strict()
    .fail((msg, err) => {
      failed = msg ?? err?.message ?? "invalid arguments";
    })
    .help()
    .version(false)
    .parseAsync();
  if (failed) {
    process.stderr.write(`hanzod service: ${failed}\n`);
    return 2;
  }
  if (argv.help) return 0;
  const say = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
  let settings;
  try {
    settings = resolveServiceSettings(
      {
        ...(argv["state-dir"] ? { stateDir: argv["state-dir"] } : {}),
        ...(argv.config ? { config: argv.config } : {}),
        ...(argv.port !== undefined ? { port: argv.port } : {}),
        ...(argv.platform ? { platform: argv.platform as ServicePlatform } : {}),
      },
      env,
    );
  } catch (err) {
    say.err(`hanzod service: ${err instanceof Error ? err.message : String(err)}`);
    return 78;
  }
  const ctx: actions.ServiceContext = { settings, env, run: runTool, say };
  if (env.HANZOD_SERVICE_SYSTEM_UNIT_DIRS !== undefined) ctx.systemUnitDirs = env.HANZOD_SERVICE_SYSTEM_UNIT_DIRS.split(":").filter(Boolean);
  switch (argv.action as Action) {
    case "install":
      return actions.install(ctx, { start: argv.start });
    case "uninstall":
      return actions.uninstall(ctx);
    case "start":
      return actions.start(ctx);
    case "stop":
      return actions.stop(ctx);
    case "status":
      return actions.status(ctx);
    case "logs":
      return actions.logs(ctx, { lines: argv.lines });
  }
}
