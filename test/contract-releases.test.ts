/**
 * Contracts per release (issue 13): the 2026.9.1 freeze against @openclaw/gateway-protocol@2026.9.1 is
 * what PACKAGE-DIFF.md says; window validation; drift between two releases; phases for new methods.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONTRACT_DIR, compareReleases, compatReleaseFor, loadRelease, newestRelease, releaseValidator, validateInWindow, windowReleases } from "../protocol/index.js";
import { computePackageDiff } from "../scripts/contract/package-diff.js";
import { releaseDrift, renderReleaseDrift } from "../scripts/contract/release-drift.js";
import { assignPhases } from "../scripts/contract/freeze.js";

const connect = (extra: Record<string, unknown> = {}) => ({ minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "x", platform: "linux", mode: "cli" }, ...extra });

/** Backticked names in the section of a Markdown file whose heading starts with `heading`. */
function namesUnder(md: string, heading: string): string[] {
  const start = md.indexOf(`\n### ${heading}`);
  if (start < 0) return [];
  const end = md.indexOf("\n#", start + 5);
  // The list is the section's lines that start with a name (the prose around it names other things).
  const body = md.slice(start, end < 0 ? undefined : end).split("\n").slice(2).filter((l) => l.startsWith("`")).join("\n");
  return [...body.replace(/\(inside `[^`]+`\)/g, "").matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1] as string);
}

describe("the 2026.9.1 freeze against @openclaw/gateway-protocol@2026.9.1", () => {
  const diff = computePackageDiff("2026.9.1");
  const md = readFileSync(join(CONTRACT_DIR, "2026.9.1", "PACKAGE-DIFF.md"), "utf8");

  it("agrees on every definition both have, and on every method's scope and since", () => {
    expect(diff.differing).toEqual([]);
    expect(diff.identical).toBeGreaterThan(700);
    expect(diff.methods).toMatchObject({ same: 410, packageOnly: [], releaseOnly: [], changed: [] });
  });

  it("PACKAGE-DIFF.md lists exactly what differs", () => {
    expect(md).toContain(`**identical**: ${diff.identical} definitions`);
    const listedPackageOnly = [...namesUnder(md, "In the package only: bundled"), ...namesUnder(md, "In the package only: not in the bundle")].sort();
    expect(listedPackageOnly).toEqual([...diff.packageOnlyUnknown].sort());
    expect(namesUnder(md, "In the release only").sort()).toEqual(diff.releaseOnly.map((x) => x.name).sort());
  });
});

describe("the supported window", () => {
  it("holds 2026.9.1 and 2026.9.6; 2026.9.6 is what hanzod speaks", () => {
    expect(windowReleases()).toEqual(["2026.9.1", "2026.9.6"]);
    expect(newestRelease()).toBe("2026.9.6");
    expect(compareReleases("2026.9.10", "2026.9.6")).toBeGreaterThan(0);
    expect(compareReleases("2026.9.1-beta.1", "2026.9.1")).toBeLessThan(0);
    // A release between two freezes answers as the older freeze; outside the window there is none.
    expect(compatReleaseFor("2026.9.3")).toBe("2026.9.1");
    expect(compatReleaseFor("2026.9.6")).toBe("2026.9.6");
    expect(compatReleaseFor("2026.8.2")).toBeUndefined();
    expect(compatReleaseFor("2026.10.1")).toBeUndefined();
  });

  it("accepts a request valid for some release of the window, and words a refusal as the compat release", () => {
    const withCatalog = connect({ modelCatalog: { agentId: "main" } });
    expect(releaseValidator("2026.9.1").validate("ConnectParams", withCatalog).valid).toBe(false);
    expect(validateInWindow("ConnectParams", withCatalog, "2026.9.1")).toMatchObject({ valid: true, acceptedBy: "2026.9.6" });
    const bad = validateInWindow("ConnectParams", connect({ nope: 1 }), "2026.9.1");
    expect(bad.valid).toBe(false);
    expect(bad.issues).toEqual([expect.objectContaining({ keyword: "additionalProperties", message: expect.stringContaining("(nope)") })]);
  });
});

describe("hanzonode contract drift --from 2026.9.1 --to 2026.9.6", () => {
  const d = releaseDrift("2026.9.1", "2026.9.6");

  it("lists modelCatalog among the connect params added, client side, accepted by hanzod", () => {
    expect(d.items).toContainEqual(expect.objectContaining({ side: "client", kind: "connect", subject: "ConnectParams/modelCatalog", change: "added", hanzod: "handled" }));
  });

  it("lists the server side: methods, events, capabilities and the answers hanzod follows", () => {
    const of = (kind: string) => d.items.filter((i) => i.kind === kind).map((i) => i.subject);
    expect(of("methods")).toEqual(expect.arrayContaining(["themes.list", "sessions.compaction.list"]));
    expect(of("events")).toContain("models.snapshot");
    expect(d.items).toContainEqual(expect.objectContaining({ kind: "capabilities", subject: "model-catalog-snapshot", hanzod: "handled" }));
    expect(d.items).toContainEqual(expect.objectContaining({ kind: "hello-ok", subject: "HelloOk/auth/method", hanzod: "handled" }));
    expect(d.items).toContainEqual(expect.objectContaining({ kind: "answers", subject: "res:health /modelRuntime", hanzod: "handled" }));
    // A connection's presence row (presence-connect), not only the gateway's own.
    expect(d.items).toContainEqual(expect.objectContaining({ kind: "definitions", subject: "PresenceEntry/clientId", hanzod: "handled" }));
    // Every method the newer release added or dropped is in its release's table.
    for (const i of d.items.filter((x) => x.kind === "methods" && x.change === "added")) expect(loadRelease("2026.9.6").methods[i.subject]).toBeDefined();
  });

  it("fixtures/contract/DRIFT-2026.9.1-2026.9.6.md is current", () => {
    expect(readFileSync(join(CONTRACT_DIR, "DRIFT-2026.9.1-2026.9.6.md"), "utf8")).toBe(renderReleaseDrift(d));
  });
});

describe("phases of methods the phase map does not name", () => {
  it("come from the method's family, else later", () => {
    const map = { "models.list": "phase2", "models.auth.status": "phase2", "gateway.suspend.prepare": "phase1", "themes.x": "later" };
    expect(assignPhases(["models.list", "models.authLogin", "gateway.suspend.handoff", "claws.monitors"], map)).toEqual({
      "models.list": { phase: "phase2", phaseFrom: "phase-map" },
      "models.authLogin": { phase: "phase2", phaseFrom: "family:models" },
      "gateway.suspend.handoff": { phase: "phase1", phaseFrom: "family:gateway.suspend" },
      "claws.monitors": { phase: "later", phaseFrom: "default" },
    });
  });
});
