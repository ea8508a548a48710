/**
 * Moving whole connections with `hanzonode parity promote|rollback --owner auth|nodes`, through the real
 * CLI: the gate reads hanzod's real method registry and the store's contract replay of `connect` (a real
 * replay of the recorded handshake against a real hanzod); the edit keeps the file loadable and is audited;
 * a running proxy gives new connections to the new owner.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONTRACT_METHOD_NAMES, REPO_ROOT, connectRaw, isNodeRoleMethod, recordedSuiteDir } from "../../protocol/index.js";
import { DEFAULT_LEGACY_VERSION } from "../../scripts/legacy/index.js";
import { HANZOD_METHODS, NODE_OWNER_GAPS } from "../../hanzod/registry.js";
import { readAudit } from "../checklist/index.js";
import { evaluateOwnerGate } from "../gates/owner-gate.js";
import type { GateConfig } from "../gates/types.js";
import { startProxy, type RunningProxy } from "../../proxy/index.js";
import { runHanzonode } from "./support/cli.js";
import { HANZOD_TOKEN, startTestHanzod, tempDir, waitFor, writeChecklist, type TempDir, type TestHanzod } from "./support/env.js";

const legacy = inject("legacy");
const HANDSHAKE_FIXTURE = join(recordedSuiteDir(DEFAULT_LEGACY_VERSION), "handshake.raw.jsonl");

// Each test runs the CLI (under tsx) three to six times: 10-25 s a run on a loaded two-core machine.
describe("promote and roll back an owner", { timeout: 300_000 }, () => {
  let dir: TempDir;
  let checklist: string;
  let hanzod: TestHanzod;
  let proxy: RunningProxy;

  beforeAll(async () => {
    dir = tempDir("parity-owners-");
    checklist = dir.file("checklist.yaml");
    writeChecklist(checklist, ["version: 1", "# who owns whole connections", "authOwner: legacy", "nodeOwner: legacy", "methods:", "  health: legacy"]);
    hanzod = await startTestHanzod();
    proxy = await startProxy({ listenPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, checklistPath: checklist, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy?.close();
    await hanzod?.close();
    dir?.dispose();
  });

  const parity = (...args: string[]) => runHanzonode(["parity", ...args, "--checklist", checklist, "--state-dir", dir.path, "--who", "test", "--json"]);
  /** Rolls an owner back, checks the file, and returns that owner's audit trail as [old, new, forced]. */
  const rollBackAndAudit = async (owner: "auth" | "nodes", key: string): Promise<{ trail: unknown[]; why: string[] }> => {
    const back = await parity("rollback", "--owner", owner);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(checklist, "utf8")).toMatch(new RegExp(`^${key}: legacy$`, "m"));
    const audit = (await readAudit(dir.path)).filter((e) => e.target === key);
    return { trail: audit.map((e) => [e.old, e.new, e.forced]), why: audit.map((e) => e.why) };
  };

  it("nodes: the gate fails for every node-role method hanzod's registry would lack and for every path through a node it does not serve; refused, then forced (audited) and rolled back", async () => {
    // The refusal, counted as the gate counts it: a registry without the node role's methods.
    const nodeRole = CONTRACT_METHOD_NAMES.filter(isNodeRoleMethod);
    const without = evaluateOwnerGate("nodes", {} as GateConfig, undefined, new Set(HANZOD_METHODS.filter((m) => !nodeRole.includes(m))), new Map());
    expect(without).toMatchObject({ verdict: "fail", checks: [{ check: "implemented", verdict: "fail", value: nodeRole.length }, { check: "node-commands", verdict: "pass" }] });
    expect(nodeRole.every((m) => HANZOD_METHODS.includes(m))).toBe(true);
    // Every method is there, and with no declined command the gate would pass.
    expect(evaluateOwnerGate("nodes", {} as GateConfig, undefined, new Set(HANZOD_METHODS), new Map())).toMatchObject({ verdict: "pass" });

    // hanzod serves system.run, but the legacy's agents' exec on a node and the notifying runs are not served
    // (hanzod/domains/nodes/owner-gaps.ts): promoting would leave them to nobody.
    const refused = await parity("promote", "--owner", "nodes");
    expect(refused.code).toBe(2);
    const outcome = JSON.parse(refused.stdout) as { applied: boolean; verdict: string; gates: Array<{ checks: Array<{ check: string; verdict: string; value: number | null; detail: string }> }> };
    expect(outcome).toMatchObject({ applied: false, verdict: "fail" });
    expect(outcome.gates[0]!.checks.find((c) => c.check === "implemented")).toMatchObject({ verdict: "pass", value: 0 });
    expect(outcome.gates[0]!.checks.find((c) => c.check === "node-commands")).toMatchObject({ verdict: "fail", value: NODE_OWNER_GAPS.size, detail: expect.stringContaining("the legacy's agents' exec on a node") });
    expect(readFileSync(checklist, "utf8")).toMatch(/^nodeOwner: legacy$/m);

    const forced = await parity("promote", "--owner", "nodes", "--force", "--why", "node host without agent exec");
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ applied: true, forced: true, verdict: "fail" });
    expect(readFileSync(checklist, "utf8")).toMatch(/^nodeOwner: hanzod$/m);
    // Comments and the rest of the layout survive the edit.
    expect(readFileSync(checklist, "utf8")).toContain("# who owns whole connections");
    const nodes = await rollBackAndAudit("nodes", "nodeOwner");
    expect(nodes.trail).toEqual([
      ["legacy", "hanzod", true],
      ["hanzod", "legacy", false],
    ]);
  });

  it("auth: inconclusive without a replay of connect, passes once the handshake replays green against hanzod; new connections go to hanzod", async () => {
    const noEvidence = await parity("promote", "--owner", "auth");
    expect(noEvidence.code).toBe(2);
    expect(JSON.parse(noEvidence.stdout)).toMatchObject({ applied: false, verdict: "inconclusive" });

    const replay = await runHanzonode(["replay", HANDSHAKE_FIXTURE, "--target", hanzod.url, "--token", HANZOD_TOKEN, "--state-dir", dir.path, "--target-kind", "hanzod"]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);

    const legacyHello = (await connectRaw(proxy.url, { token: legacy.token })).hello;
    const promoted = await parity("promote", "--owner", "auth");
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({ applied: true, forced: false, verdict: "pass" });
    expect(readFileSync(checklist, "utf8")).toMatch(/^authOwner: hanzod$/m);

    // The running proxy reloads the file: a new connection is authenticated by hanzod (its own token now).
    const helloFrom = async (token: string): Promise<unknown> => {
      try {
        const { socket, hello } = await connectRaw(proxy.url, { token });
        await socket.close();
        return (hello.payload as { server?: unknown }).server;
      } catch {
        return undefined;
      }
    };
    const hanzodServer = await waitFor(() => helloFrom(HANZOD_TOKEN), 30_000, "a hello from hanzod through the proxy");
    expect(hanzodServer).not.toEqual((legacyHello.payload as { server?: unknown }).server);

    const auth = await rollBackAndAudit("auth", "authOwner");
    expect(auth.trail).toEqual([
      ["legacy", "hanzod", false],
      ["hanzod", "legacy", false],
    ]);
  });
});
