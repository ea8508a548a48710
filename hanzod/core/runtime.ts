/** Everything process-wide a connection or handler needs, built once per `startHanzod`. */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { DEFAULTS, type HanzodOptions } from "../options.js";
import { AuthRateLimiter } from "./auth/rate-limiter.js";
import { ProxyMatcher } from "./auth/net.js";
import { Broadcaster } from "./broadcaster.js";
import { sessionSubscriptions, type SessionSubscriptions } from "./session-subscriptions.js";
import { SystemRunApprovalSlot } from "./system-run-approvals.js";
import type { CallerInfo } from "./method.js";
import { PresenceRegistry } from "./presence.js";
import { HealthMonitor } from "./health.js";
import { HanzodStore } from "./device-store.js";
import { hanzodPairing, legacyPairing, type DevicePairingStore } from "./pairing-store.js";
import { LegacyDevicePairing } from "../state/device-pairing.js";
import { resolveCompatRelease } from "../version.js";
import { answerAs } from "./compat.js";
import { ActiveWork } from "./lifecycle/active-work.js";
import { SuspensionCoordinator } from "./lifecycle/suspension.js";
import { RestartCoordinator } from "./lifecycle/restart.js";
import { keepaliveWindowFor, type KeepaliveSettings } from "./keepalive.js";
import { legacyStateLayout, type LegacyState } from "../state/legacy-state.js";
import { AgentInventoryReader } from "../state/agents.js";
import { OwnerProfiles } from "../state/owner-profile.js";
import { DeviceConnections, type DeviceConnectionsView } from "./device-connections.js";
import { NodeRegistry } from "./nodes.js";
import { legacyNodeSurfaceRecorder } from "../state/node-surface.js";

export interface Runtime {
  readonly opts: HanzodOptions;
  /** The legacy release hanzod answers as (server.version, presence, release-dependent answers). */
  readonly version: string;
  readonly bootId: string;
  readonly startedAt: number;
  readonly log: Logger | undefined;
  readonly limiter: AuthRateLimiter;
  readonly proxies: ProxyMatcher;
  readonly broadcaster: Broadcaster;
  readonly presence: PresenceRegistry;
  readonly health: HealthMonitor;
  readonly store: HanzodStore;
  /** Paired devices, device tokens, pending requests: the legacy's tables on its state dir, else hanzod's own. */
  readonly pairing: DevicePairingStore;
  /** Open connections per device id and role (device.pair.list `connected`; closed on removal or token change). */
  readonly deviceConnections: DeviceConnections;
  /** Node-role connections hanzod holds and the invokes in flight to them (core/nodes.ts). */
  readonly nodes: NodeRegistry;
  readonly tickIntervalMs: number;
  readonly keepalive: KeepaliveSettings;
  /** Admitted root work (requests, connects) by origin; what preflight/suspension report. */
  readonly work: ActiveWork;
  readonly suspension: SuspensionCoordinator;
  readonly restart: RestartCoordinator;
  /** The legacy's state dir when --state-dir is one (checked at start), else undefined. */
  readonly legacy: LegacyState | undefined;
  /** The agents the state's config declares, with their session databases (health, status). */
  readonly agents: AgentInventoryReader;
  /** The gateway owner's profile (2026.9.6 presence attribution): the legacy's row, else hanzod's own. */
  readonly owners: OwnerProfiles;
  /** Which connections subscribed to session events and to which sessions' messages (session-subscriptions.ts). */
  readonly sessionSubscriptions: SessionSubscriptions;
  /** The exec approval binder for `node.invoke system.run` (system-run-approvals.ts): the approvals domain provides it. */
  readonly systemRunApprovals: SystemRunApprovalSlot;
  /** Events to chosen connections (exec approvals go to the approval clients that may see a record). */
  readonly eventClients: EventClients;
  port: number;
  /** Refresh health, bump its version and broadcast (throttled so a busy health caller cannot flood every socket). */
  refreshHealth(): void;
  broadcastPresence(): void;
}

/**
 * What core offers every domain. Connection plumbing (auth limiter, proxy matcher, keepalive, the
 * broadcaster itself: domains emit through their handler's `emit`) stays out of reach.
 */
export type CoreServices = Pick<
  Runtime,
  "opts" | "version" | "bootId" | "startedAt" | "log" | "presence" | "health" | "work" | "suspension" | "restart" | "legacy" | "agents" | "port" | "refreshHealth" | "broadcastPresence" | "nodes" | "sessionSubscriptions" | "systemRunApprovals" | "eventClients"
> & {
  /** Domains ask whether a device is connected and close its connections; only connections register. */
  readonly deviceConnections: DeviceConnectionsView;
};

const HEALTH_BROADCAST_MIN_GAP_MS = 1_000;
/** How long a restart waits for in-flight requests before it proceeds anyway. */
const RESTART_DRAIN_TIMEOUT_MS = 30_000;

/**
 * The connected callers and a send to chosen ones: for a domain whose events go to the connections a record
 * is visible to (the legacy's `broadcastToConnIds`), also from its own timers. Scope guards still apply.
 */
export interface EventClients {
  list(): CallerInfo[];
  sendTo(event: string, payload: unknown, connIds: ReadonlySet<string>, opts?: { dropIfSlow?: boolean }): void;
}

export interface RuntimeHooks {
  /** Replace this incarnation: shutdown event, close 1012, then restart in-process or exit (index.ts). */
  performRestart(reason: string): Promise<void>;
}

export function createRuntime(opts: HanzodOptions, log: Logger | undefined, legacy: LegacyState | undefined, hooks: RuntimeHooks): Runtime {
  const broadcaster = new Broadcaster(opts.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes);
  const work = new ActiveWork();
  const restart = new RestartCoordinator(work, (reason) => hooks.performRestart(reason), RESTART_DRAIN_TIMEOUT_MS);
  const suspension = new SuspensionCoordinator(
    work,
    (phase) => {
      log?.info({ phase }, "suspension phase");
      broadcaster.broadcast("gateway.suspension", { phase });
    },
    () => restart.isPending,
  );
  const version = resolveCompatRelease(opts.compat);
  const presence = new PresenceRegistry(version, (row) => answerAs("presence-row", row, { release: version }));
  const store = new HanzodStore(opts.stateDir, DEFAULTS.pairingRequestTtlMs);
  const pairing = legacy ? legacyPairing(new LegacyDevicePairing(legacy.stateDb)) : hanzodPairing(store);
  const agents = new AgentInventoryReader(opts.stateDir, opts.configPath ?? legacyStateLayout(opts.stateDir).configPath);
  const health = new HealthMonitor(() => agents.read());
  let lastHealthBroadcast = 0;
  let pendingHealth: NodeJS.Timeout | undefined;
  const runtime: Runtime = {
    opts,
    version,
    bootId: randomUUID(),
    startedAt: Date.now(),
    log,
    limiter: new AuthRateLimiter(),
    proxies: new ProxyMatcher(opts.trustedProxies ?? []),
    broadcaster,
    sessionSubscriptions: sessionSubscriptions(broadcaster),
    systemRunApprovals: new SystemRunApprovalSlot(),
    eventClients: { list: () => broadcaster.clients(), sendTo: (event, payload, connIds, o) => broadcaster.sendTo(event, payload, connIds, o) },
    presence,
    health,
    store,
    pairing,
    deviceConnections: new DeviceConnections(),
    // The node owner persists what the legacy persists about its nodes, in the legacy's rows.
    nodes: new NodeRegistry(legacy ? legacyNodeSurfaceRecorder(new LegacyDevicePairing(legacy.stateDb), log) : undefined),
    tickIntervalMs: opts.tickIntervalMs ?? DEFAULTS.tickIntervalMs,
    keepalive: { intervalMs: opts.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs, pongTimeoutMs: opts.keepalivePongTimeoutMs ?? DEFAULTS.keepalivePongTimeoutMs, window: keepaliveWindowFor(version) },
    work,
    suspension,
    restart,
    legacy,
    agents,
    owners: new OwnerProfiles(store, legacy?.stateDb),
    port: opts.port,
    refreshHealth() {
      if (pendingHealth) return;
      const wait = Math.max(0, lastHealthBroadcast + HEALTH_BROADCAST_MIN_GAP_MS - Date.now());
      pendingHealth = setTimeout(() => {
        pendingHealth = undefined;
        lastHealthBroadcast = Date.now();
        let snap;
        try {
          snap = health.refresh();
        } catch (err) {
          // A timer's throw would end the process: a snapshot that cannot be read now is skipped, not fatal.
          log?.warn({ err }, "health refresh failed; the previous snapshot stays");
          return;
        }
        broadcaster.stateVersion.health += 1;
        broadcaster.broadcast("health", snap, { withStateVersion: true });
      }, wait);
      pendingHealth.unref();
    },
    broadcastPresence() {
      broadcaster.stateVersion.presence += 1;
      broadcaster.broadcast("presence", { presence: presence.list() }, { dropIfSlow: true, withStateVersion: true });
    },
  };
  return runtime;
}
