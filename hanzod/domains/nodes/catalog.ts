/**
 * `node.list` / `node.describe` rows: the legacy's known-node catalog (2026.9.6 dist node-catalog:
 * createKnownNodeCatalog / buildEffectiveKnownNode), built from the paired device rows (the node's device
 * pairing and its approved surface in `node_surface_json`) merged with hanzod's live registry.
 *
 * Only what hanzod can fill exactly is built; a row that would need live data hanzod does not keep
 * (runner inventory and session host, host stats, plugin tools, presence activity, desktop/computer use,
 * a pending surface next to a live node) makes the whole answer `refused`, so the caller declines.
 */
import type { NodeSession } from "../../core/nodes.js";
import { effectiveRoles, type LegacyPaired } from "../../state/device-pairing.js";
import { HOST_STATS_RELEASE, validStoredHostStats } from "../../state/node-host-stats.js";

/** Node-worker controls the legacy never lists or lets an operator invoke (dist node-commands NODE_WORKER_PRIVATE_COMMANDS). */
export const PRIVATE_NODE_COMMANDS: ReadonlySet<string> = new Set([
  "worker.bundle.install.v1",
  "worker.launch.v1",
  "worker.status.v1",
  "worker.cancel.v1",
  "worker.environment.stop.v1",
  "worker.workspace.exec.v1",
  "worker.workspace.prepare.v1",
  "worker.workspace.retain.v1",
  "worker.desktop.stream.v1",
  "worker.desktop.launch.v1",
  "worker.desktop.computer.v1",
  "worker.portal.stream.v1",
]);

export type CatalogRead = { kind: "rows"; rows: Record<string, unknown>[] } | { kind: "refused"; reason: string };

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const first = (...vs: unknown[]): string | undefined => vs.map(str).find((v) => v !== undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** normalizeSortedUniqueTrimmedStringList: trimmed, non-empty, unique, sorted. */
const sortedUnique = (v: string[]): string[] => [...new Set(v.map((s) => s.trim()).filter((s) => s !== ""))].sort();
const publicCommands = (v: string[]): string[] => v.filter((c) => !PRIVATE_NODE_COMMANDS.has(c.trim()));
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The live session as the legacy registers it: caps and commands cut to the approved surface. */
export function approvedLive(live: NodeSession, surface: Record<string, unknown> | undefined): { caps: string[]; commands: string[] } {
  const approvedCmds = new Set(strings(surface?.commands));
  const approvedCaps = new Set(strings(surface?.caps));
  return { caps: live.declaredCaps.filter((c) => approvedCaps.has(c)), commands: live.declaredCommands.filter((c) => approvedCmds.has(c)) };
}

/** The host stats a row shows: the live ones, else (2026.9.6) the stored ones its row reader keeps valid. */
function hostStatsOf(surface: Record<string, unknown> | undefined, live: NodeSession | undefined, release: string): unknown {
  if (live) return live.hostStats;
  return release === HOST_STATS_RELEASE && validStoredHostStats(surface?.lastHostStats) ? surface?.lastHostStats : undefined;
}

/**
 * The legacy's approved-node projection of a paired row (toPairedNode): the surface's own fields, the
 * device row's platform, family, client, address and last-seen.
 */
function pairedNode(d: LegacyPaired, s: Record<string, unknown>): Record<string, unknown> {
  return {
    displayName: s.displayName ?? d.displayName,
    platform: d.platform,
    version: s.version,
    coreVersion: s.coreVersion,
    uiVersion: s.uiVersion,
    deviceFamily: d.deviceFamily,
    modelIdentifier: s.modelIdentifier,
    caps: s.caps,
    commands: s.commands,
    permissions: s.permissions,
    remoteIp: d.remoteIp,
    sessionHost: s.sessionHost,
    approvedAtMs: s.approvedAtMs,
    lastConnectedAtMs: s.lastConnectedAtMs,
    lastDisconnectedAtMs: s.lastDisconnectedAtMs,
    lastHostStats: s.lastHostStats,
    lastSeenAtMs: d.lastSeenAtMs,
    lastSeenReason: d.lastSeenReason,
  };
}

/**
 * One catalog row (buildEffectiveKnownNode): `device` is the device pairing when it holds the node role,
 * `node` the approved-node projection when the row has an approved surface, `live` hanzod's connection.
 */
function row(nodeId: string, device: LegacyPaired | undefined, node: Record<string, unknown> | undefined, surface: Record<string, unknown> | undefined, live: NodeSession | undefined, release: string): Record<string, unknown> {
  const hostStats = hostStatsOf(surface, live, release);
  const cut = live ? approvedLive(live, surface) : undefined;
  const seen = [
    live ? { atMs: live.connectedAtMs, reason: "connect" } : undefined,
    num(node?.lastSeenAtMs) !== undefined ? { atMs: num(node?.lastSeenAtMs)!, reason: node?.lastSeenReason } : undefined,
    num(node?.lastConnectedAtMs) !== undefined ? { atMs: num(node?.lastConnectedAtMs)!, reason: "connect" } : undefined,
    device?.lastSeenAtMs !== undefined ? { atMs: device.lastSeenAtMs, reason: device.lastSeenReason } : undefined,
  ].filter((c) => c !== undefined);
  let newest: { atMs: number; reason: unknown } | undefined;
  for (const c of seen) if (!newest || c.atMs > newest.atMs) newest = c;
  const connected = [num(node?.lastConnectedAtMs), live?.connectedAtMs].filter((v) => v !== undefined);
  return defined({
    nodeId,
    displayName: first(node?.displayName, live?.displayName, device?.displayName),
    platform: first(live?.platform, node?.platform, device?.platform),
    version: first(live?.version, node?.version),
    coreVersion: first(live?.coreVersion, node?.coreVersion),
    uiVersion: first(live?.uiVersion, node?.uiVersion),
    clientId: first(live?.clientId, device?.clientId),
    clientMode: first(live?.clientMode, device?.clientMode),
    deviceFamily: first(live?.deviceFamily, node?.deviceFamily),
    modelIdentifier: first(live?.modelIdentifier, node?.modelIdentifier),
    remoteIp: first(live?.remoteIp, node?.remoteIp, device?.remoteIp),
    caps: cut ? sortedUnique(cut.caps) : sortedUnique(strings(node?.caps)),
    commands: publicCommands(cut ? sortedUnique(cut.commands) : sortedUnique(publicCommands(strings(node?.commands)))),
    sessionHost: live ? false : node?.sessionHost === true,
    ...(hostStats ? { hostStats: structuredClone(hostStats) } : {}),
    // A live node's plugin tools start empty (node.pluginTools.update with tools is declined).
    nodePluginTools: live ? [] : undefined,
    pathEnv: live?.pathEnv,
    permissions: live ? live.permissions : node?.permissions,
    approvalState: node ? "approved" : "unapproved",
    connectedAtMs: live?.connectedAtMs,
    lastConnectedAtMs: connected.length > 0 ? Math.max(...connected) : undefined,
    lastDisconnectedAtMs: live ? undefined : num(node?.lastDisconnectedAtMs),
    lastSeenAtMs: newest?.atMs,
    lastSeenReason: str(newest?.reason),
    approvedAtMs: num(node?.approvedAtMs) ?? device?.approvedAtMs,
    paired: Boolean(device ?? node),
    connected: Boolean(live),
  });
}

/** Connected first, then by display name (else id), lower case; then id (compareKnownNodes). */
function compare(a: Record<string, unknown>, b: Record<string, unknown>): number {
  if (a.connected !== b.connected) return a.connected ? -1 : 1;
  const an = String(a.displayName ?? a.nodeId).toLowerCase();
  const bn = String(b.displayName ?? b.nodeId).toLowerCase();
  if (an < bn) return -1;
  if (an > bn) return 1;
  return String(a.nodeId).localeCompare(String(b.nodeId));
}

/**
 * The catalog for these paired rows and live sessions. A node is listed when it has a device pairing with
 * the node role, an approved surface, or a live connection; a node with only a pending surface is refused
 * (its row merges the pending request's fields, which hanzod does not reproduce here).
 */
export function knownNodes(paired: readonly LegacyPaired[], live: readonly NodeSession[], release: string): CatalogRead {
  const devices = new Map<string, LegacyPaired>();
  const nodes = new Map<string, { node: Record<string, unknown>; surface: Record<string, unknown> }>();
  for (const d of paired) {
    if (d.pendingNodeSurface !== undefined) return { kind: "refused", reason: `node ${d.deviceId} has a pending surface (its catalog row merges the pending request)` };
    // The device pairing counts when it holds the node role; the approved surface on its own.
    if (effectiveRoles(d).includes("node")) devices.set(d.deviceId, d);
    if (d.nodeSurface) nodes.set(d.deviceId, { node: pairedNode(d, d.nodeSurface), surface: d.nodeSurface });
  }
  const liveById = new Map(live.map((s) => [s.nodeId, s]));
  const rows: Record<string, unknown>[] = [];
  for (const id of new Set([...devices.keys(), ...nodes.keys(), ...liveById.keys()])) {
    const session = liveById.get(id);
    const approved = nodes.get(id);
    if (session && !approved) return { kind: "refused", reason: `live node ${id} has no approved surface in the paired rows` };
    rows.push(row(id, devices.get(id), approved?.node, approved?.surface, session, release));
  }
  return { kind: "rows", rows: rows.sort(compare) };
}
