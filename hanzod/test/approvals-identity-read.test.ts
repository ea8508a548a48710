/**
 * Phase-3 reads on one state dir, two live runtimes: a real legacy gateway and hanzod started on its state
 * dir answer `gateway.identity.get` (the gateway's device identity, `device_identities`) and
 * `exec.approvals.get` (the exec approvals policy, `exec_approvals_config`, with its compare-and-swap hash).
 * Each answer is compared with the legacy's own for the same call, field for field, for a reader, a
 * pairing-only operator and an admin (the scopes' outcomes included), with the policy written through the
 * legacy's own `exec.approvals.set`, whose compare-and-swap accepts the hash hanzod answered. Where the
 * legacy's get would write (no policy yet; a policy not in its normalized form) hanzod refuses, and the
 * test shows the legacy's write happening on its own get.
 *
 * Both supported releases, each with its own legacy and hanzod answering as that release (`compat`).
 * No timing luck: every comparison asks the legacy before and after hanzod and retries until those two agree.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectOperator, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

type Who = "reader" | "pairing" | "admin";
const WHO: readonly Who[] = ["reader", "pairing", "admin"];
const SCOPES: Record<Who, string[]> = { reader: ["operator.read"], pairing: ["operator.pairing"], admin: ["operator.admin"] };

describe.each(releasesUnderTest())("gateway identity and exec approvals policy on a running legacy's state (openclaw %s)", (release) => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const legacyConn = {} as Record<Who, RawSession>;
  const hanzodConn = {} as Record<Who, RawSession>;

  async function expectSame(who: Who, method: string, params: Record<string, unknown>): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], method, params), () => ask(hanzodConn[who], method, params), method);
    expect({ who, method, params, answer: fromHanzod }).toEqual({ who, method, params, answer: fromLegacy });
    return fromLegacy;
  }

  const refused = (r: Answer, text: string) => expect(r).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining(text) } });

  beforeAll(async () => {
    legacy = await startLegacyGateway({ version: release });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    for (const who of WHO) {
      legacyConn[who] = (await connectOperator(legacy.url, legacy.token, SCOPES[who])).s;
      hanzodConn[who] = (await connectOperator(hz.url, "t", SCOPES[who])).s;
    }
  }, 300_000);

  afterAll(async () => {
    for (const who of WHO) {
      legacyConn[who]?.close();
      hanzodConn[who]?.close();
    }
    await hz?.close();
    await legacy?.stop();
  });

  it("gateway.identity.get: the legacy gateway's own identity, for every scope, and its params", async () => {
    for (const who of WHO) await expectSame(who, "gateway.identity.get", {});
    const admin = await expectSame("admin", "gateway.identity.get", {});
    expect(admin.payload).toEqual({ deviceId: expect.stringMatching(/^[a-f0-9]{64}$/), publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect((await expectSame("pairing", "gateway.identity.get", {})).ok).toBe(false);
    expect((await expectSame("reader", "gateway.identity.get", { bogus: 1 })).ok).toBe(true);
  });

  it("exec.approvals.get: refused before the legacy stored a policy, then the legacy's answer and hash", async () => {
    // The legacy's first get writes the policy (a socket path and a new token): hanzod does not write it.
    refused(await ask(hanzodConn.admin, "exec.approvals.get", {}), "before the legacy stored a policy");
    const first = await ask(legacyConn.admin, "exec.approvals.get", {});
    expect(first).toMatchObject({ ok: true, payload: { exists: true } });
    for (const who of WHO) await expectSame(who, "exec.approvals.get", {});
    expect((await expectSame("reader", "exec.approvals.get", {})).ok).toBe(false);
    expect((await expectSame("admin", "exec.approvals.get", { bogus: 1 })).ok).toBe(false);
  });

  it("exec.approvals.get after the legacy's own exec.approvals.set, whose compare-and-swap takes hanzod's hash", async () => {
    const before = await expectSame("admin", "exec.approvals.get", {});
    const hash = (before.payload as { hash: string }).hash;
    const file = {
      version: 1,
      defaults: { security: "allowlist", ask: "on-miss", askFallback: "deny", autoAllowSkills: true },
      agents: {
        main: { security: "allowlist", ask: "always", allowlist: [{ pattern: "/usr/bin/ls" }, { pattern: "/usr/bin/git", argPattern: "^status$" }] },
        "*": { ask: "off" },
        ops: { security: "deny" },
      },
    };
    // A stale hash is the legacy's conflict; hanzod's current hash is accepted.
    const stale = await ask(legacyConn.admin, "exec.approvals.set", { file, baseHash: "0".repeat(64) });
    expect(stale).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: expect.stringContaining("changed since last load") } });
    const fromHanzod = await ask(hanzodConn.admin, "exec.approvals.get", {});
    expect((fromHanzod.payload as { hash: string }).hash).toBe(hash);
    const set = await ask(legacyConn.admin, "exec.approvals.set", { file, baseHash: hash });
    expect(set.ok).toBe(true);
    // The set stores its own key order (an entry's minted id after its argPattern); the legacy's next get
    // re-serializes it in its schema's order, a write: hanzod refuses until the legacy has done so.
    refused(await ask(hanzodConn.admin, "exec.approvals.get", {}), "not in the legacy's normalized form");
    const rewritten = await ask(legacyConn.admin, "exec.approvals.get", {});
    expect((rewritten.payload as { hash: string }).hash).not.toBe((set.payload as { hash: string }).hash);
    for (const who of WHO) await expectSame(who, "exec.approvals.get", {});
    const after = await expectSame("admin", "exec.approvals.get", {});
    expect((after.payload as { file: unknown }).file).toEqual((set.payload as { file: unknown }).file);
    expect(after.payload).toMatchObject({ resolvedDefaults: { security: "allowlist", ask: "on-miss", autoAllowSkills: true }, file: { agents: { main: { allowlist: [{ pattern: "/usr/bin/ls", id: expect.any(String) }, { argPattern: "^status$" }] } } } });
    // The answer never carries the socket token.
    expect(JSON.stringify(after.payload)).not.toContain("token");
  });
  /** The stored row as the legacy's next read sees it: the text and its projection columns (not its time). */
  function storedRow(withTime = false): Record<string, unknown> {
    const db = openSqlite(join(legacy.stateDir, "state", "openclaw.sqlite"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT * FROM exec_approvals_config WHERE config_key = 'current'").get() as Record<string, unknown>;
      const { updated_at_ms: time, ...rest } = row;
      return withTime ? { ...rest, updated_at_ms: time } : rest;
    } finally {
      db.close();
    }
  }
  const hashOf = (a: Answer) => (a.payload as { hash: string }).hash;
  const sameIds = (row: Record<string, unknown>) => ({ ...row, raw_json: String(row.raw_json).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<minted id>") });

  // What the set normalizes: a command text stripped, an entry with a blank pattern dropped, an id minted
  // (after the entry's other keys), an unknown security value and blank socket fields dropped (the stored
  // socket kept), trimmed policy values, agents and keys in the submitted order.
  const submitted = {
    version: 1,
    socket: { path: "  ", token: "" },
    agents: {
      ops: { ask: " always ", security: "bogus", allowlist: [{ pattern: "/usr/bin/uptime", commandText: "uptime", id: "fixed-1" }, { pattern: "  " }, { argPattern: "^-l$", pattern: "/bin/ls" }] },
      main: { autoAllowSkills: false, mcpTools: [{ server: "srv", tool: "t", source: "allow-always", addedAt: 5 }] },
    },
    defaults: { askFallback: "allowlist", ask: "on-miss", security: "allowlist", autoAllowSkills: true },
  };
  const other = { version: 1, defaults: { security: "deny" }, agents: {} };

  it("exec.approvals.set: params, a missing and a stale baseHash and the scopes refused as the legacy refuses them", async () => {
    const hash = hashOf(await expectSame("admin", "exec.approvals.get", {}));
    for (const params of [{}, { file: { version: 2 } }, { file: { version: 1, bogus: 1 }, baseHash: hash }, { file: { version: 1 }, baseHash: "" }, { file: { version: 1, agents: { a: { allowlist: [{}] } } }, baseHash: hash }, { file: other, baseHash: hash, extra: 1 }]) {
      const r = await expectSame("admin", "exec.approvals.set", params);
      expect(r).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST" } });
    }
    expect(await expectSame("admin", "exec.approvals.set", { file: other })).toMatchObject({ ok: false, error: { message: expect.stringContaining("base hash required") } });
    expect(await expectSame("admin", "exec.approvals.set", { file: other, baseHash: "0".repeat(64) })).toMatchObject({ ok: false, error: { message: "exec approvals changed since last load; re-run exec.approvals.get and retry" } });
    for (const who of ["reader", "pairing"] as const) expect((await expectSame(who, "exec.approvals.set", { file: other, baseHash: hash })).ok).toBe(false);
    // None of these wrote: the hash is unchanged.
    expect(hashOf(await ask(legacyConn.admin, "exec.approvals.get", {}))).toBe(hash);
  });

  it("exec.approvals.set through hanzod stores the legacy's bytes and answer; each runtime's set and get take the other's hash", async () => {
    const start = hashOf(await ask(legacyConn.admin, "exec.approvals.get", {}));
    // Through hanzod from the legacy's hash; the legacy reads what hanzod wrote.
    const fromHanzod = await ask(hanzodConn.admin, "exec.approvals.set", { file: submitted, baseHash: start });
    expect(fromHanzod).toMatchObject({ ok: true, payload: { exists: true, resolvedDefaults: { security: "allowlist", ask: "on-miss", askFallback: "allowlist", autoAllowSkills: true } } });
    const hanzodRow = storedRow();
    expect(hashOf(fromHanzod)).not.toBe(start);
    // The old hash is stale for both runtimes now.
    expect(await expectSame("admin", "exec.approvals.set", { file: other, baseHash: start })).toMatchObject({ ok: false, error: { message: expect.stringContaining("changed since last load") } });
    // The legacy's compare-and-swap takes hanzod's hash (its set), and its policy is hanzod's (its set's answer).
    const legacyOther = await ask(legacyConn.admin, "exec.approvals.set", { file: other, baseHash: hashOf(fromHanzod) });
    expect(legacyOther).toMatchObject({ ok: true, payload: { resolvedDefaults: { security: "deny" } } });
    // The same submission through the legacy, from the same socket: the same text byte for byte (minted ids
    // aside), the same columns, the same answer.
    const fromLegacy = await ask(legacyConn.admin, "exec.approvals.set", { file: submitted, baseHash: hashOf(legacyOther) });
    expect(fromLegacy.ok).toBe(true);
    const legacyRow = storedRow();
    expect(sameIds(hanzodRow)).toEqual(sameIds(legacyRow));
    expect(String(hanzodRow.raw_json).endsWith("}\n")).toBe(true);
    const mask = (a: Answer) => JSON.parse(JSON.stringify(a).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<minted id>").replace(/"hash":"[0-9a-f]{64}"/, '"hash":"-"')) as unknown;
    expect(mask(fromHanzod)).toEqual(mask(fromLegacy));
    // hanzod's set takes the legacy's hash, and an identical submission rewrites nothing (the hash stays).
    const again = await ask(hanzodConn.admin, "exec.approvals.set", { file: { ...submitted, agents: { ...submitted.agents, ops: { ...submitted.agents.ops, allowlist: [submitted.agents.ops.allowlist[0]] } } }, baseHash: hashOf(fromLegacy) });
    expect(again.ok).toBe(true);
    const written = storedRow(true);
    const same = await ask(hanzodConn.admin, "exec.approvals.set", { file: { ...submitted, agents: { ...submitted.agents, ops: { ...submitted.agents.ops, allowlist: [submitted.agents.ops.allowlist[0]] } } }, baseHash: hashOf(again) });
    expect(same).toEqual(again);
    expect(storedRow(true)).toEqual(written);
    // The legacy's own read of hanzod's policy (its get normalizes it, as after its own set): the policy
    // its exec path resolves (`loadExecApprovals` reads this row on each use).
    const legacyGet = await ask(legacyConn.admin, "exec.approvals.get", {});
    expect((legacyGet.payload as { file: unknown }).file).toEqual((again.payload as { file: unknown }).file);
    expect(legacyGet.payload).toMatchObject({ resolvedDefaults: { security: "allowlist", askFallback: "allowlist" }, file: { agents: { ops: { ask: "always", allowlist: [{ id: "fixed-1", pattern: "/usr/bin/uptime" }] } } } });
    for (const who of WHO) await expectSame(who, "exec.approvals.get", {});
  });
});
