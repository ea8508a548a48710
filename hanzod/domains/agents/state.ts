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
   * What the legacy's `isWorkspaceSetupCompleted` reads for this workspace (a real path, so its one state
   * key; readWorkspaceStateSnapshot in both releases): `false` when the answer is "not completed" and the
   * read writes nothing, else the reason hanzod leaves the listing to the legacy. The legacy writes when
   * the workspace has setup state but no path alias row yet (it registers the alias), and a completed
   * setup also passes a per-process migration check hanzod cannot see: both refused.
   */
  workspaceSetupCompleted(workspacePath: string, key: string): false | { refuse: string } {
    const db = this.db.get();
    // No database or tables yet: the legacy's read would create them.
    if (!db || !this.hasTable(db, "workspace_setup_state") || !this.hasTable(db, "workspace_path_aliases")) return { refuse: "before the legacy's state database has its workspace tables" };
    const aliases = db.prepare("SELECT alias_path, workspace_key, workspace_path FROM workspace_path_aliases WHERE alias_key = ?").all(key) as { alias_path: string; workspace_key: string; workspace_path: string }[];
    // Only the workspace's alias of itself is read here; an alias to another path moves its state: not compared.
    if (aliases.some((a) => a.alias_path !== workspacePath || a.workspace_key !== key || a.workspace_path !== workspacePath)) return { refuse: "for a workspace whose state is recorded under another path" };
    const row = db.prepare("SELECT version, setup_completed_at, attested_at_ms FROM workspace_setup_state WHERE workspace_key = ?").get(key) as { version: number | null; setup_completed_at: string | null; attested_at_ms: number | null } | undefined;
    if (!row) return false;
    if (aliases.length === 0 && (row.version !== null || row.attested_at_ms !== null)) return { refuse: "for a workspace with setup state and no path alias yet (the legacy's read registers it)" };
    if (typeof row.setup_completed_at === "string" && row.setup_completed_at.trim() !== "") return { refuse: "for a workspace whose setup is completed" };
    // Not completed: the legacy answers false whether its checks pass or throw (it catches them).
    return false;
  }

  close(): void {
    this.db.close();
  }
}
