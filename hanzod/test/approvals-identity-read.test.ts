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

  /**
   * The exec approval request flow (issue #12 stage 1) on both runtimes over one state dir: each holds its own
   * pending approvals (process memory, rows under its own runtime epoch), so the flows run one after the other on
   * parallel requests and their transcripts (answers, events, stored rows) are compared with ids and times masked.
   * The approver is an admin with the `exec-approvals` cap (an approval client that sees every record); the
   * requester a shared-token operator with write + approvals scopes (its record bound to its connection).
   */
  describe("exec approval requests", () => {
    const PLAN = { argv: ["touch", "/tmp/hz-approval-never-run"], cwd: null, commandText: "touch /tmp/hz-approval-never-run", agentId: null, sessionKey: null };
    const REQ = { host: "node", nodeId: "node-approval-test", systemRunPlan: PLAN, timeoutMs: 120_000 };
    type Side = { approver: RawSession; requester: RawSession; url: string; token: string };
    const sides = {} as Record<"legacy" | "hanzod", Side>;

    beforeAll(async () => {
      for (const [name, url, token] of [["legacy", legacy.url, legacy.token], ["hanzod", hz.url, "t"]] as const) {
        const approver = (await connectOperator(url, token, ["operator.admin"], { id: "cli", version: "1", platform: "linux", mode: "cli", displayName: "Approver" }, { caps: ["exec-approvals"] })).s;
        const requester = (await connectOperator(url, token, ["operator.write", "operator.approvals"])).s;
        sides[name] = { approver, requester, url, token };
      }
    });

    afterAll(() => {
      for (const s of Object.values(sides)) {
        s.approver.close();
        s.requester.close();
      }
    });

    const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
    /** Ids and times masked; what stays must be equal between the runtimes. */
    const mask = (v: unknown, id?: string): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (["createdAtMs", "expiresAtMs", "ts", "created_at_ms", "expires_at_ms", "updated_at_ms", "resolved_at_ms", "consumed_at_ms"].includes(k) && typeof x === "number" ? "<t>" : x)).replace(id ? new RegExp(id, "g") : UUID, "<id>").replace(UUID, "<id>")) as unknown;
    const rowsOf = (ids: string[]) => {
      const db = openSqlite(join(legacy.stateDir, "state", "openclaw.sqlite"), { readonly: true, fileMustExist: true });
      try {
        return ids.map((id) => db.prepare("SELECT * FROM operator_approvals WHERE approval_id = ?").get(id) as Record<string, unknown>);
      } finally {
        db.close();
      }
    };
    let seq = 0;
    const send = (s: RawSession, method: string, params: unknown): string => {
      const id = `ap${++seq}`;
      s.send({ type: "req", id, method, params });
      return id;
    };
    const answer = async (s: RawSession, id: string, final = true): Promise<Answer> => {
      const f = await s.next((x) => x.type === "res" && x.id === id && (!final || (x.payload as { status?: string } | undefined)?.status !== "accepted"), 20_000);
      return { ok: f.ok === true, payload: f.payload, error: f.error };
    };
    const event = async (s: RawSession, name: string, id: string) => (await s.next((f) => f.type === "event" && f.event === name && (f.payload as { id?: string }).id === id, 20_000)).payload;

    /** request (twoPhase) → accepted, the requested event, get/list, a waiter, resolve, the resolved event, the final answers, repeats. */
    async function approvedFlow(side: Side, decision: string) {
      const reqId = send(side.requester, "exec.approval.request", { ...REQ, twoPhase: true });
      const accepted = await answer(side.requester, reqId, false);
      expect({ side: side.url, accepted }).toMatchObject({ accepted: { ok: true } });
      const id = (accepted.payload as { id: string }).id;
      const requested = await event(side.approver, "exec.approval.requested", id);
      const get = await ask(side.approver, "exec.approval.get", { id });
      const getByPrefix = await ask(side.approver, "exec.approval.get", { id: id.slice(0, 8) });
      const getByRequester = await ask(side.requester, "exec.approval.get", { id });
      const list = await ask(side.approver, "exec.approval.list", {});
      const waitId = send(side.requester, "exec.approval.waitDecision", { id });
      const wrongDecision = await ask(side.approver, "exec.approval.resolve", { id, decision: "maybe" });
      const resolve = await ask(side.approver, "exec.approval.resolve", { id: id.slice(0, 8), decision });
      const resolved = await event(side.approver, "exec.approval.resolved", id);
      const final = await answer(side.requester, reqId);
      const waited = await answer(side.requester, waitId);
      const same = await ask(side.approver, "exec.approval.resolve", { id, decision });
      const other = await ask(side.approver, "exec.approval.resolve", { id, decision: decision === "deny" ? "allow-once" : "deny" });
      const getAfter = await ask(side.approver, "exec.approval.get", { id });
      return { id, transcript: mask({ accepted, requested, get, getByPrefix, getByRequester, list, wrongDecision, resolve, resolved, final, waited, same, other, getAfter }) };
    }

    it("exec.approval.request (twoPhase) resolved by an admin approval client: answers, events and rows as the legacy's", async () => {
      const fromHanzod = await approvedFlow(sides.hanzod, "allow-once");
      const fromLegacy = await approvedFlow(sides.legacy, "allow-once");
      expect(fromHanzod.transcript).toEqual(fromLegacy.transcript);
      expect(fromLegacy.transcript).toMatchObject({ accepted: { payload: { status: "accepted", deliveryRoute: "approval-client" } }, final: { payload: { decision: "allow-once" } }, other: { error: { message: "approval already resolved" } } });
      const [legacyRow, hanzodRow] = rowsOf([fromLegacy.id, fromHanzod.id]);
      const { runtime_epoch: legacyEpoch, resolution_ref: legacyRef, ...legacyRest } = legacyRow!;
      const { runtime_epoch: hanzodEpoch, resolution_ref: hanzodRef, ...hanzodRest } = hanzodRow!;
      expect(hanzodRef).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hanzodRef).not.toBe(legacyRef);
      expect(hanzodEpoch).not.toBe(legacyEpoch);
      expect(mask(hanzodRest, fromHanzod.id)).toEqual(mask(legacyRest, fromLegacy.id));
      expect(hanzodRow).toMatchObject({ status: "allowed", decision: "allow-once", resolver_kind: "runtime", resolver_id: "Approver" });
      // A denial, the same way.
      const deniedLegacy = await approvedFlow(sides.legacy, "deny");
      const deniedHanzod = await approvedFlow(sides.hanzod, "deny");
      expect(deniedHanzod.transcript).toEqual(deniedLegacy.transcript);
    });

    it("no delivery route (suppressDelivery): denied at once, decision null, row denied/no-route; a short timeout expires with the resolved-deny event", async () => {
      const flow = async (side: Side) => {
        const noRoute = await answer(side.requester, send(side.requester, "exec.approval.request", { ...REQ, suppressDelivery: true, twoPhase: true }));
        const reqId = send(side.requester, "exec.approval.request", { ...REQ, timeoutMs: 1_500, twoPhase: true });
        const accepted = await answer(side.requester, reqId, false);
        expect({ side: side.url, noRoute, accepted }).toMatchObject({ accepted: { ok: true } });
        const id = (accepted.payload as { id: string }).id;
        const expiredEvent = await event(side.approver, "exec.approval.resolved", id);
        const timedOut = await answer(side.requester, reqId);
        const late = await ask(side.approver, "exec.approval.resolve", { id, decision: "allow-once" });
        return { ids: [(noRoute.payload as { id: string }).id, id], transcript: mask({ noRoute, accepted, expiredEvent, timedOut, late }) };
      };
      const fromHanzod = await flow(sides.hanzod);
      const fromLegacy = await flow(sides.legacy);
      expect(fromHanzod.transcript).toEqual(fromLegacy.transcript);
      expect(fromLegacy.transcript).toMatchObject({ noRoute: { payload: { decision: null } }, expiredEvent: { decision: "deny", resolvedBy: null }, timedOut: { payload: { decision: null } } });
      const rows = rowsOf([...fromLegacy.ids, ...fromHanzod.ids]).map((r) => mask({ ...r, runtime_epoch: "-", resolution_ref: "-" }));
      expect(rows.slice(2)).toEqual(rows.slice(0, 2));
      expect(rows[0]).toMatchObject({ status: "denied", terminal_reason: "no-route" });
      expect(rows[1]).toMatchObject({ status: "expired", terminal_reason: "timeout" });
    });

    it("refusals as the legacy's (params, node, plan, reserved and invalid ids, waitDecision without id); ids hanzod does not hold are declined to the legacy", async () => {
      const cases: Record<string, unknown>[] = [
        { host: "node" },
        { host: "node", nodeId: "n", command: "ls" },
        { ...REQ, id: "plugin:x" },
        { ...REQ, id: "a b" },
        { ...REQ, systemRunPlan: { ...PLAN, argv: [] } },
        { ...REQ, bogus: 1 },
      ];
      for (const params of cases) {
        const [l, h] = [await ask(sides.legacy.requester, "exec.approval.request", params), await ask(sides.hanzod.requester, "exec.approval.request", params)];
        expect({ params, answer: h }).toEqual({ params, answer: l });
      }
      for (const [method, params] of [["exec.approval.waitDecision", {}], ["exec.approval.get", {}], ["exec.approval.resolve", { id: "x" }], ["exec.approval.resolve", { id: "x", decision: "maybe" }]] as const) {
        const [l, h] = [await ask(sides.legacy.approver, method, params), await ask(sides.hanzod.approver, method, params)];
        expect({ method, params, answer: h }).toEqual({ method, params, answer: l });
      }
      // The legacy's own pending approval: hanzod declines every lookup of it (the proxy hands them over).
      const reqId = send(sides.legacy.requester, "exec.approval.request", { ...REQ, twoPhase: true });
      const id = ((await answer(sides.legacy.requester, reqId, false)).payload as { id: string }).id;
      for (const [method, params] of [["exec.approval.get", { id }], ["exec.approval.resolve", { id, decision: "deny" }], ["exec.approval.waitDecision", { id }], ["exec.approval.list", {}], ["exec.approval.get", { id: "no-such-id" }]] as const) {
        expect(await ask(sides.hanzod.approver, method, params)).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", details: { code: "HANZOD_DECLINED" } } });
      }
      expect(await ask(sides.legacy.approver, "exec.approval.resolve", { id, decision: "deny" })).toEqual({ ok: true, payload: { ok: true } });
      expect((await answer(sides.legacy.requester, reqId)).payload).toMatchObject({ decision: "deny" });
      // A gateway-host (or host-less) request is the legacy's exec runtime's.
      for (const params of [{ host: "gateway", command: "ls" }, {}]) expect(await ask(sides.hanzod.requester, "exec.approval.request", params)).toMatchObject({ ok: false, error: { details: { code: "HANZOD_DECLINED" } } });
    });
  });
});
