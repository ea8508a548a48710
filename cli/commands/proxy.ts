/** `hanzonode proxy` (the routing proxy) and `hanzonode up` (hanzod + proxy in front of a legacy gateway). */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import type { CliCommand } from "../command.js";
import { compatForLegacy } from "../legacy-release.js";
import { startProxy } from "../../proxy/index.js";
import type { RunningProxy } from "../../proxy/api.js";
import { createLogger } from "../../proxy/log.js";
import { HANZOD_DEADLINE_MS } from "../../proxy/limits.js";
import { FixtureWriter } from "../../recorder/fixture-writer.js";
import { createShadowSink } from "../../parity/shadow/sink.js";
import { ruleSetFromTable } from "../../parity/shadow/checklist-rules.js";
import { defaultStorePath } from "../../parity/store/diff-store.js";
import type { ShadowSink } from "../../parity/shadow-sink.js";

const DEFAULT_STATE_DIR = ".hanzonode";
const DEFAULT_CHECKLIST = "parity/checklist.yaml";

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** Stops everything in reverse start order on Ctrl-C / SIGTERM, once. */
function stopOnSignal(parts: Stoppable[]): void {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("\nstopping...\n");
    for (const p of [...parts].reverse()) {
      await p.stop().catch((err: unknown) => process.stderr.write(`stopping ${p.name} failed: ${String(err)}\n`));
    }
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

function checklistArg(argv: Record<string, unknown>): string | undefined {
  if (typeof argv.checklist === "string") return resolve(argv.checklist);
  return existsSync(DEFAULT_CHECKLIST) ? resolve(DEFAULT_CHECKLIST) : undefined;
}

/** The parity sink (comparator + SQLite diff store) wired to the proxy's live table and metrics. */
function paritySink(stateDir: string, proxyRef: () => RunningProxy | undefined): ShadowSink {
  mkdirSync(stateDir, { recursive: true });
  const log = createLogger();
  return createShadowSink({
    storePath: defaultStorePath(stateDir),
    rules: () => ruleSetFromTable(proxyRef()?.table()),
    onCompared: (method, outcome) => proxyRef()?.recordComparison(method, outcome),
    log: { warn: (obj, msg) => log.warn(obj, msg) },
  });
}

const proxyCommand: CliCommand = {
  command: "proxy",
  describe: "Route clients per method between the legacy gateway and hanzod by the parity checklist",
  builder: (y: Argv) =>
    y
      .option("listen", { type: "number", default: 18790, describe: "port clients connect to" })
      .option("host", { type: "string", default: "127.0.0.1", describe: "listen address" })
      .option("legacy", { type: "string", default: process.env.LEGACY_URL, describe: "legacy gateway ws:// URL (or LEGACY_URL)" })
      .option("hanzod", { type: "string", describe: "hanzod ws:// URL" })
      .option("hanzod-token", { type: "string", describe: "token the proxy presents to hanzod (or HANZOD_PROXY_TOKEN)" })
      .option("legacy-token", { type: "string", describe: "legacy shared token, needed only when hanzod owns auth (or OPENCLAW_GATEWAY_TOKEN)" })
      .option("checklist", { type: "string", describe: `parity checklist (default ${DEFAULT_CHECKLIST} when present; none = everything to legacy)` })
      .option("admin-port", { type: "number", describe: "port for /metrics and /healthz" })
      .option("record", { type: "string", describe: "also record every connection as fixtures into DIR (the recorder's format)" })
      .option("state-dir", { type: "string", default: DEFAULT_STATE_DIR, describe: "diff store and audit log" })
      .option("hanzod-deadline-ms", { type: "number", default: HANZOD_DEADLINE_MS, describe: "how long a hanzod-routed request may go unanswered before fallback/UNAVAILABLE (0 = no deadline)" })
      .demandOption("legacy", "give --legacy ws://host:port or set LEGACY_URL")
      .example("$0 proxy --listen 18790 --legacy ws://127.0.0.1:18789 --hanzod ws://127.0.0.1:18800 --checklist parity/checklist.yaml --admin-port 9464", ""),
  handler: async (argv) => {
    const stateDir = resolve(String(argv.stateDir));
    const legacyToken = (argv.legacyToken as string | undefined) ?? process.env.OPENCLAW_GATEWAY_TOKEN;
    let proxy: RunningProxy | undefined;
    const hanzodUrl = argv.hanzod as string | undefined;
    const sink = hanzodUrl !== undefined ? paritySink(stateDir, () => proxy) : undefined;
    const tap =
      typeof argv.record === "string"
        ? new FixtureWriter({ outDir: resolve(argv.record), gatewayToken: legacyToken, onError: (id, err) => process.stderr.write(`recording of ${id} stopped: ${err.message}\n`) })
        : undefined;
    proxy = await startProxy({
      listenHost: argv.host as string,
      listenPort: argv.listen as number,
      legacyUrl: argv.legacy as string,
      hanzodUrl,
      hanzodToken: (argv.hanzodToken as string | undefined) ?? process.env.HANZOD_PROXY_TOKEN,
      legacyToken,
      checklistPath: checklistArg(argv),
      adminPort: argv.adminPort as number | undefined,
      stateDir,
      shadowSink: sink,
      tap,
      hanzodDeadlineMs: argv.hanzodDeadlineMs as number,
    });
    process.stdout.write(`proxy: clients connect to ${proxy.url}\n`);
    if (proxy.metricsUrl) process.stdout.write(`metrics: ${proxy.metricsUrl}\n`);
    const running = proxy;
    stopOnSignal([{ name: "proxy", stop: () => running.close() }]);
  },
};

const upCommand: CliCommand = {
  command: "up",
  describe: "Start hanzod and the proxy, wired together, in front of a legacy gateway (started locally if none is given)",
  builder: (y: Argv) =>
    y
      .option("legacy", { type: "string", default: process.env.LEGACY_URL, describe: "legacy gateway ws:// URL (or LEGACY_URL); none = start a pinned local one" })
      .option("token", { type: "string", describe: "the legacy gateway's shared token (or OPENCLAW_GATEWAY_TOKEN)" })
      .option("listen", { type: "number", default: 18790, describe: "port clients connect to" })
      .option("admin-port", { type: "number", default: 9464, describe: "port for /metrics and /healthz" })
      .option("checklist", { type: "string", describe: `parity checklist (default ${DEFAULT_CHECKLIST} when present)` })
      .option("state-dir", { type: "string", default: DEFAULT_STATE_DIR, describe: "hanzod state, diff store, audit log" })
      .option("hanzod-deadline-ms", { type: "number", default: HANZOD_DEADLINE_MS, describe: "how long a hanzod-routed request may go unanswered before fallback/UNAVAILABLE (0 = no deadline)" })
      .option("compat", { type: "string", describe: "release hanzod answers as (default: the legacy's, read from its hello-ok server.version)" }),
  handler: async (argv) => {
    const { startHanzod } = await import("../../hanzod/index.js");
    const { startLegacyGateway, DEFAULT_LEGACY_VERSION } = await import("../../scripts/legacy/index.js");
    const stateDir = resolve(String(argv.stateDir));
    mkdirSync(stateDir, { recursive: true });
    const parts: Stoppable[] = [];
    stopOnSignal(parts);
    try {
      let legacyUrl = argv.legacy as string | undefined;
      let legacyToken = (argv.token as string | undefined) ?? process.env.OPENCLAW_GATEWAY_TOKEN;
      if (legacyUrl === undefined) {
        process.stdout.write(`no --legacy given: starting a local openclaw@${DEFAULT_LEGACY_VERSION} legacy gateway (30 s to a few minutes)...\n`);
        const gw = await startLegacyGateway({ log: (l) => process.stderr.write(`${l}\n`) });
        parts.push({ name: `legacy gateway (pid ${gw.pid})`, stop: () => gw.stop() });
        legacyUrl = gw.url;
        legacyToken = gw.token;
        // Clients need the token to connect; a file readable by this user only keeps it out of logs.
        const tokenFile = join(stateDir, "legacy-token");
        writeFileSync(tokenFile, `${gw.token}\n`, { mode: 0o600 });
        process.stdout.write(`legacy gateway: ${gw.url} (pid ${gw.pid}; clients authenticate with the token in ${tokenFile})\n`);
      }
      // The proxy's credential on its hanzod leg; clients that hanzod authenticates itself use the legacy token.
      const hanzodToken = legacyToken ?? randomBytes(24).toString("base64url");
      const trustedProxies = ["127.0.0.1", "::1"];
      // hanzod answers as the release it stands beside: the legacy tells its own in hello-ok.
      const compat = typeof argv.compat === "string" ? { release: argv.compat } : await compatForLegacy(legacyUrl, legacyToken);
      if (compat.note) process.stderr.write(`${compat.note}\n`);
      const hanzod = await startHanzod({ port: 0, auth: { mode: "token", token: hanzodToken }, stateDir: join(stateDir, "hanzod"), trustedProxies, compat: compat.release });
      parts.push({ name: "hanzod", stop: () => hanzod.close() });
      // `shadow: isolated` copies run against a throwaway hanzod, never the real state.
      const isolatedDir = join(stateDir, "hanzod-isolated");
      const isolated = await startHanzod({ port: 0, auth: { mode: "token", token: hanzodToken }, stateDir: isolatedDir, trustedProxies, logger: false, compat: compat.release });
      parts.push({ name: "isolated hanzod", stop: () => isolated.close() });
      let proxy: RunningProxy | undefined;
      const sink = paritySink(stateDir, () => proxy);
      proxy = await startProxy({
        listenPort: argv.listen as number,
        legacyUrl,
        hanzodUrl: hanzod.url,
        hanzodIsolatedUrl: isolated.url,
        hanzodToken,
        legacyToken,
        checklistPath: checklistArg(argv),
        adminPort: argv.adminPort as number,
        stateDir,
        shadowSink: sink,
        hanzodDeadlineMs: argv.hanzodDeadlineMs as number,
      });
      const running = proxy;
      parts.push({ name: "proxy", stop: () => running.close() });
      process.stdout.write(
        [
          "",
          `clients connect to:  ${proxy.url}   (instead of ${legacyUrl})`,
          `metrics:             ${proxy.metricsUrl}   (readiness: http://127.0.0.1:${proxy.adminPort}/readyz)`,
          `hanzod:              ${hanzod.url}   (answers as openclaw ${compat.release})`,
          `checklist:           ${checklistArg(argv) ?? "(none: everything goes to legacy)"}`,
          `parity report:       npx hanzonode parity report --state-dir ${stateDir}`,
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    } catch (err) {
      for (const p of [...parts].reverse()) await p.stop().catch(() => undefined);
      throw err;
    }
  },
};

export const proxyCommands: CliCommand[] = [proxyCommand, upCommand];
