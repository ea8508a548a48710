/** `hanzonode parity ...`: report, learn, promote, rollback. Logic lives in report/, noise/, gates/. */
import type { Argv } from "yargs";
import { defineCommand, type CliCommand } from "../command.js";
import { DEFAULT_RULES } from "../../parity/compare/index.js";
import { ChecklistError } from "../../parity/checklist/index.js";
import { checklistPathFrom, parseSince, phaseName, stateDirFrom, storePathFrom } from "../options.js";
import { promote, rollback, type PromoteOutcome, type PromotionScope } from "../../parity/gates/promote.js";
import { NoiseModel } from "../../parity/noise/model.js";
import { DEFAULT_NOISE_THRESHOLDS } from "../../parity/noise/thresholds.js";
import { learnFromFixtures } from "../../parity/noise/offline.js";
import { suggestedRulesYaml } from "../../parity/noise/suggest.js";
import { fixtureFiles } from "../../parity/report/coverage-sources.js";
import { runReport } from "../../parity/report/run.js";
import { DiffStore } from "../../parity/store/diff-store.js";
import { isPostgresUrl } from "../../parity/store/open.js";

function storeOptions<T>(y: Argv<T>) {
  return y
    .option("state-dir", { type: "string", describe: "State dir holding parity.sqlite and audit.jsonl (default ./.hanzonode)" })
    .option("store", { type: "string", describe: "The diff store: a file (default <state-dir>/parity.sqlite) or postgres://... (a fleet's shared store, which also holds its checklist and audit log)" });
}

/** User errors become one clear line and exit code 1, not a stack trace. */
async function guarded(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    const message = err instanceof ChecklistError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`hanzonode parity: ${message}\n`);
    process.exitCode = 1;
  }
}

function scopeFrom(argv: { method?: string; phase?: string; owner?: string }): PromotionScope {
  const { method, phase, owner } = argv;
  if ([method, phase, owner].filter((x) => x !== undefined).length > 1) throw new Error("name one of METHOD, --phase N or --owner auth|nodes");
  if (method) return { method };
  if (phase) return { phase: phaseName(phase) };
  if (owner === "auth" || owner === "nodes") return { owner };
  if (owner !== undefined) throw new Error(`--owner takes auth or nodes, not ${owner}`);
  throw new Error("name a METHOD, --phase N or --owner auth|nodes");
}

function missingTo(): never {
  throw new Error("say where to: --to shadow | canary:N | hanzod");
}

function printOutcome(o: PromoteOutcome): void {
  for (const g of o.gates) {
    if (g.checks.length === 0) continue;
    process.stdout.write(`${g.method} -> ${g.target}: ${g.verdict}\n`);
    for (const c of g.checks) process.stdout.write(`  ${c.verdict.padEnd(12)} ${c.check.padEnd(16)} ${c.detail}\n`);
  }
  (o.applied || o.verdict === "pass" ? process.stdout : process.stderr).write(o.message + "\n");
}

const report = defineCommand({
  command: "report",
  describe: "Per-method parity (match after noise, differing paths, latency, errors) and contract coverage",
  builder: (y) =>
    storeOptions(y)
      .option("checklist", { type: "string", describe: "Checklist for routes and gates (default parity/checklist.yaml when present)" })
      .option("since", { type: "string", describe: "Only evidence newer than this: 24h, 30m, 7d or an ISO date" })
      .option("json", { type: "boolean", describe: "Print the stable JSON (parity/REPORT-FORMAT.md)" })
      .option("html", { type: "string", describe: "Write a self-contained HTML report to FILE" })
      .option("fail-under", { type: "number", describe: "Exit 1 when a shadowed or cut-over method matches below PCT percent" })
      .option("fixtures", { type: "array", string: true, describe: "Fixture files/folders for the recorded column (default fixtures/recorded)" })
      .option("all", { type: "boolean", describe: "List every contract method, not only active ones" })
      .conflicts("json", "html"),
  handler: (argv) =>
    guarded(async () => {
      const since = typeof argv.since === "string" ? parseSince(argv.since) : undefined;
      const failUnder = typeof argv.failUnder === "number" ? argv.failUnder : undefined;
      if (failUnder !== undefined && !(failUnder >= 0 && failUnder <= 100)) throw new Error("--fail-under takes a percentage between 0 and 100");
      const { exitCode } = await runReport({
        storePath: storePathFrom(argv),
        // A fleet's routes live in its store; a --checklist given explicitly still wins.
        checklistPath: isPostgresUrl(storePathFrom(argv)) && typeof argv.checklist !== "string" ? undefined : checklistPathFrom(argv),
        since,
        sinceArg: typeof argv.since === "string" ? argv.since : undefined,
        json: argv.json === true,
        htmlFile: typeof argv.html === "string" ? argv.html : undefined,
        failUnderPercent: failUnder,
        fixtures: Array.isArray(argv.fixtures) ? argv.fixtures.map(String) : undefined,
        allMethods: argv.all === true,
      });
      return exitCode;
    }),
});

const learn = defineCommand({
  command: "learn [fixtures..]",
  describe: "Learn noise (paths that differ between two legacy answers) and print suggested checklist rules",
  builder: (y) =>
    storeOptions(y)
      .positional("fixtures", { type: "string", array: true, describe: "Fixture files or folders (recorded legacy traffic)" })
      .option("save", { type: "boolean", describe: "Also add what the fixtures taught to the store's learned noise" })
      .option("raw", { type: "boolean", describe: "Compare without the default normalisation rules (learn what they already hide too)" })
      .option("min-pairs", { type: "number", default: 2, describe: "Answer pairs a method needs before its noise is suggested (fixtures only)" }),
  handler: (argv) =>
    guarded(async () => {
      const inputs = Array.isArray(argv.fixtures) ? argv.fixtures.map(String) : [];
      const rules = argv.raw === true ? { global: { volatile: [] }, methods: {}, events: {} } : DEFAULT_RULES;
      if (inputs.length === 0) {
        // No fixtures: print what the live noise probes taught the store.
        const store = DiffStore.open(storePathFrom(argv), { mustExist: true });
        try {
          const model = new NoiseModel(store.noiseProbeCounts(), store.noisePaths());
          process.stdout.write(suggestedRulesYaml(model, [`Noise learned from live noise probes in ${store.path}`]));
        } finally {
          store.close();
        }
        return 0;
      }
      const files = fixtureFiles(inputs);
      if (files.length === 0) throw new Error(`no .jsonl fixtures under ${inputs.join(", ")}`);
      const learned = learnFromFixtures(files, rules);
      for (const u of learned.unreadable) process.stderr.write(`skipped ${u.file}: ${u.error}\n`);
      const pairs = learned.probes.reduce((n, p) => n + p.probes, 0);
      const minPairs = typeof argv.minPairs === "number" && argv.minPairs >= 1 ? Math.floor(argv.minPairs) : 2;
      const model = new NoiseModel(learned.probes, learned.paths, { ...DEFAULT_NOISE_THRESHOLDS, minProbes: minPairs });
      process.stdout.write(
        suggestedRulesYaml(model, [
          `Suggested compare rules, learned from ${learned.fixtures} fixture(s), ${pairs} answer pair(s) to the same method+params.`,
          `Paste under methods: in the checklist (merge with existing entries).`,
        ]),
      );
      if (argv.save === true) {
        const store = DiffStore.open(storePathFrom(argv));
        try {
          store.writeBatch({ noiseProbes: learned.probes, noisePaths: learned.paths });
          process.stderr.write(`saved to ${store.path}\n`);
        } finally {
          store.close();
        }
      }
      return 0;
    }),
});

function routeChangeOptions<T>(y: Argv<T>) {
  return storeOptions(y)
    .positional("method", { type: "string", describe: "The method to move" })
    .option("phase", { type: "string", describe: "Move a whole phase (1..4 or later) instead of one method" })
    .option("owner", { type: "string", describe: "Move whole connections instead: auth (every connect, tick/presence/health) or nodes (node-role connections); new connections only" })
    .option("checklist", { type: "string", describe: "The checklist to edit (default parity/checklist.yaml)" })
    .option("why", { type: "string", describe: "Reason, written to the audit log" })
    .option("who", { type: "string", describe: "Who is changing it (default user@host), written to the audit log" })
    .option("instance", { type: "string", describe: "With a postgres:// store: this actor's name in the fleet's audit log (default cli@host:pid)" })
    .option("json", { type: "boolean", describe: "Print the outcome as JSON" });
}

const promoteCmd = defineCommand({
  command: "promote [method]",
  describe: "Move a method (or phase) toward hanzod if its gate holds: --to shadow | canary:N | hanzod; or --owner auth|nodes",
  builder: (y) =>
    routeChangeOptions(y)
      .option("to", { type: "string", describe: "shadow, canary:N or hanzod (an --owner goes to hanzod)" })
      .option("force", { type: "boolean", describe: "Apply even when the gate does not pass (audited)" })
      .option("since", { type: "string", describe: "Only count evidence newer than this (24h, 7d, ISO date)" }),
  handler: (argv) =>
    guarded(async () => {
      const outcome = await promote({
        checklistPath: checklistPathFrom(argv, true)!,
        storePath: storePathFrom(argv),
        instance: typeof argv.instance === "string" ? argv.instance : undefined,
        stateDir: stateDirFrom(argv),
        scope: scopeFrom(argv),
        to: typeof argv.to === "string" ? argv.to : argv.owner !== undefined ? "hanzod" : missingTo(),
        force: argv.force === true,
        why: typeof argv.why === "string" ? argv.why : undefined,
        who: typeof argv.who === "string" ? argv.who : undefined,
        since: typeof argv.since === "string" ? parseSince(argv.since) : 0,
      });
      if (argv.json === true) process.stdout.write(JSON.stringify(outcome, null, 2) + "\n");
      else printOutcome(outcome);
      return outcome.applied || outcome.verdict === "pass" || outcome.forced ? 0 : 2;
    }),
});

const rollbackCmd = defineCommand({
  command: "rollback [method]",
  describe: "Move a method (or phase, or --owner auth|nodes) back to legacy (or --to shadow); always allowed, audited",
  builder: (y) => routeChangeOptions(y).option("to", { type: "string", default: "legacy", describe: "legacy (default) or shadow" }),
  handler: (argv) =>
    guarded(async () => {
      const r = await rollback({
        checklistPath: checklistPathFrom(argv, true)!,
        storePath: storePathFrom(argv),
        instance: typeof argv.instance === "string" ? argv.instance : undefined,
        stateDir: stateDirFrom(argv),
        scope: scopeFrom(argv),
        to: argv.to,
        why: typeof argv.why === "string" ? argv.why : undefined,
        who: typeof argv.who === "string" ? argv.who : undefined,
      });
      if (argv.json === true) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      else process.stdout.write(r.message + "\n");
      return 0;
    }),
});

const subcommands: CliCommand[] = [report, learn, promoteCmd, rollbackCmd];

export const parityCommands: CliCommand[] = [
  defineCommand({
    command: "parity",
    describe: "Shadow parity: report, learn noise, promote and roll back methods",
    builder: (y) => {
      let out = y;
      for (const c of subcommands) out = c.register(out);
      return out.demandCommand(1, "name a parity command: report, learn, promote or rollback");
    },
    handler: () => undefined,
  }),
];
