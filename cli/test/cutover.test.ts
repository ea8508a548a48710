/**
 * The cutover gate on prepared stores (the real parity store, checklist and audit log): one used method
 * still on the legacy is named and fails the check; with everything on hanzod and passing, the check
 * succeeds and `cutover` writes the direct client config, audits it, and says how to return; that config
 * reaches a real hanzod with no proxy in the path, and the legacy's own CLI is served there.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiffStore } from "../../parity/store/diff-store.js";
import { readAudit } from "../../parity/checklist/index.js";
import type { ComparisonRow } from "../../parity/store/types.js";
import { checkCutover } from "../cutover/check.js";
import { cutover } from "../cutover/apply.js";
import { resolveClientTarget } from "../status/client-target.js";
import { probeGateway } from "../status/probe.js";
import { startTestHanzod } from "../../hanzod/test/helpers.js";
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
    const r = await checkCutover({ storePath, checklistPath, stateDir: dir, ...window });
    expect(r.blockers).toEqual([]);
    expect(r.ok).toBe(true);

    const hanzod = await startTestHanzod();
    try {
      const clientConfigPath = join(dir, "client", "openclaw.json");
      const out = await cutover({ storePath, checklistPath, stateDir: dir, ...window, hanzodUrl: hanzod.url, clientConfigPath, token: hanzod.token });
      expect(out.applied).toBe(true);
      expect(JSON.parse(readFileSync(clientConfigPath, "utf8"))).toMatchObject({ gateway: { mode: "remote", remote: { url: hanzod.url, transport: "direct", token: hanzod.token } } });
      const audit = await readAudit(dir);
      expect(audit.at(-1)).toMatchObject({ target: "cutover", new: hanzod.url, forced: false });
      expect(out.lines.join("\n")).toMatch(/to return while the legacy still exists/);

      // What that config reaches: hanzod itself, no proxy in the path (hanzonode status's probe) ...
      const target = resolveClientTarget(clientConfigPath, {});
      expect(target).toMatchObject({ mode: "remote", url: hanzod.url });
      expect(await probeGateway(target.url, { token: target.token! })).toMatchObject({ runtime: "hanzod", viaProxy: false });
      // ... and the legacy's own CLI, configured only by that file, is served there.
      const install = await ensureLegacyInstalled(legacy.version);
      const cli = await runOpenclawCli(install, ["gateway", "call", "health", "--json"], { env: { OPENCLAW_CONFIG_PATH: clientConfigPath }, timeoutMs: 90_000 });
      expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true });
    } finally {
      await hanzod.stop();
    }
  }, 180_000);

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
