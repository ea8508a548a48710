/**
 * A fuzz target process: hanzod or the proxy, started from a JSON spec on argv, with the watchdog.
 * It tells its parent `{ kind: "ready", url }` over IPC, answers `{ kind: "gc" }` (so idle RSS is
 * measured after a collection when --expose-gc is on) and stops on SIGTERM.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWatchdog } from "./watchdog.js";

export type TargetSpec =
  | { kind: "hanzod"; token: string; trustedProxies: string[] }
  | { kind: "proxy"; hanzodUrl: string; hanzodToken: string; checklistPath: string };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as TargetSpec;
  startWatchdog();
  let stop: () => Promise<void>;
  let url: string;
  if (spec.kind === "hanzod") {
    const { startHanzod } = await import("../hanzod/index.js");
    const stateDir = mkdtempSync(join(tmpdir(), "fuzz-hanzod-"));
    const h = await startHanzod({ port: 0, auth: { mode: "token", token: spec.token }, stateDir, trustedProxies: spec.trustedProxies, logger: false });
    url = h.url;
    stop = async () => {
      await h.close();
      rmSync(stateDir, { recursive: true, force: true });
    };
  } else {
    const { startProxy } = await import("../proxy/index.js");
    const p = await startProxy({ listenPort: 0, hanzodUrl: spec.hanzodUrl, hanzodToken: spec.hanzodToken, checklistPath: spec.checklistPath, logLevel: "silent" });
    url = p.url;
    stop = () => p.close();
  }
  process.on("message", (m: { kind?: string }) => {
    if (m.kind === "gc") (globalThis as { gc?: () => void }).gc?.();
  });
  process.once("SIGTERM", () => {
    void stop().finally(() => process.exit(0));
  });
  process.send?.({ kind: "ready", url });
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz target failed: ${String(err)}\n`);
  process.exit(1);
});
