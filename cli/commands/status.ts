/**
 * `hanzonode status`: which runtime a client config reaches (the legacy, the proxy in front of one, or
 * hanzod), local or remote, and the release it reports. Reads the config as the legacy's clients do.
 */
import { defineCommand, type CliCommand } from "../command.js";
import { defaultClientConfigPath } from "../attach/client-config.js";
import { resolveClientTarget, type ClientTarget } from "../status/client-target.js";
import { probeGateway, type ProbeResult } from "../status/probe.js";

export interface StatusReport {
  config: string;
  mode: ClientTarget["mode"];
  url: string;
  urlFrom: string;
  transport?: string;
  sshTarget?: string;
  reachable: boolean;
  runtime?: "legacy" | "hanzod";
  viaProxy?: boolean;
  version?: string;
  buildId?: string;
  error?: string;
}

export function describeReach(r: StatusReport): string {
  if (!r.reachable) return `unreachable: ${r.error ?? "no answer"}`;
  const who = r.runtime === "hanzod" ? "hanzod" : "the legacy gateway";
  const release = r.version ? ` ${r.version}` : "";
  return r.viaProxy ? `the hanzonode proxy, in front of ${who}${release} (which answers connect)` : `${who}${release}`;
}

function render(r: StatusReport): string {
  const lines = [
    `client config: ${r.config}`,
    `mode:          ${r.mode}${r.transport ? ` (transport ${r.transport}${r.sshTarget ? `, ssh ${r.sshTarget}` : ""})` : ""}`,
    `url:           ${r.url}   (from ${r.urlFrom})`,
    `reaches:       ${describeReach(r)}`,
  ];
  if (r.buildId) lines.push(`build:         ${r.buildId}`);
  return `${lines.join("\n")}\n`;
}

const cmd = defineCommand({
  command: "status",
  describe: "Say which runtime a client config reaches (legacy, proxy or hanzod; local or remote) and its release",
  builder: (y) =>
    y
      .option("client-config", { type: "string", describe: "openclaw.json to read (default OPENCLAW_CONFIG_PATH or ~/.openclaw/openclaw.json)" })
      .option("url", { type: "string", describe: "probe this URL instead (uses only --token/--password)" })
      .option("token", { type: "string", describe: "credential for the probe's connect" })
      .option("password", { type: "string", describe: "credential for the probe's connect" })
      .option("timeout", { type: "number", default: 10_000, describe: "ms to wait for each step of the probe" })
      .option("json", { type: "boolean", default: false, describe: "print the report as JSON" }),
  handler: async (argv) => {
    const config = typeof argv["client-config"] === "string" ? argv["client-config"] : defaultClientConfigPath();
    const target = resolveClientTarget(config, process.env, {
      ...(argv.url ? { url: argv.url } : {}),
      ...(argv.token ? { token: argv.token } : {}),
      ...(argv.password ? { password: argv.password } : {}),
    });
    const base: StatusReport = {
      config,
      mode: target.mode,
      url: target.url,
      urlFrom: target.urlFrom,
      ...(target.transport ? { transport: target.transport } : {}),
      ...(target.sshTarget ? { sshTarget: target.sshTarget } : {}),
      reachable: false,
    };
    let report: StatusReport;
    try {
      const p: ProbeResult = await probeGateway(target.url, { ...(target.token ? { token: target.token } : {}), ...(target.password ? { password: target.password } : {}) }, argv.timeout);
      report = { ...base, reachable: true, runtime: p.runtime, viaProxy: p.viaProxy, ...(p.version ? { version: p.version } : {}), ...(p.buildId ? { buildId: p.buildId } : {}) };
    } catch (err) {
      report = { ...base, error: (err as Error).message };
    }
    process.stdout.write(argv.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    process.exitCode = report.reachable ? 0 : 1;
  },
});

export const statusCommands: CliCommand[] = [cmd];
