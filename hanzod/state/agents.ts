/**
 * The agent inventory as the legacy reports it in `health` (agents, heartbeatSeconds, sessions) and
 * `status` (heartbeat.agents, sessions.byAgent), read from the same state: the agents the config
 * declares (`agents.list[].id`, the one marked `default` first; none declared = the implicit `main`),
 * each with its per-agent database `<stateDir>/agents/<id>/agent/openclaw-agent.sqlite` (session rows
 * are `session_nodes`; the newest five by `updated_at` are `recent`). Heartbeat settings are the
 * legacy's defaults (30 m to the owner); configured heartbeat overrides are not read yet.
 *
 * A database that does not exist yet is not created (count 0), so a fresh hanzod loads no SQLite for
 * this; one that exists is opened read-only.
 */
import { readLegacyConfigObject } from "../config-file.js";
import { agentDbPath, AgentDbs } from "./legacy-state.js";

/** The legacy's default heartbeat (src/infra/heartbeat defaults, as 2026.9.1 and 2026.9.6 report them). */
const DEFAULT_HEARTBEAT = {
  enabled: true,
  every: "30m",
  everyMs: 1_800_000,
  prompt:
    "Follow the heartbeat monitor scratch context when provided. Recurring tasks are automations; create or change their schedules with the automations tool, not heartbeat scratch. Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply NO_REPLY.",
  target: "owner",
  ackMaxChars: 300,
} as const;
const RECENT_LIMIT = 5;

export interface RecentSession {
  key: string;
  updatedAt: number;
  age: number;
}

export interface AgentSessions {
  path: string;
  count: number;
  recent: RecentSession[];
}

export interface AgentRow {
  agentId: string;
  isDefault: boolean;
  heartbeat: typeof DEFAULT_HEARTBEAT;
  sessions: AgentSessions;
}

export interface AgentInventory {
  defaultAgentId: string;
  heartbeatSeconds: number;
  agents: AgentRow[];
  /** The default agent's sessions (health's top-level `sessions`). */
  sessions: AgentSessions;
}

/** The agents a config declares (default first; none declared = the implicit `main`). */
export function configuredAgentIds(config: Record<string, unknown>): { ids: string[]; defaultId: string } {
  const agents = config.agents as { list?: unknown } | undefined;
  const list = Array.isArray(agents?.list) ? (agents.list as { id?: unknown; default?: unknown }[]) : [];
  const ids = list.map((a) => (typeof a?.id === "string" ? a.id.trim() : "")).filter((id) => id.length > 0);
  if (ids.length === 0) return { ids: ["main"], defaultId: "main" };
  const marked = list.find((a) => a?.default === true && typeof a.id === "string");
  const defaultId = typeof marked?.id === "string" ? marked.id.trim() : (ids[0] as string);
  return { ids: [defaultId, ...ids.filter((id) => id !== defaultId)], defaultId };
}

export class AgentInventoryReader {
  private readonly dbs = new AgentDbs();

  constructor(
    private readonly stateDir: string,
    private readonly configPath: string,
  ) {}

  agentDbPath(agentId: string): string {
    return agentDbPath(this.stateDir, agentId);
  }

  private sessions(agentId: string, now: number): AgentSessions {
    const path = this.agentDbPath(agentId);
    const db = this.dbs.get(path);
    if (!db) return { path, count: 0, recent: [] };
    const count = (db.prepare("SELECT count(*) AS n FROM session_nodes").get() as { n: number }).n;
    const rows = db.prepare("SELECT session_key AS key, updated_at AS updatedAt FROM session_nodes ORDER BY updated_at DESC LIMIT ?").all(RECENT_LIMIT) as { key: string; updatedAt: number }[];
    return { path, count, recent: rows.map((r) => ({ key: r.key, updatedAt: r.updatedAt, age: Math.max(0, now - r.updatedAt) })) };
  }

  read(now = Date.now()): AgentInventory {
    let config: Record<string, unknown>;
    try {
      config = readLegacyConfigObject(this.configPath);
    } catch {
      // An unreadable config is the config domain's error to report; the inventory falls back to the implicit agent.
      config = {};
    }
    const { ids, defaultId } = configuredAgentIds(config);
    const agents = ids.map((agentId) => ({ agentId, isDefault: agentId === defaultId, heartbeat: DEFAULT_HEARTBEAT, sessions: this.sessions(agentId, now) }));
    const first = agents[0] as AgentRow;
    return { defaultAgentId: defaultId, heartbeatSeconds: DEFAULT_HEARTBEAT.everyMs / 1000, agents, sessions: first.sessions };
  }

  close(): void {
    this.dbs.close();
  }
}
