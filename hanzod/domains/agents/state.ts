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

  close(): void {
    this.db.close();
  }
}
