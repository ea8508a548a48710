/**
 * hanzod as its own process with test hooks, for tests that must SIGKILL or SIGSTOP it: `node --import
 * tsx hanzod/test/hooked-child.ts --port P --token T --state-dir D [--trusted-proxy IP]...` with
 * `HANZOD_TEST_RESULT_OVERRIDES` (JSON, see inject-hook.ts) in the environment. Prints "listening" when
 * ready; SIGTERM closes it. The production CLI (cli.ts) has no such switch.
 */
import { parseArgs } from "node:util";
import { startHanzod } from "../index.js";
import { injectHook, type ResultOverrides } from "./inject-hook.js";

const { values } = parseArgs({
  options: { port: { type: "string" }, token: { type: "string" }, "state-dir": { type: "string" }, "trusted-proxy": { type: "string", multiple: true } },
});
if (!values.port || !values.token || !values["state-dir"]) throw new Error("hooked-child: --port, --token and --state-dir are required");
const overrides = JSON.parse(process.env.HANZOD_TEST_RESULT_OVERRIDES ?? "{}") as ResultOverrides;
const handle = await startHanzod({
  port: Number(values.port),
  auth: { mode: "token", token: values.token },
  stateDir: values["state-dir"],
  trustedProxies: values["trusted-proxy"] ?? [],
  logger: false,
  hooks: [injectHook(overrides)],
});
process.stdout.write(`listening ${handle.url}\n`);
process.once("SIGTERM", () => void handle.close().then(() => process.exit(0)));
