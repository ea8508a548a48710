/** `hanzonode cutover [--check]`: the phase-6 gate that retires the legacy, and the switch itself. */
import { defineCommand, type CliCommand } from "../command.js";
import { checklistPathFrom, parseSince, stateDirFrom, storePathFrom } from "../options.js";
import { checkCutover } from "../cutover/check.js";
import { cutover } from "../cutover/apply.js";
import { defaultClientConfigPath } from "../attach/client-config.js";

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

function duration(text: string): number {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m) throw new Error(`--quiet ${JSON.stringify(text)}: use a duration like 24h, 90m, 7d`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

const cmd = defineCommand({
  command: "cutover",
  describe: "Check whether the legacy can go (--check), or point clients at hanzod directly and record it",
  builder: (y) =>
    y
      .option("check", { type: "boolean", default: false, describe: "only say whether the legacy can go, and what blocks" })
      .option("state-dir", { type: "string", describe: "hanzonode state dir (parity store, audit log)" })
      .option("store", { type: "string", describe: "parity store (default <state-dir>/parity.sqlite)" })
      .option("checklist", { type: "string", describe: "parity checklist (default parity/checklist.yaml)" })
      .option("since", { type: "string", default: "7d", describe: "window of traffic that must all be on hanzod" })
      .option("quiet", { type: "string", default: "24h", describe: "period with no request answered by the legacy" })
      .option("hanzod-url", { type: "string", describe: "cutover: hanzod's URL clients attach to" })
      .option("client-config", { type: "string", describe: "cutover: openclaw.json to write (default OPENCLAW_CONFIG_PATH or ~/.openclaw/openclaw.json)" })
      .option("token", { type: "string", describe: "cutover: write gateway.remote.token" })
      .option("why", { type: "string", describe: "reason recorded in the audit log" }),
  handler: async (argv) => {
    const base = {
      storePath: storePathFrom(argv),
      checklistPath: checklistPathFrom(argv, true)!,
      stateDir: stateDirFrom(argv),
      since: parseSince(argv.since),
      quietMs: duration(argv.quiet),
    };
    if (argv.check) {
      const r = await checkCutover(base);
      process.stdout.write(`${r.ok ? "the legacy can go" : "the legacy cannot go yet"}: ${r.seen.length} method(s) seen since ${argv.since}\n`);
      for (const b of r.blockers) process.stdout.write(`  blocks: ${b}\n`);
      for (const n of r.notes) process.stdout.write(`  note: ${n}\n`);
      process.exitCode = r.ok ? 0 : 1;
      return;
    }
    if (typeof argv["hanzod-url"] !== "string") throw new Error("cutover needs --hanzod-url ws://host:port (where clients attach from now on)");
    const out = await cutover({
      ...base,
      hanzodUrl: argv["hanzod-url"],
      clientConfigPath: typeof argv["client-config"] === "string" ? argv["client-config"] : defaultClientConfigPath(),
      ...(argv.token ? { token: argv.token } : {}),
      ...(argv.why ? { why: argv.why } : {}),
    });
    for (const l of out.lines) process.stdout.write(`${l}\n`);
    process.exitCode = out.applied ? 0 : 1;
  },
});

export const cutoverCommands: CliCommand[] = [cmd];
