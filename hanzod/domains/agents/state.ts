/**
 * What the agents domain reads of the legacy's state: the config file (parsed the legacy's way,
 * hanzod/state/config-snapshot.ts), and from the state database, opened read-only on first use,
 * `agent_provenance` (who created an agent, and when) and whether `exec_approvals_config` holds a
 * policy (which changes an agent's default permission mode). Both are re-read on every call, as the
 * legacy reads them per call.
 */
import type { SqliteDatabase } from "../../../protocol/index.js";
import { readConfigFile, type ConfigFileRead } from "../../state/config-snapshot.js";
import { ReadOnlyDb } from "../../state/read-only-db.js";

export interface AgentProvenance {
  createdVia: "operator" | "agent" | "claw";
  creatorAgentId: string | null;
  createdAt: number;
}

export class AgentsState {
  private readonly db: ReadOnlyDb;

  constructor(
    readonly stateDir: string,
    private readonly configPath: string,
    stateDbPath: string,
  ) {
    this.db = new ReadOnlyDb(stateDbPath);
  }

  readConfig(): ConfigFileRead {
    return readConfigFile(this.configPath);
  }

  private hasTable(db: SqliteDatabase, name: string): boolean {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  /** Recorded provenance by agent id (the legacy fails the call on a row it cannot decode; so does hanzod). */
  provenance(): Map<string, AgentProvenance> {
    const out = new Map<string, AgentProvenance>();
    const db = this.db.get();
    if (!db || !this.hasTable(db, "agent_provenance")) return out;
    const rows = db.prepare("SELECT agent_id, created_via, creator_agent_id, created_at_ms FROM agent_provenance ORDER BY agent_id").all() as { agent_id: string; created_via: string; creator_agent_id: string | null; created_at_ms: number }[];
    for (const r of rows) {
      if (r.created_via !== "operator" && r.created_via !== "agent" && r.created_via !== "claw") throw new Error(`Invalid agent provenance created_via: ${r.created_via}`);
      out.set(r.agent_id, { createdVia: r.created_via, creatorAgentId: r.creator_agent_id, createdAt: r.created_at_ms });
    }
    return out;
  }

  /** Whether the legacy holds an exec approvals file (defaults or per-agent security/ask hanzod does not apply yet). */
  hasExecApprovalsPolicy(): boolean {
    const db = this.db.get();
    return db !== undefined && this.hasTable(db, "exec_approvals_config") && db.prepare("SELECT 1 FROM exec_approvals_config LIMIT 1").get() !== undefined;
  }

  /**
   * Whether the legacy recorded setup state for this workspace key (`workspace_setup_state`) or an alias
   * of it (`workspace_path_aliases`): "none" when neither, "no-db" when the database or its tables are not
   * there yet (the legacy's read would create them). With a record, the legacy's `agents.files.list` may
   * write (it registers missing path aliases) and depends on a per-process migration check: refused.
   */
  workspaceSetupState(key: string): "none" | "recorded" | "no-db" {
    const db = this.db.get();
    if (!db || !this.hasTable(db, "workspace_setup_state") || !this.hasTable(db, "workspace_path_aliases")) return "no-db";
    const setup = db.prepare("SELECT 1 FROM workspace_setup_state WHERE workspace_key = ? LIMIT 1").get(key) !== undefined;
    const alias = db.prepare("SELECT 1 FROM workspace_path_aliases WHERE alias_key = ? OR workspace_key = ? LIMIT 1").get(key, key) !== undefined;
    return setup || alias ? "recorded" : "none";
  }

  close(): void {
    this.db.close();
  }
}
