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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
});
