/**
 * One state dir, two live runtimes: a real legacy gateway of its own (writes must not disturb the shared
 * one other files compare against) and hanzod started on the legacy's state dir. A session the legacy
 * creates through `sessions.patch` is what hanzod then reports in its agent rows (count and recent), read
 * from the legacy's agent database while the legacy keeps running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectOperator, request, type RawSession } from "./helpers.js";

async function operator(url: string, token: string, scopes: string[]): Promise<RawSession> {
  return (await connectOperator(url, token, scopes)).s;
}

async function call(s: RawSession, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await request(s, method, params);
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.payload as Record<string, unknown>;
}

interface AgentRow {
  agentId: string;
  sessions: { count: number; recent: { key: string; updatedAt: number }[] };
}

describe("shared state with a running legacy", () => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  beforeAll(async () => {
    legacy = await startLegacyGateway();
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false });
  });
  afterAll(async () => {
    await hz?.close();
    await legacy?.stop();
  });

  it("a session patched through the legacy is counted and listed by hanzod", async () => {
    const l = await operator(legacy.url, legacy.token, ["operator.admin"]);
    const h = await operator(hz.url, "t", ["operator.read"]);
    try {
      const key = "agent:main:main";
      const patched = await call(l, "sessions.patch", { key, label: "shared-state" });
      expect(patched).toMatchObject({ ok: true, key });
      const updatedAt = (patched.entry as { updatedAt: number }).updatedAt;
      // hanzod's health answers its current snapshot and refreshes after; ask until the refresh shows the row.
      const deadline = Date.now() + 30_000;
      let main: AgentRow | undefined;
      while (Date.now() < deadline) {
        main = ((await call(h, "health")).agents as AgentRow[]).find((a) => a.agentId === "main");
        if (main && main.sessions.count > 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(main?.sessions.count).toBe(1);
      expect(main?.sessions.recent).toEqual([expect.objectContaining({ key, updatedAt })]);
      type ByAgent = { agentId: string; path: string; count: number; recent: { key: string; updatedAt: number }[] }[];
      const byAgentOf = async (s: RawSession) => ((await call(s, "status")).sessions as { byAgent: ByAgent }).byAgent;
      // A reader's status: the same rows from both, recent sessions withheld (the legacy's non-sensitive view).
      const lr = await operator(legacy.url, legacy.token, ["operator.read"]);
      try {
        const fromLegacy = await byAgentOf(lr);
        expect(fromLegacy).toEqual([{ agentId: "main", path: "[redacted]", count: 1, recent: [] }]);
        expect(await byAgentOf(h)).toEqual(fromLegacy);
      } finally {
        lr.close();
      }
      // An admin's: the session listed by both (the legacy's row is richer; key and updatedAt are shared).
      const ha = await operator(hz.url, "t", ["operator.admin"]);
      try {
        const pick = (rows: ByAgent) => rows.map((a) => ({ agentId: a.agentId, path: a.path, count: a.count, recent: a.recent.map((r) => ({ key: r.key, updatedAt: r.updatedAt })) }));
        const fromLegacy = pick(await byAgentOf(l));
        expect(fromLegacy[0]?.recent).toEqual([{ key, updatedAt }]);
        expect(pick(await byAgentOf(ha))).toEqual(fromLegacy);
      } finally {
        ha.close();
      }
    } finally {
      l.close();
      h.close();
    }
  });
});
