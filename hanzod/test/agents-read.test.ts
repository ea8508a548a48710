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
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { openSqlite } from "../../protocol/index.js";
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

  async function expectSame(who: Who, params: Record<string, unknown> = {}, method = "agents.list"): Promise<Answer> {
    const { legacy: fromLegacy, hanzod: fromHanzod } = await askBoth(() => ask(legacyConn[who], method, params), () => ask(hanzodConn[who], method, params), method);
    expect({ who, method, params, answer: fromHanzod }).toEqual({ who, method, params, answer: fromLegacy });
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

  // agents.files.*: the workspace bootstrap files, read from the same disk by both runtimes.
  const FILE_NAMES = ["AGENTS.md", "SOUL.md", "IDENTITY.md", "USER.md", "BOOTSTRAP.md", "MEMORY.md"];

  it("agents.files.list/get before any workspace exists: every file missing, and neither runtime creates anything", async () => {
    for (const agentId of ["main", "ops", "research", "MAIN", " Ops "]) {
      const listed = await expectSame("reader", { agentId }, "agents.files.list");
      expect(listed).toMatchObject({ ok: true, payload: { files: expect.arrayContaining([expect.objectContaining({ name: "AGENTS.md", missing: true })]) } });
      for (const name of FILE_NAMES) await expectSame("reader", { agentId, name }, "agents.files.get");
    }
    // The read path writes nothing: no workspace was created (the legacy seeds workspaces on agent runs and agents.create only).
    expect(existsSync(join(legacy.stateDir, "workspace"))).toBe(false);
    expect(existsSync(join(legacy.stateDir, "workspace-ops"))).toBe(false);
    expect(existsSync(join(scratch, "repo", "research"))).toBe(false);
  }, 120_000);

  it("agents.files.*: unknown agents, bad params, names outside the allow list and path traversal get the legacy's own errors", async () => {
    const refusals: [string, Record<string, unknown>][] = [
      ["agents.files.list", { agentId: "nope" }],
      ["agents.files.list", { agentId: "!!!" }],
      ["agents.files.list", { agentId: "Main!!" }],
      ["agents.files.list", {}],
      ["agents.files.list", { agentId: "" }],
      ["agents.files.list", { agentId: "main", bogus: 1 }],
      ["agents.files.get", { agentId: "nope", name: "AGENTS.md" }],
      ["agents.files.get", { agentId: "main" }],
      ["agents.files.get", { agentId: "main", name: "" }],
      ["agents.files.get", { agentId: 7, name: "AGENTS.md" }],
    ];
    for (const name of ["../x", "../../../etc/passwd", "/etc/passwd", "AGENTS.md/..", "./AGENTS.md", "agents.md", "TOOLS.md", "HEARTBEAT.md", "..", " ", "AGENTS.md\u0000"]) refusals.push(["agents.files.get", { agentId: "main", name }]);
    for (const [method, params] of refusals) await expectSame("reader", params, method);
    // What the comparison covers: traversal is refused by the allow list, before any path is built.
    expect(await ask(hanzodConn.reader, "agents.files.get", { agentId: "main", name: "../x" })).toMatchObject({ ok: false, error: { code: "INVALID_REQUEST", message: 'unsupported file "../x"' } });
    // The scope comes from the method table: an admin's answer is the reader's.
    await expectSame("admin", { agentId: "main" }, "agents.files.list");
    await expectSame("admin", { agentId: "main", name: "../x" }, "agents.files.get");
  }, 120_000);

  it("agents.files.*: files on disk (sizes, mtimes, content, invalid UTF-8) and the legacy's rules for symlinks, hard links and directories", async () => {
    const ws = join(scratch, "repo", "research");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, "AGENTS.md"), "# Research\n\nRead the papers. 🦞\n");
    writeFileSync(join(ws, "BOOTSTRAP.md"), Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x41, 0x0a]));
    // A secret outside the workspace, reached by a symlink and by a hard link: never read.
    writeFileSync(join(scratch, "outside.md"), "secret outside the workspace\n");
    symlinkSync(join(scratch, "outside.md"), join(ws, "SOUL.md"));
    linkSync(join(scratch, "outside.md"), join(ws, "USER.md"));
    // A symlink to a file inside the workspace: listed with its target's metadata, still refused on read.
    writeFileSync(join(ws, "memory-target.md"), "remembered\n");
    symlinkSync("memory-target.md", join(ws, "MEMORY.md"));
    mkdirSync(join(ws, "IDENTITY.md"));
    for (const who of ["reader", "admin"] as const) {
      const listed = await expectSame(who, { agentId: "research" }, "agents.files.list");
      const files = (listed.payload as { files: { name: string; missing: boolean; size?: number }[] }).files;
      // What the comparison covers: a present file, an outside symlink listed missing, an inside one listed with its target's size.
      expect(files.find((f) => f.name === "AGENTS.md")).toMatchObject({ missing: false });
      expect(files.find((f) => f.name === "SOUL.md")).toMatchObject({ missing: true });
      expect(files.find((f) => f.name === "MEMORY.md")).toMatchObject({ missing: false, size: 11 });
      for (const name of FILE_NAMES) await expectSame(who, { agentId: "research", name }, "agents.files.get");
    }
    const got = await expectSame("reader", { agentId: "research", name: "SOUL.md" }, "agents.files.get");
    expect(got).toMatchObject({ ok: false, error: { message: 'unsafe workspace file "SOUL.md"' } });
    // The default agent's workspace under the state dir, with an empty file.
    mkdirSync(join(legacy.stateDir, "workspace"), { recursive: true });
    writeFileSync(join(legacy.stateDir, "workspace", "AGENTS.md"), "");
    await expectSame("reader", { agentId: "main" }, "agents.files.list");
    await expectSame("reader", { agentId: "main", name: "AGENTS.md" }, "agents.files.get");
  }, 120_000);

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

  it("agents.files.* after agents.create: the workspace the legacy seeded reads the same; a listing that would write, or a completed setup, is left to the legacy", async () => {
    // Runs after the creation above: the config is now the explicit fleet the legacy wrote back.
    for (const agentId of ["main", "ops", "research"]) await expectSame("reader", { agentId }, "agents.files.list");
    for (const name of FILE_NAMES) await expectSame("reader", { agentId: "scout", name }, "agents.files.get");
    const seeded = await expectSame("reader", { agentId: "scout" }, "agents.files.list");
    // What the comparison covers: the seeded files, BOOTSTRAP.md listed while setup is not completed.
    expect((seeded.payload as { files: { name: string; missing: boolean }[] }).files.find((f) => f.name === "BOOTSTRAP.md")).toMatchObject({ missing: false });

    // The workspace's setup row, written as the legacy writes it (its path alias, its completion time).
    const scoutWs = (seeded.payload as { workspace: string }).workspace;
    const db = openSqlite(join(legacy.stateDir, "state", "openclaw.sqlite"));
    try {
      db.pragma("busy_timeout = 5000");
      expect(db.prepare("SELECT count(*) AS n FROM workspace_path_aliases WHERE alias_path = ?").get(scoutWs)).toEqual({ n: 1 });
      // Without its alias row the legacy's listing writes (it registers the alias again): hanzod leaves it to the legacy.
      db.prepare("DELETE FROM workspace_path_aliases WHERE alias_path = ?").run(scoutWs);
      expect(await ask(hanzodConn.reader, "agents.files.list", { agentId: "scout" })).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining("no path alias yet") } });
      expect((await ask(legacyConn.reader, "agents.files.list", { agentId: "scout" })).ok).toBe(true);
      expect(db.prepare("SELECT count(*) AS n FROM workspace_path_aliases WHERE alias_path = ?").get(scoutWs)).toEqual({ n: 1 });
      await expectSame("reader", { agentId: "scout" }, "agents.files.list");
      // Setup completed: the legacy hides BOOTSTRAP.md after a per-process migration check; hanzod refuses.
      db.prepare("UPDATE workspace_setup_state SET setup_completed_at = ? WHERE workspace_path = ?").run(new Date().toISOString(), scoutWs);
      const completed = await ask(legacyConn.reader, "agents.files.list", { agentId: "scout" });
      expect((completed.payload as { files: { name: string }[] }).files.map((f) => f.name)).not.toContain("BOOTSTRAP.md");
      expect(await ask(hanzodConn.reader, "agents.files.list", { agentId: "scout" })).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining("setup is completed") } });
    } finally {
      db.close();
    }
  }, 120_000);

  it("agents.files.*: a workspace reached through a symlink, or (2026.9.6) a plugins setting, is refused by name", async () => {
    const real = join(scratch, "real-ws");
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, "AGENTS.md"), "# via a link\n");
    symlinkSync(real, join(scratch, "linked-ws"));
    const configs: [string, Record<string, unknown>, string][] = [["linked.json", { agents: { list: [{ id: "main", workspace: join(scratch, "linked-ws") }] } }, "symlink"]];
    if (release !== "2026.9.1") configs.push(["plugins.json", { agents: { list: [{ id: "main" }] }, plugins: { entries: { "file-transfer": { config: { workspaces: {} } } } } }, '"plugins"']);
    for (const [fileName, config, named] of configs) {
      const configPath = join(scratch, fileName);
      writeFileSync(configPath, JSON.stringify(config));
      const other = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, configPath, logger: false, compat: release });
      try {
        const s = await operator(other.url, "t", "reader");
        for (const [method, params] of [["agents.files.list", { agentId: "main" }], ["agents.files.get", { agentId: "main", name: "AGENTS.md" }]] as const) {
          expect(await ask(s, method, params)).toMatchObject({ ok: false, error: { code: "UNAVAILABLE", message: expect.stringContaining(named) } });
        }
        s.close();
      } finally {
        await other.close();
      }
    }
  });

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
