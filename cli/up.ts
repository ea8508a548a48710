/**
 * `hanzonode up`: the proxy in this process, each hanzod (the real one and the throwaway one `shadow:
 * isolated` copies go to) as a supervised child process, and a pinned legacy gateway as another when no
 * --legacy is given. `up` only wires them: the proxy reaches hanzod through its WebSocket URL and /readyz,
 * exactly as it would on another machine, so a stalled or crashed hanzod is the proxy's deadline, breaker
 * and fallback's business and never stalls a client of a legacy-routed method.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Argv } from "yargs";
import { defineCommand, type CliCommand } from "./command.js";
import { ExitGuard } from "./exit-guard.js";
import { signalGroup, supervise, type SupervisedProcess, type SupervisorOutput } from "./supervisor.js";
import { startProxy } from "../proxy/index.js";
import type { RunningProxy } from "../proxy/api.js";
import { HANZOD_DEADLINE_MS } from "../proxy/limits.js";
import { checklistArg, paritySink, DEFAULT_CHECKLIST, DEFAULT_STATE_DIR } from "./commands/proxy.js";
import { compatForLegacy } from "./legacy-release.js";
import { chooseHanzodStateDir } from "./legacy-state-dir.js";
import { DAEMON_ENV } from "../hanzod/service/daemon-env.js";

const LOOPBACK_PROXIES = ["127.0.0.1", "::1"];

/**
 * hanzod's CLI beside this file: compiled (dist/: its bundle when built, as bin/hanzod.js runs it) or, when
 * `up` itself runs from source, through tsx.
 */
function hanzodCommand(): { file: string; prefix: string[] } {
  const fromSource = fileURLToPath(import.meta.url).endsWith(".ts");
  if (fromSource) return { file: process.execPath, prefix: ["--import", "tsx", fileURLToPath(new URL("../hanzod/cli.ts", import.meta.url))] };
  const bundle = fileURLToPath(new URL("../bundle/hanzod.js", import.meta.url));
  return { file: process.execPath, prefix: [existsSync(bundle) ? bundle : fileURLToPath(new URL("../hanzod/cli.js", import.meta.url))] };
}

/**
 * Child output goes to our stderr, tagged with where it came from: a JSON log line gets an "origin" field
 * (so the stream stays JSON lines for jq or a log shipper), any other line a `[name]` prefix.
 */
function passThrough(guard: ExitGuard, say: (line: string) => void): SupervisorOutput {
  return {
    childLine(origin, _stream, line) {
      if (guard.stderrClosed) return;
      const tagged = line.length > 2 && line.startsWith('{"') ? `{"origin":${JSON.stringify(origin)},${line.slice(1)}` : `[${origin}] ${line}`;
      process.stderr.write(`${tagged}\n`);
    },
    notice: say,
  };
}

interface HanzodChild {
  process: SupervisedProcess;
  url: string;
}

/** One hanzod as a supervised child on loopback: its port is kept across restarts so the proxy's URL stays valid. */
async function startHanzodChild(guard: ExitGuard, output: SupervisorOutput, name: string, stateDir: string, token: string, port: number, compat: string, env: NodeJS.ProcessEnv = {}): Promise<HanzodChild> {
  const { file, prefix } = hanzodCommand();
  const child = supervise({
    name,
    command: (lastUrl) => ({
      file,
      args: [...prefix, "--host", "127.0.0.1", "--port", lastUrl === undefined ? String(port) : new URL(lastUrl).port, "--auth", "token", "--state-dir", stateDir, "--restart-mode", "exit", "--compat", compat, ...LOOPBACK_PROXIES.flatMap((p) => ["--trusted-proxy", p])],
      // The token travels in the environment, never on a command line `ps` shows.
      env: { ...process.env, ...DAEMON_ENV, ...env, OPENCLAW_GATEWAY_TOKEN: token, HANZOD_SUPERVISED: "1" },
    }),
    readyLine: /^hanzod listening on (ws:\/\/\S+)/,
    readyProbe: (url) => `${url.replace(/^ws/, "http")}/readyz`,
    output,
  });
  guard.add({ name, stop: () => child.stop(), killNow: () => child.killNow() });
  return { process: child, url: await child.ready };
}

export const upCommand = defineCommand({
  command: "up",
  describe: "Start hanzod and the proxy, wired together, in front of a legacy gateway (started locally if none is given)",
  builder: (y: Argv) =>
    y
      .option("legacy", { type: "string", default: process.env.LEGACY_URL, describe: "legacy gateway ws:// URL (or LEGACY_URL); none = start a pinned local one" })
      .option("token", { type: "string", describe: "the legacy gateway's shared token (or OPENCLAW_GATEWAY_TOKEN)" })
      .option("listen", { type: "number", default: 18790, describe: "port clients connect to" })
      .option("admin-port", { type: "number", default: 9464, describe: "port for /metrics and /healthz" })
      .option("hanzod-port", { type: "number", default: 0, describe: "loopback port of the hanzod child (0 = any free port, kept across its restarts)" })
      .option("checklist", { type: "string", describe: `parity checklist (default ${DEFAULT_CHECKLIST} when present)` })
      .option("state-dir", { type: "string", default: DEFAULT_STATE_DIR, describe: "diff store, audit log, legacy token (and hanzod's own state when it cannot use the legacy's)" })
      .option("hanzod-state-dir", { type: "string", describe: "state dir hanzod works on (default: the legacy's own, found through its config.get when it runs on this machine; else <state-dir>/hanzod)" })
      .option("hanzod-deadline-ms", { type: "number", default: HANZOD_DEADLINE_MS, describe: "how long a hanzod-routed request may go unanswered before fallback/UNAVAILABLE (0 = no deadline)" })
      .option("compat", { type: "string", describe: "release hanzod answers as (default: the legacy's, read from its hello-ok server.version)" }),
  handler: async (argv) => {
    const guard = new ExitGuard();
    const say = (line: string): void => {
      if (guard.stdoutClosed) return;
      process.stdout.write(`${line}\n`);
    };
    guard.install();
    const output = passThrough(guard, say);
    const stateDir = resolve(argv.stateDir);
    mkdirSync(stateDir, { recursive: true });
    try {
      let legacyUrl = argv.legacy;
      let legacyToken = argv.token ?? process.env.OPENCLAW_GATEWAY_TOKEN;
      // The started legacy's config: its gateway.trustedProxies become the proxy's default.
      let legacyConfigPath: string | undefined;
      if (legacyUrl === undefined) {
        const { startLegacyGateway, DEFAULT_LEGACY_VERSION } = await import("../scripts/legacy/index.js");
        say(`no --legacy given: starting a local openclaw@${DEFAULT_LEGACY_VERSION} legacy gateway (30 s to a few minutes)...`);
        let spawned: { pid: number; homeDir: string } | undefined;
        let stopLegacy: (() => Promise<void>) | undefined;
        guard.add({
          name: "legacy gateway",
          // Until it is ready only its PID is known: a stop during start-up ends its group outright.
          stop: async () => (stopLegacy !== undefined ? stopLegacy() : spawned !== undefined ? signalGroup(spawned.pid, "SIGKILL") : undefined),
          killNow: () => spawned !== undefined && signalGroup(spawned.pid, "SIGKILL"),
        });
        const gw = await startLegacyGateway({
          log: (l) => output.childLine("legacy", "stderr", l),
          onSpawned: (s) => {
            spawned = s;
            guard.addDir(s.homeDir);
          },
        });
        stopLegacy = () => gw.stop();
        legacyUrl = gw.url;
        legacyToken = gw.token;
        legacyConfigPath = gw.configPath;
        // Clients need the token to connect; a file readable by this user only keeps it out of logs.
        const tokenFile = join(stateDir, "legacy-token");
        writeFileSync(tokenFile, `${gw.token}\n`, { mode: 0o600 });
        say(`legacy gateway: ${gw.url} (pid ${gw.pid}; clients authenticate with the token in ${tokenFile}; throwaway home ${gw.homeDir})`);
      }
      // The proxy's credential on its hanzod leg; clients that hanzod authenticates itself use the legacy token.
      const hanzodToken = legacyToken ?? randomBytes(24).toString("base64url");
      // hanzod answers as the release it stands beside: the legacy tells its own in hello-ok's server.version.
      const compat = typeof argv.compat === "string" ? { release: argv.compat } : await compatForLegacy(legacyUrl, legacyToken);
      if (compat.note !== undefined) guard.say(compat.note);
      // hanzod works on the legacy's own state dir when the legacy is on this machine (issue 10).
      const hanzodState = await chooseHanzodStateDir({ legacyUrl, token: legacyToken, hanzonodeStateDir: stateDir, ...(typeof argv.hanzodStateDir === "string" ? { override: argv.hanzodStateDir } : {}) });
      const hanzodEnv: NodeJS.ProcessEnv = hanzodState.configPath !== undefined ? { OPENCLAW_CONFIG_PATH: hanzodState.configPath } : {};
      // `shadow: isolated` copies run against a throwaway hanzod, never the real state.
      const isolatedDir = mkdtempSync(join(tmpdir(), "hanzonode-isolated-"));
      guard.addDir(isolatedDir);
      const [hanzod, isolated] = await Promise.all([
        startHanzodChild(guard, output, "hanzod", hanzodState.stateDir, hanzodToken, argv.hanzodPort, compat.release, hanzodEnv),
        startHanzodChild(guard, output, "hanzod-isolated", isolatedDir, hanzodToken, 0, compat.release),
      ]);
      let proxy: RunningProxy | undefined;
      const sink = paritySink(stateDir, () => proxy);
      proxy = await startProxy({
        listenPort: argv.listen,
        legacyUrl,
        legacyConfigPath,
        hanzodUrl: hanzod.url,
        hanzodIsolatedUrl: isolated.url,
        hanzodToken,
        legacyToken,
        checklistPath: checklistArg(argv),
        adminPort: argv.adminPort,
        shadowSink: sink,
        hanzodDeadlineMs: argv.hanzodDeadlineMs,
      });
      const running = proxy;
      guard.add({ name: "proxy", stop: () => running.close() });
      say(
        [
          "",
          `clients connect to:  ${proxy.url}   (instead of ${legacyUrl})`,
          `metrics:             ${proxy.metricsUrl}   (readiness: http://127.0.0.1:${proxy.adminPort}/readyz)`,
          `hanzod:              ${hanzod.url}   (pid ${String(hanzod.process.pid)}, state in ${hanzodState.stateDir}; answers as openclaw ${compat.release})`,
          `hanzod state dir:    ${hanzodState.stateDir}   (${hanzodState.reason})`,
          `isolated hanzod:     ${isolated.url}   (pid ${String(isolated.process.pid)}, throwaway state in ${isolatedDir})`,
          `proxy:               pid ${process.pid} (this process; restarts each hanzod when it exits)`,
          `checklist:           ${checklistArg(argv) ?? "(none: everything goes to legacy)"}`,
          `parity report:       npx hanzonode parity report --state-dir ${stateDir}`,
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    } catch (err) {
      guard.say(`up: ${err instanceof Error ? err.message : String(err)}`);
      await guard.end(1, "start-up failed");
    }
  },
});
