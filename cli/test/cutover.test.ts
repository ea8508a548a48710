/**
 * The cutover gate on prepared stores (the real parity store, checklist and audit log): one used method
 * still on the legacy is named and fails the check; with everything on hanzod and passing, the check
 * succeeds and `cutover` writes the direct client config, audits it, and says how to return; that config
 * reaches a real hanzod with no proxy in the path, and the legacy's own clients are served there: its CLI,
 * its node host (connected and listed in hanzod's presence), and its Control UI served by hanzod from the
 * installed package's assets (headless Chromium, each tested release).
 */
import { NODE_OWNER_GAPS } from "../../hanzod/registry.js";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DiffStore } from "../../parity/store/diff-store.js";
import { readAudit } from "../../parity/checklist/index.js";
import type { ComparisonRow } from "../../parity/store/types.js";
import { checkCutover } from "../cutover/check.js";
import { cutover } from "../cutover/apply.js";
import { resolveClientTarget } from "../status/client-target.js";
import { probeGateway } from "../status/probe.js";
import { connectOperator, request, startTestHanzod, useTestHanzod, type TestHanzod } from "../../hanzod/test/helpers.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";
import { spawnNodeHost } from "../../proxy/test/node-host-run.js";
import { legacyControlUiRoot } from "../../hanzod/core/http/control-ui.js";
import { ChromiumPage, ensureChromium } from "../../test/chromium-page.js";
import { requestsOf, uiPhase } from "../../test/control-ui-state.js";
import { ensureLegacyInstalled, runOpenclawCli } from "../../scripts/legacy/index.js";

const legacy = inject("legacy");

const HOUR = 3_600_000;
const now = Date.now();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hanzonode-cutover-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function checklist(lines: string[]): string {
  const path = join(dir, "checklist.yaml");
  writeFileSync(path, ["version: 1", ...lines, ""].join("\n"));
  return path;
}

const SHADOW_CALLS = 5000;
const ALL_HANZOD = ["authOwner: hanzod", "nodeOwner: hanzod", "default: hanzod"];

function shadowRows(method: string, n: number): ComparisonRow[] {
  return Array.from({ length: n }, () => ({ at: now - 2 * HOUR, kind: "shadow" as const, method, connectionId: "c", expectedOk: true, actualOk: true, expectedMs: 10, actualMs: 9, failure: null, signature: "", differenceCount: 0 }));
}

/** Traffic: `served` calls per method by `backend`, `hoursAgo` ago; shadow evidence and a green replay for each. */
function store(traffic: { method: string; backend: "legacy" | "hanzod"; hoursAgo: number }[]): string {
  const path = join(dir, "parity.sqlite");
  const s = DiffStore.open(path);
  try {
    const methods = [...new Set(traffic.map((t) => t.method))];
    s.writeBatch({
      // Enough all-matching calls for the match-rate gate's lower bound to clear 99.9 % (Wilson: about 3,900).
      comparisons: methods.flatMap((m) => shadowRows(m, SHADOW_CALLS)),
      latency: traffic.map((t) => ({ method: t.method, backend: t.backend, hour: Math.floor((now - t.hoursAgo * HOUR) / HOUR) * HOUR, bin: 10, count: 50, errors: 0 })),
    });
    s.recordReplayRun({ at: now - HOUR, target: "hanzod", results: methods.map((m) => ({ method: m, passed: 3, failed: 0 })) });
  } finally {
    s.close();
  }
  return path;
}

const window = { since: now - 7 * 24 * HOUR, quietMs: 24 * HOUR, now };

/**
 * hanzod still leaves paths through a node to the legacy (hanzod/domains/nodes/owner-gaps.ts), which blocks every
 * cutover; the cases about the rest of the flow run as if it served them all, and one case shows the blocker itself.
 */
const EVERY_NODE_COMMAND_SERVED = { nodeOwnerGaps: new Map<string, string>() };

/** One hanzod for the file, standing beside the shared legacy's release, with no proxy in front of it. */
const hz = useTestHanzod({ compat: legacy.version });

/** A store and checklist on which the gate holds, and the client config `cutover` writes for them. */
async function applyCutover(to: TestHanzod = hz): Promise<{ clientConfigPath: string; lines: string[] }> {
  const storePath = store([{ method: "health", backend: "hanzod", hoursAgo: 1 }]);
  const clientConfigPath = join(dir, "client", "openclaw.json");
  const out = await cutover({ storePath, checklistPath: checklist(ALL_HANZOD), stateDir: dir, ...window, ...EVERY_NODE_COMMAND_SERVED, hanzodUrl: to.url, clientConfigPath, token: to.token });
  expect(out.applied, out.lines.join("\n")).toBe(true);
  return { clientConfigPath, lines: out.lines };
}

describe("hanzonode cutover --check", () => {
  it("names a used method still routed to the legacy (and its recent legacy traffic) and fails", async () => {
    const storePath = store([
      { method: "health", backend: "hanzod", hoursAgo: 1 },
      { method: "status", backend: "legacy", hoursAgo: 1 },
    ]);
    const r = await checkCutover({ storePath, checklistPath: checklist([...ALL_HANZOD, "methods:", "  status: legacy"]), stateDir: dir, ...window });
    expect(r.ok).toBe(false);
    expect(r.seen).toEqual(["health", "status"]);
    expect(r.blockers).toContain("method status: used in the window but routed to legacy, not hanzod");
    expect(r.blockers).toContain("method status: 50 request(s) answered by the legacy in the last 24 h");
    expect(r.blockers.some((b) => b.includes("health"))).toBe(false);
  });

  it("names owners and unmoved channel families", async () => {
    const storePath = store([{ method: "health", backend: "hanzod", hoursAgo: 1 }]);
    const r = await checkCutover({ storePath, checklistPath: checklist(["authOwner: legacy", "nodeOwner: hanzod", "default: hanzod", "phases:", "  phase4: legacy"]), stateDir: dir, ...window });
    expect(r.ok).toBe(false);
    expect(r.blockers).toContain("authOwner is legacy: connect/auth still on the legacy (hanzonode parity promote --owner auth --to hanzod)");
    expect(r.blockers.some((b) => /^channel family channels\.\*: not moved/.test(b))).toBe(true);
  });

  it("names the paths through a node hanzod does not serve: without the legacy nobody would serve them", async () => {
    const storePath = store([{ method: "health", backend: "hanzod", hoursAgo: 1 }]);
    const r = await checkCutover({ storePath, checklistPath: checklist(ALL_HANZOD), stateDir: dir, ...window });
    expect(r.ok).toBe(false);
    expect(r.blockers).toEqual([expect.stringMatching(/^node commands: hanzod does not serve: .*the legacy's agents' exec on a node \(/)]);
    for (const path of NODE_OWNER_GAPS.keys()) expect(r.blockers[0]).toContain(`${path} (`);
    const served = await checkCutover({ storePath, checklistPath: checklist(ALL_HANZOD), stateDir: dir, ...window, ...EVERY_NODE_COMMAND_SERVED });
    expect(served.blockers).toEqual([]);
  });

  it("fails a used method on hanzod whose gate does not pass (a failing contract replay)", async () => {
    const storePath = store([{ method: "health", backend: "hanzod", hoursAgo: 1 }]);
    const s = DiffStore.open(storePath);
    s.recordReplayRun({ at: now, target: "hanzod", results: [{ method: "health", passed: 1, failed: 2, firstFailure: "missing /ok" }] });
    s.close();
    const r = await checkCutover({ storePath, checklistPath: checklist(ALL_HANZOD), stateDir: dir, ...window });
    expect(r.ok).toBe(false);
    expect(r.blockers.find((b) => b.startsWith("method health: gate toward hanzod is fail"))).toMatch(/contract-replay fail/);
  });

  it("passes when everything seen is on hanzod with passing gates and the legacy was quiet; cutover writes the direct config and audits it", async () => {
    const storePath = store([
      { method: "health", backend: "hanzod", hoursAgo: 1 },
      { method: "status", backend: "hanzod", hoursAgo: 1 },
      { method: "status", backend: "legacy", hoursAgo: 30 }, // before the quiet period
    ]);
    const checklistPath = checklist(ALL_HANZOD);
    const r = await checkCutover({ storePath, checklistPath, stateDir: dir, ...window, ...EVERY_NODE_COMMAND_SERVED });
    expect(r.blockers).toEqual([]);
    expect(r.ok).toBe(true);

    const clientConfigPath = join(dir, "client", "openclaw.json");
    const out = await cutover({ storePath, checklistPath, stateDir: dir, ...window, ...EVERY_NODE_COMMAND_SERVED, hanzodUrl: hz.url, clientConfigPath, token: hz.token });
    expect(out.applied).toBe(true);
    expect(JSON.parse(readFileSync(clientConfigPath, "utf8"))).toMatchObject({ gateway: { mode: "remote", remote: { url: hz.url, transport: "direct", token: hz.token } } });
    const audit = await readAudit(dir);
    expect(audit.at(-1)).toMatchObject({ target: "cutover", new: hz.url, forced: false });
    expect(out.lines.join("\n")).toMatch(/to return while the legacy still exists/);

    // What that config reaches: hanzod itself, no proxy in the path (hanzonode status's probe) ...
    const target = resolveClientTarget(clientConfigPath, {});
    expect(target).toMatchObject({ mode: "remote", url: hz.url });
    expect(await probeGateway(target.url, { token: target.token! })).toMatchObject({ runtime: "hanzod", viaProxy: false });
    // ... and the legacy's own CLI, configured only by that file, is served there.
    const install = await ensureLegacyInstalled(legacy.version);
    const cli = await runOpenclawCli(install, ["gateway", "call", "health", "--json"], { env: { OPENCLAW_CONFIG_PATH: clientConfigPath }, timeoutMs: 90_000 });
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true });
  }, 180_000);

  it("the node host, configured by the cutover config, connects to hanzod directly, is listed in hanzod's presence and stays connected", async () => {
    const { clientConfigPath, lines } = await applyCutover();
    const target = resolveClientTarget(clientConfigPath, {});
    // `openclaw node run` takes its endpoint from flags (its own node config, not gateway.remote.url): the
    // cutover prints them; its token comes from the config (gateway.mode remote: gateway.remote.token), so
    // none is given in the environment.
    const url = new URL(target.url);
    expect(lines).toContain(`node host: OPENCLAW_CONFIG_PATH=${clientConfigPath} openclaw node run --host ${url.hostname} --port ${url.port}`);
    const displayName = `cutover-node-${process.pid}`;
    const host = await spawnNodeHost(legacy, Number(url.port), displayName, undefined, { host: url.hostname, env: { OPENCLAW_CONFIG_PATH: clientConfigPath, OPENCLAW_GATEWAY_TOKEN: undefined } });
    const op = await connectOperator(hz.url, hz.token, ["operator.read"]);
    try {
      const nodeRow = async () => ((await request(op.s, "system-presence", {})).payload as Array<Record<string, unknown>>).find((p) => p.mode === "node" && p.host === displayName);
      await expect.poll(nodeRow, { timeout: 120_000, interval: 500 }).toMatchObject({ mode: "node", clientId: "node-host", roles: ["node"], deviceId: expect.any(String) });
      expect((await nodeRow())?.reason).not.toBe("disconnect");
      // Its own word: connected to hanzod's URL (no proxy in between). It logs that after hello-ok, so the line
      // can come after hanzod already lists the node: wait for it rather than read the output at once.
      await expect.poll(() => host.output(), { timeout: 30_000, interval: 250 }).toContain(`node host gateway connected: ${hz.url}`);
      // Its start-up publications (node.event host stats, node.runnerInventory.update, node.skills.update,
      // node.pluginTools.update) hanzod answers where it can (hanzod/domains/nodes) and declines the rest; the
      // node host retries a declined one as a transient failure (every <= 5 s), which does not close its
      // connection. Still there after a few retry rounds:
      await new Promise((r) => setTimeout(r, 6_000));
      expect(host.alive(), host.output().slice(-1500)).toBe(true);
      expect((await nodeRow())?.reason).not.toBe("disconnect");
      expect(host.output()).not.toMatch(/gateway closed/);
      // Stopped by PID: hanzod's presence marks it gone (the row stays, as the legacy's does, until it expires).
      await host.stop();
      await expect.poll(async () => (await nodeRow())?.reason, { timeout: 15_000, interval: 500 }).toBe("disconnect");
    } finally {
      op.s.close();
      await host.stop();
    }
  }, 240_000);

  // Per release (no legacy gateway needed: its installed package gives the UI's assets), as the UI's build
  // check and start-up differ between releases.
  it.each(releasesUnderTest())("the Control UI of openclaw %s, opened at the cutover config's URL with its token, is served by hanzod and connects to it, with no build-mismatch reload", async (release) => {
    const install = await ensureLegacyInstalled(release);
    const own = await startTestHanzod({ compat: release, controlUiRoot: legacyControlUiRoot(dirname(install.openclawEntry)) });
    try {
      await controlUiConnects(own, release);
    } finally {
      await own.stop();
    }
  }, 120_000);


  it("a rollback to legacy inside the quiet period blocks; the CLI exits 1 and prints the blockers", async () => {
    const storePath = store([{ method: "health", backend: "hanzod", hoursAgo: 1 }]);
    const checklistPath = checklist(ALL_HANZOD);
    writeFileSync(join(dir, "audit.jsonl"), `${JSON.stringify({ when: new Date(now - HOUR).toISOString(), who: "ops", why: "incident", file: checklistPath, target: "methods.health", old: "hanzod", new: "legacy", forced: false })}\n`);
    const run = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "hanzonode.ts"), "cutover", "--check", "--state-dir", dir, "--store", storePath, "--checklist", checklistPath], { cwd: join(import.meta.dirname, "..", "..") }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      ),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/the legacy cannot go yet/);
    expect(run.stdout).toMatch(/blocks: audit: methods.health changed to legacy at .* by ops, within the quiet period/);
  }, 60_000);
});

/**
 * Releases whose UI service worker reloads a first document that does not answer its 1 s version probe in
 * time (a busy machine; 2026.9.1's sw.js navigateSuspendedClient, gone in 2026.9.6). That reload can land
 * at any point after the UI connected, so for them the test keeps the worker from registering (the UI
 * logs a warning and runs without its offline cache): what is checked is hanzod serving the UI and the UI
 * connecting, not the worker's timing.
 */
const SW_PROBE_RELOAD = new Set(["2026.9.1"]);
const NO_SERVICE_WORKER = `navigator.serviceWorker && (navigator.serviceWorker.register = () => Promise.reject(new Error("service worker left out by the test")));`;

/** The cutover config for `to`, the Control UI opened with it in headless Chromium: connected to hanzod. */
async function controlUiConnects(to: TestHanzod, release: string): Promise<void> {
  const { clientConfigPath, lines } = await applyCutover(to);
  const target = resolveClientTarget(clientConfigPath, {});
  const httpUrl = target.url.replace(/^ws/, "http");
  expect(lines).toContain(`control UI: ${httpUrl}/ (served by hanzod from the legacy's installed assets; sign in with the gateway token)`);
  const page = await ChromiumPage.launch(ensureChromium());
  try {
    if (SW_PROBE_RELOAD.has(release)) await page.send("Page.addScriptToEvaluateOnNewDocument", { source: NO_SERVICE_WORKER });
    await page.navigate(`${httpUrl}/#token=${encodeURIComponent(target.token!)}`);
    await expect.poll(() => uiPhase(page), { timeout: 60_000, interval: 500 }).toBe("connected");
    // Connected is enough here: hanzod declines the start-up reads it does not serve (no legacy behind it); it
    // answers each of them on the socket the UI keeps.
    const last = () => [...page.sockets.values()].at(-1)!;
    await expect.poll(() => requestsOf(page, [last()]).sent.length > 1 && requestsOf(page, [last()]).unanswered.length === 0, { timeout: 30_000, interval: 500 }).toBe(true);
    const state = requestsOf(page, [last()]);
    const why = JSON.stringify({ navigations: page.navigations, failedRequests: page.failedRequests, exceptions: page.consoleErrors, state });
    // No reload over a build mismatch (that one goes to /chat?openclaw_mount_recovery=...), nor any other.
    expect(page.navigations.length, why).toBe(1);
    for (const n of page.navigations) expect(n, why).toBe(`${httpUrl}/`);
    expect(page.sockets.size, why).toBe(page.navigations.length);
    for (const s of page.sockets.values()) expect(s.url, why).toMatch(new RegExp(`^${target.url}/?$`));
    expect(await uiPhase(page)).toBe("connected");
    const text = await page.text();
    for (const banned of ["Server updated", "Refresh for full capabilities", "Offline", "Reconnecting…"]) expect(text, `page text contains "${banned}"`).not.toContain(banned);
    // Its hello-ok came from hanzod, which says the UI's assets are not its own build.
    const hello = last().received.map((r) => JSON.parse(r) as { type?: string; ok?: boolean; payload?: { type?: string; server?: Record<string, unknown> } }).find((f) => f.payload?.type === "hello-ok");
    expect(hello?.payload?.server).toMatchObject({ buildId: `hanzod-${release}`, controlUiBuildSource: "configured" });
    console.info(`[cutover control UI ${release}] start-up requests hanzod declined: ${[...new Set(state.failed)].join(", ") || "none"}; page loads: ${page.navigations.length}`);
  } finally {
    await page.close();
  }
}
