/**
 * `agents.list` on one state dir, two live runtimes: a real legacy gateway with three configured agents
 * (a default marked the legacy way, a named one, one with an identity and its own workspace inside a
 * git checkout), and hanzod started on the legacy's state dir. Each answer is compared with the
 * legacy's own for the same call, for a reader, an admin and a client declaring the `agent-kind` cap;
 * then an agent is created through the legacy (which rewrites the config as an explicit fleet and
 * records the agent's provenance) and the comparison is repeated on the new state.
 *
 * Both supported releases, each with its own legacy and hanzod answering as that release (`compat`).
 * No timing luck: after the legacy's write the test waits until the legacy itself lists the new agent
 * (its config watcher took the file), and every comparison asks the legacy before and after hanzod,
 * retrying until those two agree, so both runtimes answer from the same state.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { CLI_CLIENT, connectOperator, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

type Who = "reader" | "admin" | "kind";
const WHO: readonly Who[] = ["reader", "admin", "kind"];

async function operator(url: string, token: string, who: Who): Promise<RawSession> {
  const scopes = who === "admin" ? ["operator.admin"] : ["operator.read"];
  return (await connectOperator(url, token, scopes, CLI_CLIENT, who === "kind" ? { caps: ["agent-kind"] } : {})).s;
}

interface ListedAgent {
  id: string;
  kind?: string;
  workspaceGit?: boolean;
  createdVia?: string;
}

describe.each(releasesUnderTest())("agents.list on a running legacy's state (openclaw %s)", (release) => {
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  let scratch: string;
  const legacyConn = {} as Record<Who, RawSession>;
  const hanzodConn = {} as Record<Who, RawSession>;

  async function expectSame(who: Who, params: Record<string, unknown> = {}): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], "agents.list", params), () => ask(hanzodConn[who], "agents.list", params), "agents.list");
    expect({ who, params, answer: fromHanzod }).toEqual({ who, params, answer: fromLegacy });
    return fromLegacy;
  }

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "hanzod-agents-"));
    mkdirSync(join(scratch, "repo", ".git"), { recursive: true });
    const config = {
      agents: {
        list: [
          { id: "main", default: true, identity: { name: "Molty", emoji: "🦞", theme: "space lobster" } },
          { id: "ops", name: "Ops Desk" },
          { id: "research", workspace: join(scratch, "repo", "research"), identity: { name: "R" } },
        ],
      },
    };
    legacy = await startLegacyGateway({ version: release, config });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release });
    for (const who of WHO) {
      legacyConn[who] = await operator(legacy.url, legacy.token, who);
      hanzodConn[who] = await operator(hz.url, "t", who);
    }
  }, 240_000);

  afterAll(async () => {
    for (const who of WHO) {
      legacyConn[who]?.close();
      hanzodConn[who]?.close();
    }
    await hz?.close();
    await legacy?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("the legacy's roster, identities, workspaces and defaults, for readers, admins and agent-kind clients", async () => {
    const listed = (await expectSame("reader")).payload as { defaultId: string; ownership: string; agents: ListedAgent[] };
    // What the comparison covers: the configured agents, default first, the marked default as legacy owner.
    expect(listed.agents.map((a) => a.id)).toEqual(["main", "ops", "research"]);
    expect(listed).toMatchObject({ defaultId: "main", ownership: "legacy" });
    expect(listed.agents.find((a) => a.id === "research")?.workspaceGit).toBe(true);
    await expectSame("admin");
    const withKind = (await expectSame("kind")).payload as { agents: ListedAgent[] };
    expect(withKind.agents.every((a) => a.kind === "agent")).toBe(true);
  }, 120_000);

  it("bad params get the legacy's own error", async () => {
    const l = await expectSame("reader", { bogus: 1 });
    expect(l.ok).toBe(false);
  });

  it("an agent created through the legacy: the rewritten config and its provenance, listed the same", async () => {
    const created = await ask(legacyConn.admin, "agents.create", { name: "Scout", workspace: join(scratch, "scout"), emoji: "🔭" });
    expect(created.ok).toBe(true);
    // Wait for the legacy's own view of the write (its watcher reloads the rewritten file).
    let listed: { ownership: string; agents: ListedAgent[] } | undefined;
    for (const started = Date.now(); Date.now() - started < 60_000; ) {
      const a = await ask(legacyConn.reader, "agents.list", {});
      listed = a.payload as typeof listed;
      if (listed?.ownership === "explicit" && listed.agents.some((x) => x.id === "scout")) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed?.agents.find((x) => x.id === "scout")).toMatchObject({ createdVia: "operator" });
    for (const who of WHO) await expectSame(who);
  }, 120_000);

  it("what hanzod cannot derive yet it refuses by name instead of answering differently", async () => {
    // Same state database, a config hanzod does not project yet: an avatar (the legacy resolves its URL).
    const configPath = join(scratch, "avatar.json");
    writeFileSync(configPath, JSON.stringify({ agents: { list: [{ id: "main", identity: { name: "M", avatar: "avatars/m.png" } }] } }));
    const other = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, configPath, logger: false, compat: release });
    try {
      const s = await operator(other.url, "t", "reader");
      const refused = await ask(s, "agents.list", {});
      s.close();
      expect(refused).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining('"avatar"') } });
    } finally {
      await other.close();
    }
  });
});
