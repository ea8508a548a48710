/** The agent inventory on a state dir the legacy is still creating: a database file without its schema yet. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../../protocol/index.js";
import { AgentInventoryReader } from "../state/agents.js";
import { SessionStoreReader } from "../state/sessions.js";

describe("agent databases before their tables", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("counts no sessions for an agent database created before its tables, and reads them once they exist", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hanzod-inventory-"));
    dirs.push(stateDir);
    const configPath = join(stateDir, "openclaw.json");
    writeFileSync(configPath, "{}\n");
    const reader = new AgentInventoryReader(stateDir, configPath);
    const file = reader.agentDbPath("main");
    mkdirSync(join(file, ".."), { recursive: true });
    const writer = openSqlite(file);
    try {
      writer.prepare("PRAGMA user_version").get();
      expect(reader.read().agents[0]?.sessions).toMatchObject({ count: 0, recent: [] });
      writer.exec("CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, updated_at INTEGER NOT NULL)");
      writer.prepare("INSERT INTO session_nodes VALUES (?, ?)").run("agent:main:main", 1000);
      const sessions = reader.read(2000).agents[0]?.sessions;
      expect(sessions?.count).toBe(1);
      expect(sessions?.recent).toEqual([{ key: "agent:main:main", updatedAt: 1000, age: 1000 }]);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it("the sessions reader lists nothing from such a database, then its sessions once the table exists", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hanzod-sessions-"));
    dirs.push(stateDir);
    const configPath = join(stateDir, "openclaw.json");
    writeFileSync(configPath, "{}\n");
    const reader = new SessionStoreReader(stateDir, configPath);
    const file = reader.agentDbPath("main");
    mkdirSync(join(file, ".."), { recursive: true });
    const writer = openSqlite(file);
    try {
      const { targets } = reader.targets({});
      expect(reader.read(targets)).toEqual([]);
      writer.exec("CREATE TABLE session_nodes (session_key TEXT PRIMARY KEY, entry_json TEXT NOT NULL, entry_valid INTEGER NOT NULL DEFAULT 1)");
      writer.prepare("INSERT INTO session_nodes VALUES (?, ?, 1)").run("agent:main:main", JSON.stringify({ sessionId: "s1", updatedAt: 1000 }));
      expect(reader.read(targets).length).toBe(1);
    } finally {
      reader.close();
      writer.close();
    }
  });
});
