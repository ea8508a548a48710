/**
 * The live node registry: node-role connections hanzod holds (the node owner holds them, so this state is
 * hanzod's own, like the legacy's in-memory NodeRegistry), keyed by the node's id (its device id, else its
 * client id, as the legacy keys them), and the invokes in flight to each. It lives in core, not in a domain,
 * because connections register and unregister here whether or not the nodes domain was loaded.
 *
 * What the legacy does and this follows (dist node-registry / node-registry-private, 2026.9.1 and 2026.9.6):
 * a new connection for a node id replaces the previous one (whose invokes end); `node.invoke.request` is
 * sent to the node's socket as a bare event frame (no seq); a result is matched by invoke id, node id and
 * the connection that received the request; the default timeout is 30 s; an invoke whose node connection
 * closes ends with `DISCONNECTED: node disconnected (<command>)`.
 */
import { randomUUID } from "node:crypto";

export interface NodeSession {
  nodeId: string;
  connId: string;
  clientId: string;
  clientMode: string;
  displayName?: string;
  platform?: string;
  version?: string;
  coreVersion?: string;
  uiVersion?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  remoteIp?: string;
  /** What the connect declared (the approved surface is intersected at read time, from the paired row). */
  declaredCaps: string[];
  declaredCommands: string[];
  permissions?: unknown;
  pathEnv?: string;
  connectedAtMs: number;
  /** The last `node.host.stats` the node reported on this connection, with the time hanzod received it. */
  hostStats?: Record<string, unknown>;
  /** Sends one raw frame to the node's socket; false when it is gone. */
  send(text: string): boolean;
}

export interface NodeInvokeError {
  code: string;
  message: string;
}

export type NodeInvokeResult = { ok: true; payload?: unknown; payloadJSON?: string | null } | { ok: false; error: NodeInvokeError | Record<string, unknown> | null; dispatched: boolean };

interface PendingInvoke {
  nodeId: string;
  connId: string;
  command: string;
  timer: NodeJS.Timeout;
  resolve(r: NodeInvokeResult): void;
  runEvent?: AuthorizedSystemRunEvent;
}

function systemRunEventKey(e: { nodeId: string; connId: string; sessionKey?: string; runId: string }): string {
  return `${e.nodeId}\0${e.connId}\0${e.sessionKey ?? ""}\0${e.runId}`;
}

/**
 * What the legacy persists about a live node in its approved surface (`node_surface_json`): the time of
 * its last connect and disconnect, its last host stats (the legacy's node.recordConnection,
 * node.recordDisconnection, node.recordHostStats mutations). Best effort, as in the legacy (it logs a
 * failed write and keeps the connection).
 */
export interface NodeSurfaceRecorder {
  connected(nodeId: string, connectedAtMs: number): void;
  disconnected(nodeId: string, connectedAtMs: number, disconnectedAtMs: number): void;
  hostStats(nodeId: string, hostStats: Record<string, unknown>): void;
}

/** The legacy's default node invoke timeout (resolveTimerTimeoutMs(params.timeoutMs, 3e4, 0)). */
export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
/**
 * The legacy's timer ceiling (MAX_TIMER_TIMEOUT_MS): a longer timeoutMs is clamped to it. Unclamped, Node
 * turns a delay above 2^31-1 ms into 1 ms, and the invoke would time out at once.
 */
export const MAX_INVOKE_TIMEOUT_MS = 2_147_000_000;

/** What a forwarded `system.run` lets its node report back (the legacy's resolvePendingSystemRunEvent). */
export interface SystemRunEvent {
  runId: string;
  sessionKey?: string;
  /** The run's normalised timeoutMs: null (no expiry) or absent keep the authorization until the node drops. */
  timeoutMs?: number | null;
}

/** The legacy's grace after a run's timeout during which its exec events still match (AUTHORIZED_SYSTEM_RUN_EVENT_GRACE_MS). */
const SYSTEM_RUN_EVENT_GRACE_MS = 300_000;

interface AuthorizedSystemRunEvent extends SystemRunEvent {
  nodeId: string;
  connId: string;
  expiresAtMs: number | null;
}

export class NodeRegistry {
  private readonly byId = new Map<string, NodeSession>();
  private readonly byConn = new Map<string, string>();
  private readonly pending = new Map<string, PendingInvoke>();
  /**
   * The legacy's "authorized system.run events": a node may report `exec.started|finished|denied` only for a
   * run it was sent, on the connection it was sent on (node-registry authorizeSystemRunEvent).
   */
  private readonly systemRunEvents = new Map<string, AuthorizedSystemRunEvent>();

  constructor(private readonly recorder?: NodeSurfaceRecorder) {}

  register(session: NodeSession): void {
    const previous = this.byId.get(session.nodeId);
    this.byId.set(session.nodeId, session);
    this.byConn.set(session.connId, session.nodeId);
    if (previous && previous.connId !== session.connId) this.unregister(previous.connId);
    this.recorder?.connected(session.nodeId, session.connectedAtMs);
  }

  /** A host stats report from the node's current connection: kept live and persisted; null for a stale connection. */
  updateHostStats(nodeId: string, connId: string, stats: Record<string, unknown>): Record<string, unknown> | null {
    const node = this.byId.get(nodeId);
    if (!node || node.connId !== connId) return null;
    node.hostStats = { ...stats, updatedAtMs: Date.now() };
    this.recorder?.hostStats(nodeId, node.hostStats);
    return node.hostStats;
  }

  /** The connection closed: the node leaves the registry (if it was current) and its invokes end. */
  unregister(connId: string): void {
    const nodeId = this.byConn.get(connId);
    if (nodeId === undefined) return;
    this.byConn.delete(connId);
    const current = this.byId.get(nodeId);
    if (current?.connId === connId) {
      this.byId.delete(nodeId);
      this.recorder?.disconnected(nodeId, current.connectedAtMs, Date.now());
    }
    for (const [key, e] of this.systemRunEvents) if (e.connId === connId) this.systemRunEvents.delete(key);
    for (const [id, p] of this.pending) {
      if (p.connId !== connId) continue;
      this.settle(id, { ok: false, error: { code: "DISCONNECTED", message: `node disconnected (${p.command})` }, dispatched: true });
    }
  }

  get(nodeId: string): NodeSession | undefined {
    return this.byId.get(nodeId);
  }

  /** The node id a connection registered as (its node-role calls act on that node only). */
  nodeOf(connId: string): string | undefined {
    return this.byConn.get(connId);
  }

  list(): NodeSession[] {
    return [...this.byId.values()];
  }

  /** Sends `node.invoke.request` to the node's current connection and waits for its result or the timeout. */
  invoke(p: { nodeId: string; command: string; params?: unknown; timeoutMs?: number; idempotencyKey: string; sessionKey?: string; systemRunEvent?: SystemRunEvent }): Promise<NodeInvokeResult> {
    const node = this.byId.get(p.nodeId);
    if (!node) return Promise.resolve({ ok: false, error: { code: "NOT_CONNECTED", message: "node not connected" }, dispatched: false });
    const timeoutMs = typeof p.timeoutMs === "number" && Number.isFinite(p.timeoutMs) && p.timeoutMs > 0 ? Math.min(Math.floor(p.timeoutMs), MAX_INVOKE_TIMEOUT_MS) : DEFAULT_INVOKE_TIMEOUT_MS;
    const id = randomUUID();
    const payload = {
      id,
      nodeId: p.nodeId,
      command: p.command,
      paramsJSON: p.params === undefined ? null : JSON.stringify(p.params),
      timeoutMs,
      idempotencyKey: p.idempotencyKey,
      ...(p.sessionKey ? { sessionKey: p.sessionKey } : {}),
    };
    return new Promise<NodeInvokeResult>((resolve) => {
      const timer = setTimeout(() => this.settle(id, { ok: false, error: { code: "TIMEOUT", message: "node invoke timed out" }, dispatched: true }), timeoutMs);
      timer.unref();
      const runEvent = p.systemRunEvent ? this.rememberSystemRunEvent({ ...p.systemRunEvent, nodeId: p.nodeId, connId: node.connId }) : undefined;
      this.pending.set(id, { nodeId: p.nodeId, connId: node.connId, command: p.command, timer, resolve, ...(runEvent ? { runEvent } : {}) });
      if (!node.send(JSON.stringify({ type: "event", event: "node.invoke.request", payload }))) {
        this.settle(id, { ok: false, error: { code: "UNAVAILABLE", message: "failed to send invoke to node" }, dispatched: false });
      }
    });
  }

  /** A node's `node.invoke.result`: false when no invoke of that id waits on this node and connection (late, or not its own). */
  handleResult(r: { id: string; nodeId: string; connId: string; ok: boolean; payload?: unknown; payloadJSON?: string | null; error?: Record<string, unknown> | null }): boolean {
    const p = this.pending.get(r.id);
    if (!p || p.nodeId !== r.nodeId || p.connId !== r.connId) return false;
    this.settle(r.id, r.ok ? { ok: true, payload: r.payload, payloadJSON: r.payloadJSON ?? null } : { ok: false, error: r.error ?? null, dispatched: true });
    return true;
  }

  /** Whether an invoke of this id waits on this node and connection (progress for it is accepted). */
  isPending(id: string, nodeId: string, connId: string): boolean {
    const p = this.pending.get(id);
    return p !== undefined && p.nodeId === nodeId && p.connId === connId;
  }

  /**
   * A node's `exec.started|finished|denied` for a run: whether it matches one this registry sent on that
   * connection (runId and, when the run had one, session key); a terminal event uses the authorization up. The
   * legacy's macOS-app fallback (an event without runId, or with an unknown one, matched to the only run of
   * that app's connection) is kept too.
   */
  authorizeSystemRunEvent(e: { nodeId: string; connId: string; runId?: string; sessionKey: string; terminal: boolean }): boolean {
    if (!e.connId || !e.sessionKey) return false;
    this.pruneSystemRunEvents();
    const node = this.byId.get(e.nodeId);
    const macFallback = node?.connId === e.connId && node.clientId === "openclaw-macos" && node.platform === "darwin";
    const candidates = [...this.systemRunEvents].filter(([, a]) => a.nodeId === e.nodeId && a.connId === e.connId && (!a.sessionKey || a.sessionKey === e.sessionKey));
    let key: string | undefined;
    if (e.runId) key = candidates.find(([, a]) => a.runId === e.runId)?.[0];
    if (key === undefined && macFallback) key = candidates.length === 1 ? candidates[0]![0] : undefined;
    if (key === undefined) return false;
    if (e.terminal) this.systemRunEvents.delete(key);
    return true;
  }

  private rememberSystemRunEvent(e: Omit<AuthorizedSystemRunEvent, "expiresAtMs">): AuthorizedSystemRunEvent {
    this.pruneSystemRunEvents();
    // addTimerTimeoutGraceMs: the run's timeout plus the grace, clamped to the timer ceiling.
    const expiresAtMs = typeof e.timeoutMs === "number" ? Date.now() + Math.min(e.timeoutMs + SYSTEM_RUN_EVENT_GRACE_MS, MAX_INVOKE_TIMEOUT_MS) : null;
    const event = { ...e, expiresAtMs };
    this.systemRunEvents.set(systemRunEventKey(event), event);
    return event;
  }

  private pruneSystemRunEvents(now = Date.now()): void {
    for (const [key, e] of this.systemRunEvents) if (e.expiresAtMs !== null && e.expiresAtMs <= now) this.systemRunEvents.delete(key);
  }

  private settle(id: string, r: NodeInvokeResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    // A failed run (the node's error, a timeout, a failed send) can report nothing more: the legacy's onFailedResult.
    if (!r.ok && p.runEvent) this.systemRunEvents.delete(systemRunEventKey(p.runEvent));
    p.resolve(r);
  }
}
