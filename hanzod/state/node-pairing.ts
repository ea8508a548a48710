/**
 * The legacy's node pairing list (`node.pair.list`), read-only, from its state database: a node is a paired
 * device row (`device_pairing_paired`) with an approved command surface (`node_surface_json`) and/or one
 * waiting for approval (`pending_node_surface_json`). The legacy answers the stored rows only (no live data),
 * so hanzod can answer the same list from the same rows.
 *
 * The row mapping follows the legacy's worker codec (a column that is NULL is an absent field; the JSON
 * columns are parsed as stored) and its projection (dist device-pairing-node.records): each pending surface
 * with the device's fields as fallbacks and the operator scopes its approval needs (from the declared
 * commands), each approved surface with the device's fields; pending newest first, paired by approval time
 * (newest first). Written from the observed behaviour and a reading of the dist code, not copied.
 *
 * What it cannot reproduce exactly is refused (`kind: "refused"`, with the reason), never guessed:
 * (2026.9.6 keeps a node's last host stats only when they pass its stats check, node-host-stats.ts: an
 * invalid stored snapshot is left out, as its row decoder leaves it out.)
 * - two entries with the same sort key (the legacy's order of equal keys is its worker's row order);
 * - a JSON column that is not an object (the legacy's read would throw; it answers UNAVAILABLE too, in
 *   its own words).
 */
import { ReadOnlyDb } from "./read-only-db.js";
import { HOST_STATS_RELEASE, validStoredHostStats } from "./node-host-stats.js";

const OPERATOR_PAIRING = "operator.pairing";
const OPERATOR_WRITE = "operator.write";
const OPERATOR_ADMIN = "operator.admin";

/**
 * Commands whose approval needs an admin (the legacy's node command tables, same in 2026.9.1 and 2026.9.6):
 * running a command on the host (`system.run`, its prepare step, `system.which`), reading or changing the
 * host's exec approvals, and the admin-only invokes (browser proxy, directory listing, terminal upload).
 */
const ADMIN_APPROVAL_COMMANDS: ReadonlySet<string> = new Set([
  "system.run.prepare",
  "system.run",
  "system.which",
  "system.execApprovals.get",
  "system.execApprovals.set",
  "browser.proxy",
  "browser.proxy.upload.v1",
  "fs.listDir",
  "terminal.upload",
]);

/** The least operator scopes that may approve a surface declaring these commands (the legacy's rule). */
export function nodePairApprovalScopes(commands: unknown): string[] {
  const declared = Array.isArray(commands) ? commands.filter((c): c is string => typeof c === "string") : [];
  if (declared.some((c) => ADMIN_APPROVAL_COMMANDS.has(c))) return [OPERATOR_PAIRING, OPERATOR_ADMIN];
  if (declared.length > 0) return [OPERATOR_PAIRING, OPERATOR_WRITE];
  return [OPERATOR_PAIRING];
}

interface PairedRow {
  device_id: string;
  display_name: string | null;
  platform: string | null;
  device_family: string | null;
  client_id: string | null;
  client_mode: string | null;
  remote_ip: string | null;
  node_surface_json: string | null;
  pending_node_surface_json: string | null;
  last_seen_at_ms: number | null;
  last_seen_reason: string | null;
}

type Surface = Record<string, unknown>;
export interface NodePairingList {
  pending: Record<string, unknown>[];
  paired: Record<string, unknown>[];
}
export type NodePairingRead = { kind: "list"; list: NodePairingList } | { kind: "refused"; reason: string };

/** Drops undefined fields, as the legacy's JSON answer does. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const orNone = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

class Refusal extends Error {}

function surfaceOf(text: string | null, column: string, deviceId: string): Surface | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal(`the stored ${column} of node ${deviceId} is not JSON (the legacy's read fails on it)`);
  }
  if (parsed === null) return undefined;
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Refusal(`the stored ${column} of node ${deviceId} is not an object`);
  return parsed as Surface;
}

function pendingEntry(row: PairedRow, p: Surface, withScopes: boolean): Record<string, unknown> {
  return defined({
    requestId: p.requestId,
    nodeId: row.device_id,
    clientId: p.clientId ?? orNone(row.client_id),
    clientMode: p.clientMode ?? orNone(row.client_mode),
    displayName: p.displayName ?? orNone(row.display_name),
    platform: p.platform ?? orNone(row.platform),
    version: p.version,
    coreVersion: p.coreVersion,
    uiVersion: p.uiVersion,
    deviceFamily: p.deviceFamily ?? orNone(row.device_family),
    modelIdentifier: p.modelIdentifier,
    caps: p.caps,
    commands: p.commands,
    ...(withScopes ? { requiredApproveScopes: nodePairApprovalScopes(p.commands ?? []) } : {}),
    permissions: p.permissions,
    remoteIp: p.remoteIp ?? orNone(row.remote_ip),
    silent: p.silent,
    ts: p.ts,
  });
}

function pairedEntry(row: PairedRow, s: Surface, release: string): Record<string, unknown> {
  // 2026.9.1 has no host stats (its projection has no such field); 2026.9.6 answers a valid stored snapshot.
  const hostStats = release === HOST_STATS_RELEASE && validStoredHostStats(s.lastHostStats) ? s.lastHostStats : undefined;
  return defined({
    nodeId: row.device_id,
    clientId: orNone(row.client_id),
    clientMode: orNone(row.client_mode),
    displayName: s.displayName ?? orNone(row.display_name),
    platform: orNone(row.platform),
    version: s.version,
    coreVersion: s.coreVersion,
    uiVersion: s.uiVersion,
    deviceFamily: orNone(row.device_family),
    modelIdentifier: s.modelIdentifier,
    caps: s.caps,
    commands: s.commands,
    permissions: s.permissions,
    remoteIp: orNone(row.remote_ip),
    bins: s.bins,
    ...(s.sessionHost === true ? { sessionHost: true } : {}),
    createdAtMs: s.createdAtMs,
    approvedAtMs: s.approvedAtMs,
    lastConnectedAtMs: s.lastConnectedAtMs,
    lastDisconnectedAtMs: s.lastDisconnectedAtMs,
    lastHostStats: hostStats,
    lastSeenAtMs: orNone(row.last_seen_at_ms),
    lastSeenReason: orNone(row.last_seen_reason),
  });
}

/** Newest first by `key`; two equal keys are refused (their order is the legacy worker's row order). */
function newestFirst(entries: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  const seen = new Set<unknown>();
  for (const e of entries) {
    if (typeof e[key] !== "number") throw new Refusal(`a node pairing entry without a numeric ${key} (the legacy's sort order is undefined for it)`);
    if (seen.has(e[key])) throw new Refusal(`two node pairing entries with the same ${key} (their order is the legacy's stored row order)`);
    seen.add(e[key]);
  }
  return entries.sort((a, b) => (b[key] as number) - (a[key] as number));
}

export class NodePairingReader {
  private readonly stateDb: ReadOnlyDb;

  constructor(stateDbPath: string) {
    this.stateDb = new ReadOnlyDb(stateDbPath);
  }

  /** The whole list, as the legacy answers an admin (or any caller without a device-token identity). */
  read(release: string): NodePairingRead {
    const db = this.stateDb.get();
    if (!db) return { kind: "refused", reason: "the legacy's state database does not exist yet" };
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'device_pairing_paired'").get() === undefined) {
      return { kind: "refused", reason: "the legacy's state database has no device pairing table" };
    }
    const rows = db
      .prepare(
        "SELECT device_id, display_name, platform, device_family, client_id, client_mode, remote_ip, node_surface_json, pending_node_surface_json, last_seen_at_ms, last_seen_reason FROM device_pairing_paired ORDER BY rowid",
      )
      .all() as PairedRow[];
    try {
      const pending: Record<string, unknown>[] = [];
      const paired: Record<string, unknown>[] = [];
      for (const row of rows) {
        const p = surfaceOf(row.pending_node_surface_json, "pending node surface", row.device_id);
        if (p) pending.push(pendingEntry(row, p, true));
        const s = surfaceOf(row.node_surface_json, "node surface", row.device_id);
        if (s) paired.push(pairedEntry(row, s, release));
      }
      return { kind: "list", list: { pending: newestFirst(pending, "ts"), paired: newestFirst(paired, "approvedAtMs") } };
    } catch (err) {
      if (err instanceof Refusal) return { kind: "refused", reason: err.message };
      throw err;
    }
  }

  close(): void {
    this.stateDb.close();
  }
}
