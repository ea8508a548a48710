/**
 * The real openclaw node host (`openclaw node run`) for proxy tests: started against a proxy port, its
 * command surface approved by an operator, and `system.which` invoked on it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type inject } from "vitest";
import { ensureLegacyInstalled, legacyEnv, stopProcessGroup } from "../../scripts/legacy/index.js";
import { maybePayload, payloadOf, type ResponseFrame, type TestClient } from "./ws-client.js";

type LegacyInfo = ReturnType<typeof inject<"legacy">>;

export interface NodeHostRun {
  /** Everything it printed so far (for failure messages). */
  output(): string;
  /** The node host's PID (stopped by it, with its process group). */
  pid: number | undefined;
  /** Whether it is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface NodeHostSpawnOptions {
  /** The gateway's host (default 127.0.0.1). */
  host?: string;
  /**
   * Environment on top of the default one (the shared legacy's token in OPENCLAW_GATEWAY_TOKEN): e.g.
   * OPENCLAW_CONFIG_PATH for a client config, with OPENCLAW_GATEWAY_TOKEN undefined so the token comes
   * from that config.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the node host with its own HOME (its own device identity) against `port`; with `home` given,
 * in that HOME (the same device as an earlier run there), which the caller removes.
 */
export async function spawnNodeHost(legacy: LegacyInfo, port: number, displayName: string, home?: string, opts: NodeHostSpawnOptions = {}): Promise<NodeHostRun> {
  const ownHome = home === undefined;
  home ??= mkdtempSync(join(tmpdir(), "proxy-node-host-"));
  const install = await ensureLegacyInstalled(legacy.version, () => undefined);
  let output = "";
  // The node CLI has no --token flag: the legacy's token comes from the environment.
  const child: ChildProcess = spawn(legacy.nodeBin, [legacy.openclawEntry, "node", "run", "--host", opts.host ?? "127.0.0.1", "--port", String(port), "--display-name", displayName], {
    env: legacyEnv(install, { HOME: home, OPENCLAW_GATEWAY_TOKEN: legacy.token, ...opts.env }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  return {
    output: () => output,
    pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      await stopProcessGroup(child);
      if (ownHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The node host pairs silently (a loopback client through the proxy stays local) and then asks for its
 * command surface: the operator approves it and waits for the node in node.list. Returns its node id.
 */
export async function approveNodeHost(op: TestClient, displayName: string, run: NodeHostRun): Promise<string> {
  let pending: { requestId: string; nodeId: string } | undefined;
  const deadline = Date.now() + 90_000;
  while (pending === undefined) {
    if (Date.now() > deadline) throw new Error(`no pending surface from the node host; its output: ${run.output().slice(-1500)}`);
    const r = await op.call("node.pair.list", {});
    pending = (maybePayload(r)?.pending as Array<{ requestId: string; nodeId: string; displayName?: string }> | undefined)?.find((p) => p.displayName === displayName);
    if (pending === undefined) await new Promise((r) => setTimeout(r, 500));
  }
  const { requestId, nodeId } = pending;
  const approved = await op.call("node.pair.approve", { requestId });
  expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
  await expect
    .poll(async () => (maybePayload(await op.call("node.list", {}))?.nodes as Array<{ nodeId: string; connected?: boolean }> | undefined)?.find((n) => n.nodeId === nodeId), { timeout: 30_000, interval: 500 })
    .toMatchObject({ nodeId, clientId: "node-host", clientMode: "node", displayName, connected: true });
  return nodeId;
}

/** node.invoke system.which until the freshly approved surface answers; asserts the node's answer. */
export async function invokeWhich(op: TestClient, nodeId: string): Promise<void> {
  let invoked: ResponseFrame | undefined;
  await expect
    .poll(
      async () => {
        invoked = await op.call("node.invoke", { nodeId, command: "system.which", params: { bins: ["sh"] }, timeoutMs: 10_000, idempotencyKey: `proxy-node-${Date.now()}-${Math.random()}` });
        return invoked.ok;
      },
      { timeout: 30_000, interval: 500 },
    )
    .toBe(true);
  expect(invoked!.payload).toMatchObject({ ok: true, nodeId, command: "system.which" });
  expect(typeof (payloadOf(invoked).payload as { bins: { sh: unknown } }).bins.sh).toBe("string");
}
