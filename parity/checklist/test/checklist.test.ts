/** The checklist: validation with lines, precedence, side-effect refusal, edits with audit, hot reload. */
import { afterEach, describe, expect, it } from "vitest";
import { appendFile, mkdtemp, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChecklistError, loadChecklist, parseChecklist, readAudit, setRoute, watchChecklist, type RoutingTable } from "../index.js";
import { CHECKLIST_SCHEMA_PATH, renderChecklistJsonSchema } from "../write-json-schema.js";
import { REPO_ROOT, methodsInPhase } from "../../../protocol/index.js";
import { gateFor } from "../../gates/from-checklist.js";
import { DEFAULT_GATE } from "../../gates/types.js";

const SEED = join(REPO_ROOT, "parity", "checklist.yaml");
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "checklist-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function errorOf(fn: () => unknown): ChecklistError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChecklistError) return err;
    throw err;
  }
  throw new Error("expected a ChecklistError");
}

describe("checklist", () => {
  it("the seed loads and routes every contract method to legacy", async () => {
    const t = await loadChecklist(SEED);
    for (const m of methodsInPhase("phase3")) expect(t.decide(m).kind).toBe("legacy");
    expect(t.decide("health").source).toBe("methods.health");
    expect(t.decide("config.get").source).toBe("phases.phase2");
    expect(t.decide("not.a.contract.method").source).toBe("default");
  });

  it("a method newer than the pinned contract takes the phase its release assigns: gateway.suspend.handoff goes where gateway.suspend.prepare goes", () => {
    const t = parseChecklist(["version: 1", "default: legacy", "authOwner: hanzod", "phases: { phase1: hanzod }"].join("\n"), "c.yaml");
    // 2026.9.6 added it to the phase-1 suspend family; before, it fell to `default` (the legacy) and the
    // lease it arms was held by hanzod.
    expect(t.decide("gateway.suspend.prepare")).toMatchObject({ kind: "hanzod", source: "phases.phase1" });
    expect(t.decide("gateway.suspend.handoff")).toMatchObject({ kind: "hanzod", source: "phases.phase1" });
    expect(t.decide("diagnostics.cpuProfile")).toMatchObject({ kind: "hanzod", source: "phases.phase1" });
    // The release's own phase, not the family's guess: mcp.authLogin is `later` there.
    expect(t.decide("mcp.authLogin")).toMatchObject({ kind: "legacy", source: "default" });
    expect(t.decide("no.release.has.this")).toMatchObject({ kind: "legacy", source: "default" });
  });

  it("exact beats the most specific glob, which beats phase and default", () => {
    const t = parseChecklist(
      ["version: 1", "default: legacy", "phases: { phase2: hanzod }", "methods:", '  "config.*": hanzod', '  "config.schema*": legacy', "  config.get: hanzod", '  "*": legacy'].join("\n"),
      "c.yaml",
    );
    expect(t.decide("config.get")).toMatchObject({ kind: "hanzod", source: "methods.config.get" });
    expect(t.decide("config.schema.lookup")).toMatchObject({ kind: "legacy", source: "methods.config.schema*" });
    expect(t.decide("config.openFile")).toMatchObject({ kind: "hanzod", source: "methods.config.*" });
    expect(t.decide("sessions.list")).toMatchObject({ kind: "legacy", source: "methods.*" });
  });

  it("a person's own view (mentions.list/dismiss) follows the auth owner unless named exactly", () => {
    const lines = (owner: string, ...extra: string[]) => ["version: 1", `authOwner: ${owner}`, "default: legacy", "methods:", '  "mentions.*": legacy', '  "*": legacy', ...extra].join("\n");
    const byHanzod = parseChecklist(lines("hanzod"), "c.yaml");
    for (const m of ["mentions.list", "mentions.dismiss"]) expect(byHanzod.decide(m)).toMatchObject({ kind: "hanzod", source: "authOwner" });
    expect(byHanzod.decide("users.mentionable")).toMatchObject({ kind: "legacy", source: "methods.*" });
    expect(parseChecklist(lines("legacy"), "c.yaml").decide("mentions.list")).toMatchObject({ kind: "legacy", source: "authOwner" });
    expect(parseChecklist(lines("hanzod", "  mentions.list: legacy"), "c.yaml").decide("mentions.list")).toMatchObject({ kind: "legacy", source: "methods.mentions.list" });
  });

  it("device pairing (device.pair.list/approve/reject/remove, device.token.rotate/revoke) follows the auth owner unless named exactly; rename follows its routing", () => {
    const lines = (owner: string, ...extra: string[]) => ["version: 1", `authOwner: ${owner}`, "default: legacy", "methods:", '  "device.*": legacy', ...extra].join("\n");
    const byHanzod = parseChecklist(lines("hanzod"), "c.yaml");
    const bound = ["device.pair.list", "device.pair.approve", "device.pair.reject", "device.pair.remove", "device.token.rotate", "device.token.revoke"];
    for (const m of bound) expect(byHanzod.decide(m)).toMatchObject({ kind: "hanzod", source: "authOwner" });
    for (const m of bound) expect(parseChecklist(lines("legacy"), "c.yaml").decide(m)).toMatchObject({ kind: "legacy", source: "authOwner" });
    expect(byHanzod.decide("device.pair.rename")).toMatchObject({ kind: "legacy", source: "methods.device.*" });
    expect(parseChecklist(lines("hanzod", "  device.token.revoke: legacy"), "c.yaml").decide("device.token.revoke")).toMatchObject({ kind: "legacy", source: "methods.device.token.revoke" });
    expect(parseChecklist(lines("legacy"), "c.yaml").decide("device.pair.approve")).toMatchObject({ kind: "legacy", source: "authOwner" });
    expect(parseChecklist(lines("hanzod", "  device.pair.list: legacy"), "c.yaml").decide("device.pair.list")).toMatchObject({ kind: "legacy", source: "methods.device.pair.list" });
  });

  it("parses canary, fallback, isolated and compare rules", () => {
    const t = parseChecklist(
      ["version: 1", "methods:", '  system-presence: { route: "canary:25", fallback: legacy }', "  sessions.list: { route: shadow, shadow: isolated, compare: { ignore: [/ts] } }"].join("\n"),
      "c.yaml",
    );
    expect(t.decide("system-presence")).toMatchObject({ kind: "canary", canaryPercent: 25, fallback: true });
    expect(t.decide("sessions.list")).toMatchObject({ kind: "shadow", isolated: true, compare: { ignore: ["/ts"] } });
  });

  it("names the line of an invalid route", () => {
    const err = errorOf(() => parseChecklist(["version: 1", "methods:", "  health: hanzod", "  status: shadw"].join("\n"), "c.yaml"));
    expect(err.issues[0]).toMatchObject({ line: 4, path: "methods.status" });
    expect(err.message).toMatch(/^c\.yaml:4: methods\.status: /);
  });

  it("names the line of a YAML syntax error and of an unknown key", () => {
    expect(errorOf(() => parseChecklist("version: 1\nmethods:\n  health: [legacy\n", "c.yaml")).issues[0]?.line).toBeGreaterThan(0);
    const err = errorOf(() => parseChecklist("version: 1\nshadow:\n  queueSize: 10\n  bogus: 1\n", "c.yaml"));
    expect(err.issues[0]).toMatchObject({ line: 4, path: "shadow.bogus" });
  });

  it("refuses to shadow side-effecting methods unless isolated", () => {
    const err = errorOf(() => parseChecklist("version: 1\nmethods:\n  health: shadow\n  config.set: shadow\n", "c.yaml"));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 4, path: "methods.config.set" });
    expect(err.message).toContain("shadow: isolated");
    const phase = errorOf(() => parseChecklist("version: 1\nphases:\n  phase2: shadow\n", "c.yaml"));
    expect(phase.issues[0]).toMatchObject({ line: 3, path: "phases.phase2" });
    expect(parseChecklist("version: 1\nmethods:\n  config.set: { route: shadow, shadow: isolated }\n", "c.yaml").decide("config.set").isolated).toBe(true);
  });

  it("setRoute keeps comments, refuses invalid results and appends to the audit log", async () => {
    const dir = await tempDir();
    const file = join(dir, "checklist.yaml");
    await copyFile(SEED, file);
    const state = join(dir, "state");
    const r = await setRoute(file, "status", "shadow", { who: "alice", why: "start shadowing", stateDir: state });
    expect(r).toMatchObject({ target: "methods.status", old: undefined, new: "shadow", changed: true });
    const text = await readFile(file, "utf8");
    expect(text).toContain("# Seeded from fixtures/contract/phase-map.json");
    expect(text).toContain("# 13: connect handshake");
    expect((await loadChecklist(file)).decide("status").kind).toBe("shadow");
    await setRoute(file, "phase1", "hanzod", { who: "bob", why: "promote", stateDir: state });
    expect((await loadChecklist(file)).decide("system.info").kind).toBe("hanzod");
    await expect(setRoute(file, "config.set", "shadow", { who: "eve", why: "oops", stateDir: state })).rejects.toBeInstanceOf(ChecklistError);
    const audit = await readAudit(state);
    expect(audit.map((a) => [a.who, a.target, a.old, a.new])).toEqual([
      ["alice", "methods.status", undefined, "shadow"],
      ["bob", "phases.phase1", "legacy", "hanzod"],
    ]);
    expect(audit[0]?.why).toBe("start shadowing");
  });

  it("the watcher applies a valid change and keeps the old table on an invalid one", async () => {
    const dir = await tempDir();
    const file = join(dir, "checklist.yaml");
    await writeFile(file, "version: 1\nmethods:\n  health: legacy\n");
    let current: RoutingTable = await loadChecklist(file);
    const errors: ChecklistError[] = [];
    const w = watchChecklist(file, await readFile(file, "utf8"), { onTable: (t) => (current = t), onError: (e) => errors.push(e) });
    try {
      await writeFile(file, "version: 1\nmethods:\n  health: hanzod\n");
      await waitUntil(() => current.decide("health").kind === "hanzod");
      await writeFile(file, "version: 1\nmethods:\n  health: nowhere\n");
      await waitUntil(() => errors.length > 0);
      expect(errors[0]?.issues[0]?.line).toBe(3);
      expect(current.decide("health").kind).toBe("hanzod");
    } finally {
      w.close();
    }
  });

  it("compare accepts every rule kind and detector of the comparator; gate overrides are partial and typed", () => {
    const t = parseChecklist(
      [
        "version: 1",
        "gates: { minShadowCalls: 500 }",
        "methods:",
        "  health:",
        "    route: shadow",
        "    compare: { shapeOnly: [/metrics], typeOnly: [/plugins/loaded], optional: [/ui], unordered: [/list], ignore: [/x], volatile: [tempPath, digest] }",
        "    gate: { minMatchRate: 0.99 }",
        '  "status*":',
        "    route: shadow",
        "    gate: { minShadowCalls: 10, requireContractReplay: false }",
        "phases:",
        "  phase1: { route: legacy, gate: { maxP99Ratio: 2 } }",
      ].join("\n"),
      "c.yaml",
    );
    expect(t.decide("health").compare).toEqual({ shapeOnly: ["/metrics"], typeOnly: ["/plugins/loaded"], optional: ["/ui"], unordered: ["/list"], ignore: ["/x"], volatile: ["tempPath", "digest"] });
    expect(t.decide("health").gate).toEqual({ minMatchRate: 0.99 });
    expect(gateFor(t, "health")).toEqual({ ...DEFAULT_GATE, minShadowCalls: 500, minMatchRate: 0.99 });
    // a glob's (or phase's) override applies to the methods that entry routes
    expect(gateFor(t, "status")).toEqual({ ...DEFAULT_GATE, minShadowCalls: 10, requireContractReplay: false });
    // the older maxP99Ratio reads as the tail tolerance it meant (2x = 100 % more)
    expect(gateFor(t, "system-presence")).toEqual({ ...DEFAULT_GATE, minShadowCalls: 500, tailTolerance: 1 });
    expect(gateFor(t, "config.get").minShadowCalls).toBe(500);
  });

  it("rejects unknown detectors, unknown gate fields and globs that are not JSON pointers, with the line", () => {
    const detector = errorOf(() => parseChecklist("version: 1\nmethods:\n  health:\n    route: shadow\n    compare: { volatile: [sometimes] }\n", "c.yaml"));
    expect(detector.issues[0]).toMatchObject({ line: 5, path: "methods.health.compare.volatile.0" });
    expect(detector.message).toContain("tempPath");
    const gate = errorOf(() => parseChecklist("version: 1\nmethods:\n  health:\n    route: shadow\n    gate: { minCalls: 3 }\n", "c.yaml"));
    expect(gate.issues[0]?.line).toBe(5);
    expect(gate.message).toContain("minCalls");
    expect(errorOf(() => parseChecklist("version: 1\nmethods:\n  health: { route: shadow, compare: { ignore: [ts] } }\n", "c.yaml")).message).toContain("JSON pointer");
  });

  it("audit entries carry forced (false unless the actor says so; old lines read as false)", async () => {
    const dir = await tempDir();
    const file = join(dir, "checklist.yaml");
    await writeFile(file, "version: 1\nmethods:\n  health: legacy\n");
    const state = join(dir, "state");
    await setRoute(file, "health", "shadow", { who: "a", why: "w", stateDir: state });
    await setRoute(file, "health", "hanzod", { who: "a", why: "FORCED past gate (inconclusive: ...)", stateDir: state, forced: true });
    await appendFile(join(state, "audit.jsonl"), JSON.stringify({ when: "2026-01-01T00:00:00Z", who: "old", why: "x", file, target: "default", old: "legacy", new: "legacy" }) + "\n");
    const raw = (await readFile(join(state, "audit.jsonl"), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { forced?: unknown });
    expect(raw.map((r) => r.forced)).toEqual([false, true, undefined]);
    expect((await readAudit(state)).map((a) => a.forced)).toEqual([false, true, false]);
  });

  it("the committed JSON Schema matches the zod schema", () => {
    expect(readFileSync(CHECKLIST_SCHEMA_PATH, "utf8")).toBe(renderChecklistJsonSchema());
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}
