/** `hanzonode proxy`: the routing proxy in front of a legacy gateway and a hanzod given by URL (`hanzonode up` wires both: cli/up.ts). */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { defineCommand, type CliCommand } from "../command.js";
import { startProxy } from "../../proxy/index.js";
import type { RunningProxy } from "../../proxy/api.js";
import { createLogger } from "../../proxy/log.js";
import { HANZOD_DEADLINE_MS } from "../../proxy/limits.js";
import { FixtureWriter } from "../../recorder/fixture-writer.js";
import { createShadowSink } from "../../parity/shadow/sink.js";
import { ruleSetFromTable } from "../../parity/shadow/checklist-rules.js";
import { defaultStorePath } from "../../parity/store/diff-store.js";
import type { ShadowSink } from "../../parity/shadow-sink.js";
import { ParityShadowSink } from "../../parity/shadow/sink.js";
import { defaultInstance, isPostgresUrl, openFleetChecklist } from "../../parity/store/open.js";
import { PgStore } from "../../parity/store/pg/store.js";
import type { FleetChecklist } from "../../parity/store/pg/checklist.js";

export const DEFAULT_STATE_DIR = ".hanzonode";
export const DEFAULT_CHECKLIST = "parity/checklist.yaml";

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** Stops everything in reverse start order on Ctrl-C / SIGTERM / SIGHUP or when stdout goes away (EPIPE), once. */
function stopOnSignal(parts: Stoppable[]): void {
  let stopping = false;
  let stdoutClosed = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (!stdoutClosed) process.stdout.write("\nstopping...\n");
    for (const p of [...parts].reverse()) {
      await p.stop().catch((err: unknown) => process.stderr.write(`stopping ${p.name} failed: ${String(err)}\n`));
    }
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  process.once("SIGHUP", () => void stop());
  process.stdout.on("error", () => {
    stdoutClosed = true;
    void stop();
  });
}

export function checklistArg(argv: { checklist?: string | undefined }): string | undefined {
  if (typeof argv.checklist === "string") return resolve(argv.checklist);
  return existsSync(DEFAULT_CHECKLIST) ? resolve(DEFAULT_CHECKLIST) : undefined;
}

/** The parity sink (comparator + SQLite diff store) wired to the proxy's live table and metrics. */
export function paritySink(stateDir: string, proxyRef: () => RunningProxy | undefined, storePath?: string): ShadowSink {
  mkdirSync(stateDir, { recursive: true });
  const log = createLogger();
  return createShadowSink({
    storePath: storePath !== undefined ? resolve(storePath) : defaultStorePath(stateDir),
    rules: () => ruleSetFromTable(proxyRef()?.table()),
    onCompared: (method, outcome) => proxyRef()?.recordComparison(method, outcome),
    log: { warn: (obj, msg) => log.warn(obj, msg) },
  });
}

/**
 * A fleet member: the sink writes to the shared PostgreSQL store (queued, off the hot path) and the
 * routing comes from the store's checklist (LISTEN/NOTIFY), seeded from --checklist when it has none.
 */
async function fleetParts(store: string, instance: string, seedFile: string | undefined, proxyRef: () => RunningProxy | undefined): Promise<{ sink: ShadowSink; checklist: FleetChecklist }> {
  const log = createLogger();
  const logAdapter = { warn: (obj: object, msg: string) => log.warn(obj, msg), info: (obj: object, msg: string) => log.info(obj, msg) };
  const checklist = await openFleetChecklist(store, { instance, seedFile, auditApplied: true, log: logAdapter });
  const pg = await PgStore.open(store, { instance, log: logAdapter });
  const sink = new ParityShadowSink({
    store: pg,
    ownsStore: true,
    rules: () => ruleSetFromTable(proxyRef()?.table()),
    onCompared: (method, outcome) => proxyRef()?.recordComparison(method, outcome),
    log: logAdapter,
  });
  return { sink, checklist };
}

const proxyCommand = defineCommand({
  command: "proxy",
  describe: "Route clients per method between the legacy gateway and hanzod by the parity checklist",
  builder: (y: Argv) =>
    y
      .option("listen", { type: "number", default: 18790, describe: "port clients connect to" })
      .option("host", { type: "string", default: "127.0.0.1", describe: "listen address" })
      .option("legacy", { type: "string", default: process.env.LEGACY_URL, describe: "legacy gateway ws:// URL (or LEGACY_URL); not needed once the checklist routes everything to hanzod" })
      .option("legacy-config", { type: "string", describe: "the legacy's openclaw.json: its gateway.trustedProxies become the proxy's default" })
      .option("trusted-proxy", { type: "array", string: true, describe: "IP/CIDR whose X-Forwarded-For the proxy passes on (repeatable; default: the legacy's gateway.trustedProxies)" })
      .option("hanzod", { type: "string", describe: "hanzod ws:// URL" })
      .option("hanzod-token", { type: "string", describe: "token the proxy presents to hanzod (or HANZOD_PROXY_TOKEN)" })
      .option("legacy-token", { type: "string", describe: "legacy shared token, needed only when hanzod owns auth (or OPENCLAW_GATEWAY_TOKEN)" })
      .option("checklist", { type: "string", describe: `parity checklist (default ${DEFAULT_CHECKLIST} when present; none = everything to legacy)` })
      .option("admin-port", { type: "number", describe: "port for /metrics and /healthz" })
      .option("record", { type: "string", describe: "also record every connection as fixtures into DIR (the recorder's format)" })
      .option("state-dir", { type: "string", default: DEFAULT_STATE_DIR, describe: "diff store and audit log" })
      .option("store", { type: "string", describe: "parity store: a SQLite file (default <state-dir>/parity.sqlite) or postgres://... shared by a fleet (evidence, audit and the checklist itself)" })
      .option("instance", { type: "string", describe: "this proxy's name in a fleet's store and audit log (default proxy@host:pid)" })
      .option("hanzod-deadline-ms", { type: "number", default: HANZOD_DEADLINE_MS, describe: "how long a hanzod-routed request may go unanswered before fallback/UNAVAILABLE (0 = no deadline)" })
      .check((argv) => {
        if (argv.legacy === undefined && argv.hanzod === undefined) throw new Error("give --legacy ws://host:port (or LEGACY_URL), --hanzod, or both");
        return true;
      })
      .example("$0 proxy --listen 18790 --legacy ws://127.0.0.1:18789 --hanzod ws://127.0.0.1:18800 --checklist parity/checklist.yaml --admin-port 9464", ""),
  handler: async (argv) => {
    const stateDir = resolve(argv.stateDir);
    const legacyToken = argv.legacyToken ?? process.env.OPENCLAW_GATEWAY_TOKEN;
    let proxy: RunningProxy | undefined;
    const hanzodUrl = argv.hanzod;
    const store = typeof argv.store === "string" ? argv.store : undefined;
    const fleet = isPostgresUrl(store) ? await fleetParts(store, typeof argv.instance === "string" ? argv.instance : defaultInstance(), checklistArg(argv), () => proxy) : undefined;
    const sink = fleet?.sink ?? (hanzodUrl !== undefined ? paritySink(stateDir, () => proxy, store) : undefined);
    const tap =
      typeof argv.record === "string"
        ? new FixtureWriter({ outDir: resolve(argv.record), gatewayToken: legacyToken, onError: (id, err) => process.stderr.write(`recording of ${id} stopped: ${err.message}\n`) })
        : undefined;
    proxy = await startProxy({
      listenHost: argv.host,
      listenPort: argv.listen,
      legacyUrl: argv.legacy,
      hanzodUrl,
      trustedProxies: argv.trustedProxy,
      legacyConfigPath: argv.legacyConfig,
      hanzodToken: argv.hanzodToken ?? process.env.HANZOD_PROXY_TOKEN,
      legacyToken,
      checklistPath: fleet ? undefined : checklistArg(argv),
      checklistSource: fleet?.checklist,
      adminPort: argv.adminPort,
      shadowSink: sink,
      tap,
      hanzodDeadlineMs: argv.hanzodDeadlineMs,
    });
    process.stdout.write(`proxy: clients connect to ${proxy.url}\n`);
    if (proxy.metricsUrl) process.stdout.write(`metrics: ${proxy.metricsUrl}\n`);
    const running = proxy;
    stopOnSignal([
      ...(fleet ? [{ name: "fleet checklist", stop: () => fleet.checklist.close() }] : []),
      { name: "proxy", stop: async () => { await running.close(); await sink?.close(); } },
    ]);
  },
});

export const proxyCommands: CliCommand[] = [proxyCommand];
