/** `hanzonode` subcommands contributed by recorder/: `record` (proxy + FixtureWriter) and `replay`. */
import { resolve } from "node:path";
import { defineCommand, type CliCommand } from "../command.js";
import { DEFAULT_LEGACY_VERSION } from "../../scripts/legacy/index.js";
import { startProxy } from "../../proxy/index.js";
import { FixtureWriter } from "../../recorder/fixture-writer.js";
import { expandFixturePaths } from "../../recorder/fixture-files.js";
import { replayFixtures } from "../../recorder/replay.js";
import { storeReplayRun, TARGET_KINDS, type TargetKind } from "../../recorder/replay-store.js";
import { storePathFrom } from "../options.js";
import { isPostgresUrl, redactUrl } from "../../parity/store/pg/store.js";
import { formatDrift, formatResultLine, formatSummary } from "../../recorder/report-format.js";

/** Files and folders (their *.jsonl, sorted) as a flat file list. */
const record = defineCommand({
  command: "record",
  describe: "Relay clients to a legacy gateway and record every connection as a JSONL fixture",
  builder: (y) =>
    y
      .option("listen", { type: "number", demandOption: true, describe: "port to listen on (0 = any free port)" })
      .option("legacy", { type: "string", demandOption: true, describe: "ws://host:port of the legacy gateway" })
      .option("out", { type: "string", demandOption: true, describe: "folder for the fixture files (one per connection)" })
      .option("token", { type: "string", describe: "the gateway's shared token, so fixtures mark it for replay (never written)" })
      .option("host", { type: "string", default: "127.0.0.1", describe: "address to listen on" })
      .example("$0 record --listen 18790 --legacy ws://127.0.0.1:18789 --out fixtures/new", "record through port 18790"),
  handler: async (argv) => {
    const token = argv.token;
    const writer = new FixtureWriter({
      outDir: resolve(argv.out),
      ...(token ? { gatewayToken: token } : {}),
      onError: (id, err) => process.stderr.write(`recording of connection ${id} stopped: ${err.message}\n`),
    });
    const proxy = await startProxy({ listenHost: argv.host, listenPort: argv.listen, legacyUrl: argv.legacy, tap: writer, logLevel: "warn" });
    process.stdout.write(`recording ${proxy.url} -> ${argv.legacy} into ${resolve(argv.out)} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = (): void => void proxy.close().then(done);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    process.stdout.write(`wrote ${writer.files().length} fixture(s)\n`);
  },
});

const replay = defineCommand({
  command: "replay [fixtures..]",
  describe: "Replay recorded fixtures against a target and compare the answers (exit 1 on any difference)",
  builder: (y) =>
    y
      .positional("fixtures", { type: "string", array: true, default: [`fixtures/recorded/${DEFAULT_LEGACY_VERSION}`], describe: "fixture files or folders (default: the default legacy release's suite)" })
      .option("target", { type: "string", demandOption: true, describe: "ws://host:port of the runtime to test" })
      .option("token", { type: "string", demandOption: true, describe: "the target's shared token" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON report instead of lines" })
      .option("check-contract", { type: "boolean", default: false, describe: "also report every frame the target sends that the frozen contract does not allow" })
      .option("contract", { type: "string", describe: "with --check-contract: a frozen release (fixtures/contract/<release>/) instead of the pinned package contract" })
      .option("timeout", { type: "number", default: 15000, describe: "ms to wait for each answer" })
      .option("state-dir", { type: "string", describe: "store per-method results in <state-dir>/parity.sqlite (for parity report and gates)" })
      .option("store", { type: "string", describe: "store per-method results in this parity store file, or a fleet's postgres:// URL" })
      .option("target-kind", { type: "string", choices: TARGET_KINDS, describe: "what --target is (legacy or hanzod); required with --state-dir/--store" })
      .conflicts("state-dir", "store")
      .check((a) => {
        const storing = a["state-dir"] !== undefined || a.store !== undefined;
        if (storing && a["target-kind"] === undefined) throw new Error("--target-kind legacy|hanzod is required when storing results (--state-dir or --store)");
        return true;
      })
      .example("$0 replay --target ws://127.0.0.1:18789 --token T fixtures/recorded/2026.9.6", "replay the 2026.9.6 suite")
      .example("$0 replay --target URL --token T --check-contract --contract 2026.9.1 fixtures/recorded/2026.9.1", "replay and check every answer against the 2026.9.1 contract")
      .example("$0 replay --target ws://127.0.0.1:18789 --token T --target-kind legacy --state-dir .hanzonode", "replay and store the results for parity report"),
  handler: async (argv) => {
    const fixtures = argv.fixtures;
    const files = expandFixturePaths(fixtures);
    const json = argv.json === true;
    const checkContract = argv["check-contract"] === true;
    const report = await replayFixtures({
      target: argv.target,
      token: argv.token,
      files,
      checkContract,
      ...(typeof argv.contract === "string" ? { contractRelease: argv.contract } : {}),
      answerTimeoutMs: argv.timeout,
      onResult: json ? undefined : (r, i, n) => process.stdout.write(formatResultLine(r, i, n) + "\n"),
    });
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else {
      process.stdout.write(formatSummary(report) + "\n");
      if (checkContract) process.stdout.write(formatDrift(report.drift) + "\n");
    }
    // .check() above demands --target-kind whenever results are stored.
    if ((argv.stateDir !== undefined || argv.store !== undefined) && argv.targetKind !== undefined) {
      const storePath = storePathFrom({ store: argv.store, stateDir: argv.stateDir });
      const rows = await storeReplayRun(report, { storePath, targetKind: argv.targetKind, source: fixtures.join(" ") });
      // stderr, so --json output stays one JSON document
      process.stderr.write(`stored replay results of ${rows.length} method(s) against ${argv.targetKind} in ${isPostgresUrl(storePath) ? redactUrl(storePath) : storePath}\n`);
    }
    process.exitCode = report.ok ? 0 : 1;
  },
});

export const recorderCommands: CliCommand[] = [record, replay];
