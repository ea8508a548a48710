/** Test support: real hanzod instances (in-process or as a killable child), checklist files, a sink. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { startTestHanzod as startHanzodForTest } from "../../hanzod/test/helpers.js";
import { injectHook } from "../../hanzod/test/inject-hook.js";
import { freePort } from "../../scripts/legacy/index.js";
import { REPO_ROOT } from "../../protocol/index.js";
import type { ShadowEventObservation, ShadowObservation, ShadowSink } from "../../parity/shadow-sink.js";
import { afterAll, beforeAll } from "vitest";
import { startProxy, type ProxyOptions, type RunningProxy } from "../index.js";
import { connectClient, payloadOf } from "./ws-client.js";

export const HANZOD_TOKEN = "proxy-test-hanzod-token";
/** Every hanzod answer to these methods carries the marker, so a test can tell who answered. */
export const MARK = { health: { "/answeredBy": "hanzod" }, status: { "/answeredBy": "hanzod" } };

export interface TestHanzod {
  url: string;
  close(): Promise<void>;
}

/** hanzod's own test helper, with the proxy tests' token, loopback trusted as a proxy and the answer marker. */
export async function startTestHanzod(extra: { tickIntervalMs?: number } = {}): Promise<TestHanzod> {
  const h = await startHanzodForTest({ auth: { mode: "token", token: HANZOD_TOKEN }, trustedProxies: ["127.0.0.1", "::1"], hooks: [injectHook(MARK)], ...extra });
  return { url: h.url, close: h.stop };
}

export interface SpawnedHanzod {
  url: string;
  child: ChildProcess;
  /** SIGSTOP: the sockets stay open, nothing is answered (a hung backend). */
  freeze(): void;
  /** SIGCONT after freeze. */
  thaw(): void;
  kill(): Promise<void>;
}

/**
 * hanzod as its own process, so a test can SIGKILL it mid-traffic or SIGSTOP it (hung, connected), or
 * measure its latency without sharing the test's event loop. `inject`: its test-only answer changes.
 */
export async function spawnHanzod(inject: Record<string, Record<string, unknown>> = MARK): Promise<SpawnedHanzod> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "proxy-hanzod-proc-"));
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "hanzod", "test", "hooked-child.ts"), "--port", String(port), "--token", HANZOD_TOKEN, "--trusted-proxy", "127.0.0.1", "--state-dir", stateDir], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, HANZOD_TEST_RESULT_OVERRIDES: JSON.stringify(inject) },
  });
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error("hanzod child did not listen within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const signalGroup = (sig: NodeJS.Signals): void => {
    // Its own process group (detached): signal the group by PID, tsx's child included.
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, sig);
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    child,
    freeze: () => signalGroup("SIGSTOP"),
    thaw: () => signalGroup("SIGCONT"),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid!, "SIGKILL");
        await gone;
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export function checklistFile(body: string): { path: string; write(body: string): void; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), "proxy-checklist-"));
  const path = join(dir, "checklist.yaml");
  const write = (b: string): void => {
    // Write-then-rename, as editors do: the watcher must see whole files only.
    writeFileSync(`${path}.tmp`, b);
    renameSync(`${path}.tmp`, path);
  };
  write(body);
  return { path, write, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export class CollectingSink implements ShadowSink {
  readonly observations: ShadowObservation[] = [];
  readonly events: ShadowEventObservation[] = [];
  readonly latencies: Array<{ method: string; backend: string; ok: boolean }> = [];
  submit(o: ShadowObservation): void {
    this.observations.push(o);
  }
  submitEvent(o: ShadowEventObservation): void {
    this.events.push(o);
  }
  recordLatency(method: string, backend: "legacy" | "hanzod", _latencyMs: number, ok: boolean): void {
    this.latencies.push({ method, backend, ok });
  }
  async close(): Promise<void> {}
}

export async function metricValue(adminPort: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{")) continue;
    if (want.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

export interface ProxyBesideHanzod {
  proxy: RunningProxy;
  hanzod: TestHanzod;
  /** The checklist the proxy watches: `file.write(...)` flips routes live. */
  file: ReturnType<typeof checklistFile>;
}

/**
 * The common fixture of a describe block: an in-process hanzod and a proxy in front of `legacyUrl` routing
 * by `checklistLines`, started in beforeAll and stopped in afterAll. Read the fields inside tests only.
 */
export function useProxyBesideHanzod(legacyUrl: string, checklistLines: string[], over: Partial<ProxyOptions> = {}): ProxyBesideHanzod {
  const file = checklistFile(checklistLines.join("\n"));
  const running = { file } as ProxyBesideHanzod;
  beforeAll(async () => {
    running.hanzod = await startTestHanzod();
    running.proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl, hanzodUrl: running.hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: file.path, logLevel: "silent", ...over });
  });
  afterAll(async () => {
    await running.proxy?.close();
    await running.hanzod?.close();
    file.dispose();
  });
  return running;
}

/**
 * The boot id of the process at `url`, from its own hello-ok. Through the proxy, hello-ok's
 * `server.bootId` is the auth owner's (proxy/hello/fields.ts): the way a test tells who accepted a connect.
 */
export async function bootIdOf(url: string, token: string): Promise<string> {
  const c = await connectClient(url, { token });
  try {
    return String((payloadOf(c.hello).server as { bootId?: unknown }).bootId);
  } finally {
    await c.close();
  }
}
