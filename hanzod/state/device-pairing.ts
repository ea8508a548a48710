/**
 * Device pairing on the legacy's own state (2026.9.1 state schema 15, 2026.9.6 schema 18: the same tables
 * and row codec in both): paired devices in `device_pairing_paired` (their device tokens in its
 * `tokens_json`, one entry per role, the bearer in plain text as the legacy keeps it), pending requests in
 * `device_pairing_pending`. Written from a reading of the dist worker (`toPairedRow`/`fromPairedRow`,
 * `requestDevicePairingInWorker`, `approveDevicePairingInWorker`, `verifyDeviceTokenInWorker`,
 * `ensureDeviceTokenInWorker`, `rejectDevicePairingInWorker`), not copied.
 *
 * Why a running legacy sees what hanzod writes: both releases cache their pairing snapshot per connection,
 * keyed on `PRAGMA data_version` (+ `total_changes()` on 2026.9.1), which moves when another connection
 * commits; every verify/ensure/approve reloads through that check (README "Device pairing on the legacy's
 * tables"). hanzod writes one row at a time in an IMMEDIATE transaction with a busy timeout, in the legacy's
 * row format, and never alters a table. `device_auth_tokens` is NOT the gateway's token table (it is the
 * client-side cache of tokens this machine was given by gateways) and is left alone.
 *
 * Device tokens carry the legacy's issuer: a browser device's token is issued under the `shared-gateway-auth`
 * issuer of the shared-secret generation (core/auth/shared-generation.ts) and verified against the current one,
 * by the same rules in both releases, so a token either runtime issued is taken by the other and a connect
 * reuses it rather than rotating it.
 *
 * What hanzod does not do exactly is refused (PairingRefusal), never guessed: a database at a schema
 * version of no supported release, device bootstrap tokens and the trusted-proxy / bootstrap approval
 * profiles.
 */
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../../protocol/index.js";
import { SUPPORTED_RELEASES } from "./schema-versions.js";
import { HOST_STATS_RELEASE, validStoredHostStats } from "./node-host-stats.js";

/** The legacy's DEVICE_PAIRING_PENDING_TTL_MS (both releases). */
export const LEGACY_PAIRING_PENDING_TTL_MS = 300_000;
const BUSY_TIMEOUT_MS = 5_000;
const OPERATOR = "operator";
const APPROVAL_KINDS = new Set(["owner", "silent", "trusted-cidr", "trusted-proxy", "ssh-verified", "bootstrap"]);

export class PairingRefusal extends Error {}

/** The legacy's SHARED_GATEWAY_AUTH_ISSUER_KIND (both releases). */
export const SHARED_GATEWAY_AUTH_ISSUER = "shared-gateway-auth";

export interface DeviceTokenIssuer {
  kind: string;
  generation?: string;
}

export interface LegacyDeviceToken {
  token: string;
  role: string;
  scopes: string[];
  issuer?: DeviceTokenIssuer;
  createdAtMs: number;
  rotatedAtMs?: number;
  revokedAtMs?: number;
  lastUsedAtMs?: number;
}

/** A paired record in the legacy's field names (absent = NULL column). */
export interface LegacyPaired {
  deviceId: string;
  publicKey: string;
  displayName?: string;
  operatorLabel?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  browserOrigin?: string;
  role?: string;
  roles?: string[];
  scopes?: string[];
  approvedScopes?: string[];
  remoteIp?: string;
  tokens?: Record<string, LegacyDeviceToken>;
  approvedVia?: string;
  nodeSurface?: Record<string, unknown>;
  pendingNodeSurface?: Record<string, unknown>;
  createdAtMs: number;
  approvedAtMs: number;
  lastSeenAtMs?: number;
  lastSeenReason?: string;
}

export interface LegacyPending {
  requestId: string;
  deviceId: string;
  publicKey: string;
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  browserOrigin?: string;
  role?: string;
  roles?: string[];
  scopes?: string[];
  remoteIp?: string;
  silent?: boolean;
  isRepair?: boolean;
  ts: number;
  refreshedAtMs?: number;
}

type Row = Record<string, string | number | null>;

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
/** A JSON column; one that does not parse is refused (declined), never read as absent or passed on as a crash. */
function parsed(v: string | number | null | undefined): unknown {
  if (v === null || v === undefined) return undefined;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    throw new PairingRefusal("a device pairing row holds a JSON column that does not parse (a corrupt row: the legacy decides)");
  }
}
const bool = (v: boolean | undefined): number | null => (v === undefined ? null : v ? 1 : 0);

function opt<K extends string, V>(key: K, v: V | null | undefined): Partial<Record<K, V>> {
  return v === null || v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

/**
 * 2026.9.6's fromPairedRow drops a stored `lastHostStats` that fails isNodeHostStats, on every read (lists and
 * the read half of each write, so a write of that row leaves it out); 2026.9.1 has no host stats and keeps
 * the surface as stored.
 */
function nodeSurfaceAsRead(r: Row, release: string): Record<string, unknown> | undefined {
  const surface = parsed(r.node_surface_json) as Record<string, unknown> | undefined;
  if (release !== HOST_STATS_RELEASE || !surface || surface.lastHostStats === undefined || validStoredHostStats(surface.lastHostStats)) return surface;
  const { lastHostStats: _invalid, ...rest } = surface;
  return rest;
}

function fromPairedRow(r: Row, release: string): LegacyPaired {
  const via = r.approved_via === null ? undefined : String(r.approved_via);
  return {
    deviceId: String(r.device_id),
    publicKey: String(r.public_key),
    ...opt("displayName", r.display_name as string | null),
    ...opt("operatorLabel", r.operator_label as string | null),
    ...opt("platform", r.platform as string | null),
    ...opt("deviceFamily", r.device_family as string | null),
    ...opt("clientId", r.client_id as string | null),
    ...opt("clientMode", r.client_mode as string | null),
    ...opt("browserOrigin", r.browser_origin as string | null),
    ...opt("role", r.role as string | null),
    ...opt("roles", parsed(r.roles_json) as string[] | undefined),
    ...opt("scopes", parsed(r.scopes_json) as string[] | undefined),
    ...opt("approvedScopes", parsed(r.approved_scopes_json) as string[] | undefined),
    ...opt("remoteIp", r.remote_ip as string | null),
    ...opt("tokens", parsed(r.tokens_json) as Record<string, LegacyDeviceToken> | undefined),
    ...opt("approvedVia", via !== undefined && APPROVAL_KINDS.has(via) ? via : undefined),
    ...opt("nodeSurface", nodeSurfaceAsRead(r, release)),
    ...opt("pendingNodeSurface", parsed(r.pending_node_surface_json) as Record<string, unknown> | undefined),
    createdAtMs: Number(r.created_at_ms),
    approvedAtMs: Number(r.approved_at_ms),
    ...opt("lastSeenAtMs", r.last_seen_at_ms as number | null),
    ...opt("lastSeenReason", r.last_seen_reason as string | null),
  };
}

function toPairedRow(d: LegacyPaired): Row {
  return {
    device_id: d.deviceId,
    public_key: d.publicKey,
    display_name: d.displayName ?? null,
    operator_label: d.operatorLabel ?? null,
    platform: d.platform ?? null,
    device_family: d.deviceFamily ?? null,
    client_id: d.clientId ?? null,
    client_mode: d.clientMode ?? null,
    browser_origin: d.browserOrigin ?? null,
    role: d.role ?? null,
    roles_json: json(d.roles),
    scopes_json: json(d.scopes),
    approved_scopes_json: json(d.approvedScopes),
    remote_ip: d.remoteIp ?? null,
    tokens_json: json(d.tokens),
    approved_via: d.approvedVia ?? null,
    node_surface_json: json(d.nodeSurface),
    pending_node_surface_json: json(d.pendingNodeSurface),
    created_at_ms: d.createdAtMs,
    approved_at_ms: d.approvedAtMs,
    last_seen_at_ms: d.lastSeenAtMs ?? null,
    last_seen_reason: d.lastSeenReason ?? null,
  };
}

function fromPendingRow(r: Row): LegacyPending {
  return {
    requestId: String(r.request_id),
    deviceId: String(r.device_id),
    publicKey: String(r.public_key),
    ...opt("displayName", r.display_name as string | null),
    ...opt("platform", r.platform as string | null),
    ...opt("deviceFamily", r.device_family as string | null),
    ...opt("clientId", r.client_id as string | null),
    ...opt("clientMode", r.client_mode as string | null),
    ...opt("browserOrigin", r.browser_origin as string | null),
    ...opt("role", r.role as string | null),
    ...opt("roles", parsed(r.roles_json) as string[] | undefined),
    ...opt("scopes", parsed(r.scopes_json) as string[] | undefined),
    ...opt("remoteIp", r.remote_ip as string | null),
    ...opt("silent", r.silent === null ? null : r.silent !== 0),
    ...opt("isRepair", r.is_repair === null ? null : r.is_repair !== 0),
    ts: Number(r.ts),
    ...opt("refreshedAtMs", r.refreshed_at_ms as number | null),
  };
}

function toPendingRow(p: LegacyPending): Row {
  return {
    request_id: p.requestId,
    device_id: p.deviceId,
    public_key: p.publicKey,
    display_name: p.displayName ?? null,
    platform: p.platform ?? null,
    device_family: p.deviceFamily ?? null,
    client_id: p.clientId ?? null,
    client_mode: p.clientMode ?? null,
    browser_origin: p.browserOrigin ?? null,
    role: p.role ?? null,
    roles_json: json(p.roles),
    scopes_json: json(p.scopes),
    remote_ip: p.remoteIp ?? null,
    silent: bool(p.silent),
    is_repair: bool(p.isRepair),
    ts: p.ts,
    refreshed_at_ms: p.refreshedAtMs ?? null,
  };
}

/** The pending record as the legacy publishes it (events, lists): without its refresh time. */
export function publicPending(p: LegacyPending): Omit<LegacyPending, "refreshedAtMs"> {
  const { refreshedAtMs: _refreshed, ...rest } = p;
  return rest;
}

// ---- the legacy's scope and role rules (dist device-auth, operator-scope-compat, device-pairing kernel) ----

/** normalizeDeviceAuthScopes: trimmed, unique, admin implies read+write, write implies read, sorted. */
export function normalizeScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes)) return [];
  const set = new Set<string>();
  for (const s of scopes) if (typeof s === "string" && s.trim()) set.add(s.trim());
  if (set.has("operator.admin")) {
    set.add("operator.read");
    set.add("operator.write");
  } else if (set.has("operator.write")) set.add("operator.read");
  return [...set].sort();
}

function uniqueTrimmed(v: unknown): string[] {
  const list = typeof v === "string" ? [v] : Array.isArray(v) ? v : [];
  return [...new Set(list.filter((x): x is string => typeof x === "string").map((x) => x.trim()).filter(Boolean))];
}

function mergeRoles(...lists: unknown[]): string[] | undefined {
  const set = new Set<string>();
  for (const l of lists) for (const r of uniqueTrimmed(l)) set.add(r);
  return set.size === 0 ? undefined : [...set];
}

function mergeScopes(...lists: unknown[]): string[] | undefined {
  const set = new Set<string>();
  let any = false;
  for (const l of lists)
    if (Array.isArray(l)) {
      any = true;
      for (const s of uniqueTrimmed(l)) set.add(s);
    }
  return set.size === 0 ? (any ? [] : undefined) : [...set];
}

const WRITE_IMPLIES = new Set(["operator.read", "operator.talk", "operator.sessions.read", "operator.sessions.write"]);
/**
 * operatorScopeSatisfied, per release: 2026.9.6 lets write imply the sessions scopes and read (or
 * sessions.write) imply sessions.read; 2026.9.1 only read and talk from write.
 */
function operatorScopeSatisfied(scope: string, allowed: readonly string[], release: string): boolean {
  if (!scope.startsWith("operator.")) return false;
  if (allowed.includes("operator.admin")) return true;
  if (release === "2026.9.1") {
    if (scope === "operator.read" || scope === "operator.talk") return allowed.includes(scope) || allowed.includes("operator.write");
    return allowed.includes(scope);
  }
  if (allowed.includes(scope)) return true;
  if (WRITE_IMPLIES.has(scope) && allowed.includes("operator.write")) return true;
  return scope === "operator.sessions.read" && (allowed.includes("operator.read") || allowed.includes("operator.sessions.write"));
}

/** resolveMissingRequestedScope: the first requested scope the role's allowed scopes do not cover. */
export function missingScope(role: string, requested: readonly string[], allowed: readonly string[], release: string): string | null {
  const r = role.trim();
  const trimmed = allowed.map((s) => s.trim());
  for (const s of requested) {
    const t = s.trim();
    if (t && !(r === OPERATOR ? operatorScopeSatisfied(t, trimmed, release) : t.startsWith(`${r}.`) && trimmed.includes(t))) return s;
  }
  return null;
}

function roleTokenScopes(role: string, scopes: unknown): string[] {
  const n = normalizeScopes(scopes);
  return role === OPERATOR ? n.filter((s) => s.startsWith("operator.")) : n.filter((s) => !s.startsWith("operator."));
}

function baseline(d: LegacyPaired): string[] | null {
  const b = d.approvedScopes ?? d.scopes;
  return Array.isArray(b) ? normalizeScopes(b) : null;
}

/** Roles with an active (unrevoked) token that are also approved: what the legacy's connect counts. */
export function effectiveRoles(d: LegacyPaired): string[] {
  const approved = new Set(mergeRoles(d.roles, d.role) ?? []);
  return Object.values(d.tokens ?? {})
    .filter((t) => !t.revokedAtMs && approved.has(t.role))
    .map((t) => t.role);
}

function tokenEquals(a: string, b: string): boolean {
  if (!a.trim() || !b.trim()) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * isBrowserRelatedPairedDevice: a device whose stored client mode is `webchat` or whose client id is the
 * Control UI's or the web chat's. Such a device's token without an issuer is refused while the gateway has
 * a shared-secret generation (the legacy's "legacy-browser-token").
 */
function isBrowserRelatedDevice(d: LegacyPaired): boolean {
  if (d.clientMode?.trim().toLowerCase() === "webchat") return true;
  const id = d.clientId?.trim().toLowerCase();
  return id === "openclaw-control-ui" || id === "webchat-ui";
}

/** deviceTokenIssuerMatches: no issuer asked for reuses only a token without one; else kind and generation equal. */
function issuerMatches(entry: LegacyDeviceToken, issuer: DeviceTokenIssuer | undefined): boolean {
  if (!issuer) return !entry.issuer;
  return entry.issuer?.kind === issuer.kind && entry.issuer.generation === issuer.generation;
}

/** createDeviceAuthToken: the given issuer, else (rotation) the existing token's when kept. */
function newToken(role: string, scopes: string[], existing: LegacyDeviceToken | undefined, now: number, rotatedAtMs: number | undefined, keepIssuer: boolean, given?: DeviceTokenIssuer): LegacyDeviceToken {
  const issuer = given ?? (keepIssuer ? existing?.issuer : undefined);
  return {
    token: randomBytes(32).toString("base64url"),
    role,
    scopes,
    ...(issuer ? { issuer } : {}),
    createdAtMs: existing?.createdAtMs ?? now,
    ...(rotatedAtMs !== undefined ? { rotatedAtMs } : {}),
    ...(existing?.lastUsedAtMs !== undefined ? { lastUsedAtMs: existing.lastUsedAtMs } : {}),
  };
}

export type ApproveResult =
  | { status: "approved"; requestId: string; device: LegacyPaired }
  | { status: "forbidden"; reason: string; scope?: string }
  | null;

export interface PairingRequestInput {
  deviceId: string;
  publicKey: string;
  role: string;
  scopes: string[];
  clientId?: string;
  clientMode?: string;
  platform?: string;
  deviceFamily?: string;
  displayName?: string;
  remoteIp?: string;
  silent: boolean;
}

export type TokenCheck =
  | { ok: true; issuer?: DeviceTokenIssuer }
  | { ok: false; reason: "device-not-paired" | "role-missing" | "token-missing" | "token-revoked" | "token-mismatch" | "issuer-generation-stale" | "legacy-browser-token" | "scope-mismatch" };

/** The legacy's pairing tables, read and written in its formats. */
export class LegacyDevicePairing {
  private db: SqliteDatabase | undefined;
  /** The release whose rules apply: the one that wrote this schema (the legacy running on it), not hanzod's compat. */
  private rules = "";

  constructor(readonly path: string) {}

  private open(): SqliteDatabase {
    if (this.db) return this.db;
    if (!existsSync(this.path)) throw new PairingRefusal("the legacy's state database does not exist yet");
    const db = openSqlite(this.path, { fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = db.pragma("user_version", { simple: true }) as number;
    const known = SUPPORTED_RELEASES.find((r) => r.state === version);
    // A schema of no release hanzod read: refused, never guessed.
    if (!known) {
      db.close();
      throw new PairingRefusal(`device pairing on a state database at schema ${version} (hanzod knows ${SUPPORTED_RELEASES.map((r) => `${r.state} for ${r.release}`).join(", ")})`);
    }
    this.rules = known.release;
    this.db = db;
    return db;
  }

  private allows(role: string, requested: readonly string[], allowed: readonly string[]): boolean {
    return missingScope(role, requested, allowed, this.rules) === null;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  /** One IMMEDIATE transaction: the legacy's writers wait on the same database lock (busy timeout). */
  private write<T>(fn: (db: SqliteDatabase) => T): T {
    const db = this.open();
    return db.transaction(fn).immediate(db);
  }

  private pruneExpired(db: SqliteDatabase, now: number): void {
    db.prepare("DELETE FROM device_pairing_pending WHERE COALESCE(refreshed_at_ms, ts) + ? < ?").run(LEGACY_PAIRING_PENDING_TTL_MS, now);
  }

  private putPaired(db: SqliteDatabase, d: LegacyPaired): void {
    const row = toPairedRow(d);
    const cols = Object.keys(row);
    db.prepare(`INSERT OR REPLACE INTO device_pairing_paired (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`).run(row);
  }

  private putPending(db: SqliteDatabase, p: LegacyPending): void {
    const row = toPendingRow(p);
    const cols = Object.keys(row);
    db.prepare(`INSERT OR REPLACE INTO device_pairing_pending (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`).run(row);
  }

  /**
   * The legacy's paired-node surface mutations (its worker's updatePairedDeviceNodeSurfaceInTransaction):
   * `change` maps the stored approved surface to the new one, or null for "no change"; only that column
   * of that row is written, in one IMMEDIATE transaction. False when the device has no approved surface.
   */
  updateNodeSurface(deviceId: string, change: (surface: Record<string, unknown>) => Record<string, unknown> | null): boolean {
    return this.write((db) => {
      const row = db.prepare("SELECT node_surface_json FROM device_pairing_paired WHERE device_id = ?").get(deviceId.trim()) as Row | undefined;
      // Read as the legacy reads the row before its own surface writes (an invalid stored host stats snapshot left out).
      const surface = row ? nodeSurfaceAsRead(row, this.rules) : undefined;
      if (!surface) return false;
      const next = change(surface);
      if (next === null) return false;
      db.prepare("UPDATE device_pairing_paired SET node_surface_json = ? WHERE device_id = ?").run(json(next), deviceId.trim());
      return true;
    });
  }

  /**
   * getPendingNodePairing: the node whose pending surface carries this request id (the id as given, not
   * trimmed, as the legacy looks it up). Node surface requests have no expiry in either release.
   */
  pendingNode(requestId: string): { requestId: string; nodeId: string } | null {
    const rows = this.open().prepare("SELECT device_id, pending_node_surface_json FROM device_pairing_paired WHERE pending_node_surface_json IS NOT NULL").all() as Row[];
    const row = rows.find((r) => (parsed(r.pending_node_surface_json) as { requestId?: unknown } | null)?.requestId === requestId);
    return row ? { requestId, nodeId: String(row.device_id) } : null;
  }

  /**
   * rejectNodePairing (2026.9.1) / the worker's `node.reject` (2026.9.6): the pending surface dropped from
   * its device's row, nothing else (no claim, generation or token check in either release). Only that
   * column of that row is written; the legacy rewrites the whole paired table from what it read, which
   * gives the same rows as its reads see them.
   */
  rejectNode(requestId: string): { requestId: string; nodeId: string } | null {
    return this.write(() => {
      const found = this.pendingNode(requestId);
      if (!found) return null;
      this.open().prepare("UPDATE device_pairing_paired SET pending_node_surface_json = NULL WHERE device_id = ?").run(found.nodeId);
      return found;
    });
  }

  /**
   * renamePairedNode / the worker's `node.rename`: the approved surface's `displayName` (already trimmed,
   * not blank), the rest of the surface as the legacy reads it; null when the node has no approved surface.
   */
  renameNode(nodeId: string, displayName: string): { nodeId: string; displayName: string } | null {
    const id = nodeId.trim();
    const renamed = this.updateNodeSurface(id, (s) => ({ ...s, displayName }));
    return renamed ? { nodeId: id, displayName } : null;
  }

  paired(deviceId: string): LegacyPaired | undefined {
    const row = this.open().prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(deviceId.trim()) as Row | undefined;
    return row ? fromPairedRow(row, this.rules) : undefined;
  }

  pending(requestId: string, now = Date.now()): LegacyPending | undefined {
    const row = this.open().prepare("SELECT * FROM device_pairing_pending WHERE request_id = ?").get(requestId) as Row | undefined;
    if (!row) return undefined;
    const p = fromPendingRow(row);
    return (p.refreshedAtMs ?? p.ts) + LEGACY_PAIRING_PENDING_TTL_MS >= now ? p : undefined;
  }

  /** Both lists as the legacy's list read gives them: pending newest first, paired newest approval first. */
  list(now = Date.now()): { pending: LegacyPending[]; paired: LegacyPaired[] } {
    const db = this.open();
    const pending = (db.prepare("SELECT * FROM device_pairing_pending").all() as Row[]).map(fromPendingRow).filter((p) => (p.refreshedAtMs ?? p.ts) + LEGACY_PAIRING_PENDING_TTL_MS >= now);
    const paired = (db.prepare("SELECT * FROM device_pairing_paired").all() as Row[]).map((row) => fromPairedRow(row, this.rules));
    return { pending: pending.sort((a, b) => b.ts - a.ts), paired: paired.sort((a, b) => b.approvedAtMs - a.approvedAtMs) };
  }

  /**
   * requestDevicePairingInWorker: one live request per device. A request the existing one already covers
   * (same key and role, roles and scopes within it) refreshes it (same id, `created: false`); otherwise the
   * existing ones are superseded by a new request carrying the union of their roles and scopes.
   */
  request(input: PairingRequestInput, now = Date.now()): { request: LegacyPending; created: boolean; superseded: { requestId: string; deviceId: string }[] } {
    return this.write((db) => {
      this.pruneExpired(db, now);
      const deviceId = input.deviceId.trim();
      const isRepair = db.prepare("SELECT 1 FROM device_pairing_paired WHERE device_id = ?").get(deviceId) !== undefined;
      const existing = (db.prepare("SELECT * FROM device_pairing_pending WHERE device_id = ?").all(deviceId) as Row[]).map(fromPendingRow).sort((a, b) => b.ts - a.ts);
      const role = input.role.trim() || undefined;
      const incomingRoles = mergeRoles(role) ?? [];
      const incomingScopes = normalizeScopes(input.scopes);
      const only = existing.length === 1 ? existing[0] : undefined;
      if (only && only.publicKey === input.publicKey && only.browserOrigin === undefined && (only.role?.trim() || undefined) === role) {
        const haveRoles = mergeRoles(only.roles, only.role) ?? [];
        const haveScopes = normalizeScopes(only.scopes);
        const covered = incomingRoles.every((r) => haveRoles.includes(r)) && incomingScopes.every((s) => incomingRoles.some((r) => this.allows(r, [s], haveScopes)));
        if (covered) {
          const refreshed: LegacyPending = {
            ...only,
            publicKey: input.publicKey,
            displayName: input.displayName ?? only.displayName,
            platform: input.platform ?? only.platform,
            deviceFamily: input.deviceFamily ?? only.deviceFamily,
            clientId: input.clientId ?? only.clientId,
            clientMode: input.clientMode ?? only.clientMode,
            remoteIp: input.remoteIp ?? only.remoteIp,
            silent: Boolean(only.silent && input.silent),
            isRepair: Boolean(only.isRepair || isRepair),
            refreshedAtMs: now,
          };
          this.putPending(db, refreshed);
          return { request: refreshed, created: false, superseded: [] };
        }
      }
      const request: LegacyPending = {
        requestId: randomUUID(),
        deviceId,
        publicKey: input.publicKey,
        ...opt("displayName", input.displayName),
        ...opt("platform", input.platform),
        ...opt("deviceFamily", input.deviceFamily),
        ...opt("clientId", input.clientId),
        ...opt("clientMode", input.clientMode),
        ...opt("role", role ?? existing[0]?.role),
        ...opt("roles", mergeRoles(...existing.flatMap((e) => [e.roles, e.role]), role)),
        ...opt("scopes", mergeScopes(...existing.map((e) => e.scopes), input.scopes)),
        ...opt("remoteIp", input.remoteIp),
        silent: existing.length > 0 ? input.silent && existing.every((e) => e.silent === true) : input.silent,
        isRepair,
        ts: now,
      };
      db.prepare("DELETE FROM device_pairing_pending WHERE device_id = ?").run(deviceId);
      this.putPending(db, request);
      return { request, created: true, superseded: existing.map((e) => ({ requestId: e.requestId, deviceId: e.deviceId })) };
    });
  }

  /**
   * approveDevicePairingInWorker without the trusted-proxy auto-approval profile: roles and approved scopes
   * merged with the existing record, a new token per requested role (rotating an existing one), the
   * caller's scopes checked against an operator token's scopes.
   */
  approve(requestId: string, opts: { callerScopes?: readonly string[]; approvedVia: string; access?: { displayName?: string; remoteIp?: string; lastSeenAtMs?: number; lastSeenReason?: string } }, now = Date.now()): ApproveResult {
    return this.write((db) => {
      this.pruneExpired(db, now);
      const row = db.prepare("SELECT * FROM device_pairing_pending WHERE request_id = ?").get(requestId) as Row | undefined;
      if (!row) return null;
      const pending = fromPendingRow(row);
      const existingRow = db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(pending.deviceId) as Row | undefined;
      const existing = existingRow ? fromPairedRow(existingRow, this.rules) : undefined;
      const requestedRoles = mergeRoles(pending.roles, pending.role) ?? [];
      const outside = normalizeScopes(pending.scopes).find((s) => !requestedRoles.some((r) => !s.trim() || s.trim().startsWith(`${r.trim()}.`)));
      if (outside !== undefined) return { status: "forbidden", reason: "scope-outside-requested-roles", scope: outside };
      const roles = mergeRoles(existing?.roles, existing?.role, pending.roles, pending.role);
      const approvedScopes = mergeScopes(existing?.approvedScopes ?? existing?.scopes, pending.scopes);
      const tokens: Record<string, LegacyDeviceToken> = { ...(existing?.tokens ?? {}) };
      const perRole = new Map<string, string[]>();
      for (const role of requestedRoles) {
        const existingToken = tokens[role];
        const scopes = approvedTokenScopes(role, pending, existingToken, approvedScopes, existing);
        perRole.set(role, scopes);
        if (role === OPERATOR && scopes.length > 0) {
          const needed = mergeScopes(roleTokenScopes(role, pending.scopes), scopes) ?? scopes;
          if (!opts.callerScopes) return { status: "forbidden", reason: "caller-scopes-required", scope: needed[0] };
          const missing = missingScope(OPERATOR, needed, opts.callerScopes, this.rules);
          if (missing !== null) return { status: "forbidden", reason: "caller-missing-scope", scope: missing };
        }
      }
      for (const [role, scopes] of perRole) {
        const prev = tokens[role];
        tokens[role] = newToken(role, scopes, prev, now, prev ? now : undefined, true);
      }
      if (existing?.nodeSurface || existing?.pendingNodeSurface) {
        // A node's pairing generation (and what the legacy clears with it) is the node owner's; not ported.
        throw new PairingRefusal("approving a device that has a node surface (the node pairing generation is the legacy's)");
      }
      const device: LegacyPaired = {
        deviceId: pending.deviceId,
        publicKey: pending.publicKey,
        ...opt("displayName", opts.access?.displayName ?? pending.displayName),
        ...opt("platform", pending.platform),
        ...opt("deviceFamily", pending.deviceFamily),
        ...opt("clientId", pending.clientId),
        ...opt("clientMode", pending.clientMode),
        ...opt("browserOrigin", pending.browserOrigin),
        ...opt("role", pending.role),
        ...opt("roles", roles),
        ...opt("scopes", approvedScopes),
        ...opt("approvedScopes", approvedScopes),
        ...opt("remoteIp", opts.access?.remoteIp ?? pending.remoteIp),
        tokens,
        ...opt("approvedVia", mergeApprovalKind(existing, opts.approvedVia)),
        ...opt("operatorLabel", existing?.operatorLabel),
        createdAtMs: existing?.createdAtMs ?? now,
        approvedAtMs: now,
        ...opt("lastSeenAtMs", opts.access?.lastSeenAtMs ?? existing?.lastSeenAtMs),
        ...opt("lastSeenReason", opts.access?.lastSeenReason ?? existing?.lastSeenReason),
      };
      if (existing && existing.publicKey !== device.publicKey && db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='apns_registrations'").get() && db.prepare("SELECT 1 FROM apns_registrations WHERE node_id = ?").get(device.deviceId)) {
        throw new PairingRefusal("re-keying a device with a push registration (the legacy clears it)");
      }
      db.prepare("DELETE FROM device_pairing_pending WHERE request_id = ?").run(requestId);
      this.putPaired(db, device);
      return { status: "approved", requestId, device };
    });
  }

  /** rejectDevicePairingInWorker; a device with bootstrap tokens is refused (their revocation is the legacy's). */
  reject(requestId: string, now = Date.now()): { requestId: string; deviceId: string } | null {
    return this.write((db) => {
      this.pruneExpired(db, now);
      const row = db.prepare("SELECT * FROM device_pairing_pending WHERE request_id = ?").get(requestId) as Row | undefined;
      if (!row) return null;
      const p = fromPendingRow(row);
      if (db.prepare("SELECT 1 FROM device_bootstrap_tokens WHERE device_id = ? OR public_key = ?").get(p.deviceId, p.publicKey)) {
        throw new PairingRefusal("rejecting a device that holds bootstrap tokens (the legacy revokes them)");
      }
      db.prepare("DELETE FROM device_pairing_pending WHERE request_id = ?").run(requestId);
      return { requestId, deviceId: p.deviceId };
    });
  }

  /**
   * verifyDeviceTokenInWorker: `requiredGeneration` is the gateway's current shared-secret generation
   * (undefined without a shared secret or trusted-proxy setup). A `shared-gateway-auth` token of another
   * generation is stale; a browser device's token without an issuer is refused while there is a generation.
   * On success the token's issuer is returned (the session then counts as shared-auth of that generation).
   */
  verifyToken(deviceId: string, role: string, token: string, scopes: readonly string[], requiredGeneration: string | undefined, now = Date.now()): TokenCheck {
    return this.write((db) => {
      const row = db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(deviceId.trim()) as Row | undefined;
      if (!row) return { ok: false, reason: "device-not-paired" };
      const device = fromPairedRow(row, this.rules);
      const r = role.trim();
      if (!r) return { ok: false, reason: "role-missing" };
      const entry = device.tokens?.[r];
      if (!entry) return { ok: false, reason: "token-missing" };
      if (entry.revokedAtMs) return { ok: false, reason: "token-revoked" };
      if (!tokenEquals(token, entry.token)) return { ok: false, reason: "token-mismatch" };
      if (entry.issuer?.kind === SHARED_GATEWAY_AUTH_ISSUER && entry.issuer.generation !== requiredGeneration) return { ok: false, reason: "issuer-generation-stale" };
      if (!entry.issuer && requiredGeneration !== undefined && isBrowserRelatedDevice(device)) return { ok: false, reason: "legacy-browser-token" };
      const base = baseline(device);
      if (!base || !this.allows(r, entry.scopes, base) || !this.allows(r, normalizeScopes(scopes), entry.scopes)) return { ok: false, reason: "scope-mismatch" };
      entry.lastUsedAtMs = now;
      device.tokens = { ...device.tokens, [r]: entry };
      device.lastSeenAtMs = now;
      device.lastSeenReason = "device-token-auth";
      this.putPaired(db, device);
      return entry.issuer ? { ok: true, issuer: entry.issuer } : { ok: true };
    });
  }

  /**
   * ensureDeviceTokenInWorker: the role's token when it covers `scopes` and was issued by the same issuer
   * (none for none), else a new one under `issuer`. Reusing across runtimes depends on both passing the same
   * issuer: a connect that asked for another one would rotate the device's token.
   */
  ensureToken(deviceId: string, role: string, scopes: readonly string[], issuer: DeviceTokenIssuer | undefined, now = Date.now()): LegacyDeviceToken | null {
    return this.write((db) => {
      const row = db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(deviceId.trim()) as Row | undefined;
      if (!row) return null;
      const device = fromPairedRow(row, this.rules);
      const r = role.trim();
      if (!r || !(mergeRoles(device.roles, device.role) ?? []).includes(r)) return null;
      const requested = normalizeScopes(scopes);
      const base = baseline(device);
      if (!base || !this.allows(r, requested, base)) return null;
      const tokens = { ...(device.tokens ?? {}) };
      const prev = tokens[r];
      // A node's existing token is returned as is (nothing written: its pairing generation stays); only a
      // new one would change the generation the legacy tracks for the node.
      if (prev && !prev.revokedAtMs && this.allows(r, prev.scopes, base) && issuerMatches(prev, issuer) && this.allows(r, requested, prev.scopes)) return prev;
      if (device.nodeSurface) throw new PairingRefusal("issuing a node's device token (its pairing generation is the legacy's)");
      const next = newToken(r, requested, prev, now, prev ? now : undefined, false, issuer);
      tokens[r] = next;
      this.putPaired(db, { ...device, tokens });
      return next;
    });
  }

  /**
   * resolveDeviceTokenUpdateContext: the paired device and one of its approved roles. Only the operator
   * role is changed here: a node token's rotation or revocation also moves the node pairing generation
   * and the node runtime state (wake state, pending actions, device workers) the legacy keeps in memory.
   */
  private tokenContext(db: SqliteDatabase, deviceId: string, role: string): { device: LegacyPaired; role: string } | null {
    const row = db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(deviceId.trim()) as Row | undefined;
    if (!row) return null;
    const device = fromPairedRow(row, this.rules);
    const r = role.trim();
    if (!r || !(mergeRoles(device.roles, device.role) ?? []).includes(r)) return null;
    if (r !== OPERATOR) throw new PairingRefusal(`changing a ${r}-role device token (the legacy also resets that role's runtime state)`);
    return { device, role: r };
  }

  /**
   * rotateDeviceToken (2026.9.1) / rotateDeviceTokenInWorker (2026.9.6): a new bearer for the role, scopes
   * the requested ones (else the old token's, else the device's) within the approved baseline and, for an
   * operator caller, within the caller's own scopes (never wider); the issuer and lifecycle fields kept.
   * Only the paired row is written (the legacy rewrites the paired table only).
   */
  rotateToken(deviceId: string, role: string, scopes: readonly string[] | undefined, callerScopes: readonly string[] | undefined, now = Date.now()): TokenChange {
    return this.write((db) => {
      const ctx = this.tokenContext(db, deviceId, role);
      if (!ctx) return { ok: false, reason: "unknown-device-or-role" };
      const { device, role: r } = ctx;
      const existing = device.tokens?.[r];
      const requested = normalizeScopes(scopes ?? existing?.scopes ?? device.scopes);
      const base = baseline(device);
      if (!base) return { ok: false, reason: "missing-approved-scope-baseline" };
      if (!this.allows(r, requested, base)) return { ok: false, reason: "scope-outside-approved-baseline" };
      if (callerScopes) {
        const missing = missingScope(r, requested, callerScopes, this.rules);
        if (missing !== null) return { ok: false, reason: "caller-missing-scope", scope: missing };
      }
      const entry = newToken(r, requested, existing, now, now, true);
      this.putPaired(db, { ...device, tokens: { ...(device.tokens ?? {}), [r]: entry } });
      return { ok: true, entry };
    });
  }

  /** revokeDeviceToken(InWorker): the role's token marked revoked (kept in the row), after the caller-scope check. */
  revokeToken(deviceId: string, role: string, callerScopes: readonly string[] | undefined, now = Date.now()): TokenChange {
    return this.write((db) => {
      const ctx = this.tokenContext(db, deviceId, role);
      const existing = ctx?.device.tokens?.[ctx.role];
      if (!ctx || !existing) return { ok: false, reason: "unknown-device-or-role" };
      const { device, role: r } = ctx;
      if (callerScopes) {
        const target = normalizeScopes(Array.isArray(existing.scopes) ? existing.scopes : device.scopes);
        const missing = missingScope(r, target, callerScopes, this.rules);
        if (missing !== null) return { ok: false, reason: "caller-missing-scope", scope: missing };
      }
      const entry: LegacyDeviceToken = { ...existing, revokedAtMs: now };
      this.putPaired(db, { ...device, tokens: { ...(device.tokens ?? {}), [r]: entry } });
      return { ok: true, entry };
    });
  }

  /**
   * removePairedDevice(InWorker): the paired row and the device's pending requests go (expired requests of
   * any device are pruned, as the legacy's rewrite of the pending table drops them), and its APNs
   * registration is tombstoned (`clearApnsRegistrationFromDatabase`, written even when there is none).
   * Declined: a device with a non-operator role or a node surface (the legacy clears node runtime state
   * and device workers with it) and one with a push registration (its push sender's state).
   */
  remove(deviceId: string, now = Date.now()): { deviceId: string } | null {
    return this.write((db) => {
      const id = deviceId.trim();
      const row = id ? (db.prepare("SELECT * FROM device_pairing_paired WHERE device_id = ?").get(id) as Row | undefined) : undefined;
      if (!row) return null;
      const device = fromPairedRow(row, this.rules);
      const roles = [...(mergeRoles(device.roles, device.role) ?? []), ...Object.values(device.tokens ?? {}).map((t) => t.role.trim())];
      if (roles.some((r) => r && r !== OPERATOR) || device.nodeSurface || device.pendingNodeSurface) {
        throw new PairingRefusal("removing a device with a node role or surface (the legacy clears its node runtime state and workers)");
      }
      const hasApnsTables = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type='table' AND name IN ('apns_registrations', 'apns_registration_tombstones')").get() as { n: number };
      if (hasApnsTables.n !== 2) throw new PairingRefusal("removing a device on a state database without the APNs tables the legacy tombstones");
      if (db.prepare("SELECT 1 FROM apns_registrations WHERE node_id = ?").get(id)) throw new PairingRefusal("removing a device with a push (APNs) registration");
      this.pruneExpired(db, now);
      db.prepare("DELETE FROM device_pairing_pending WHERE device_id = ?").run(id);
      db.prepare("DELETE FROM device_pairing_paired WHERE device_id = ?").run(id);
      // nextApnsRegistrationVersion: never reuse an observed version, else now.
      const tomb = db.prepare("SELECT deleted_at_ms FROM apns_registration_tombstones WHERE node_id = ?").get(id) as { deleted_at_ms: number } | undefined;
      const deletedAtMs = Math.max(now, (tomb?.deleted_at_ms ?? -1) + 1);
      db.prepare("INSERT INTO apns_registration_tombstones (node_id, deleted_at_ms) VALUES (?, ?) ON CONFLICT(node_id) DO UPDATE SET deleted_at_ms = excluded.deleted_at_ms").run(id, deletedAtMs);
      return { deviceId: id };
    });
  }
}

export type TokenChange =
  | { ok: true; entry: LegacyDeviceToken }
  | { ok: false; reason: "unknown-device-or-role" | "missing-approved-scope-baseline" | "scope-outside-approved-baseline" | "caller-missing-scope"; scope?: string };

function approvedTokenScopes(role: string, pending: LegacyPending, existingToken: LegacyDeviceToken | undefined, approvedScopes: string[] | undefined, existing: LegacyPaired | undefined): string[] {
  const requested = roleTokenScopes(role, pending.scopes);
  if (requested.length > 0) {
    const had = roleTokenScopes(role, existing?.approvedScopes ?? existing?.scopes);
    const added = existingToken && had.length > 0 ? requested.filter((s) => !had.includes(s)) : requested;
    if (added.length === 0 && existingToken) return roleTokenScopes(role, existingToken.scopes);
    return roleTokenScopes(role, mergeScopes(existingToken?.scopes, added));
  }
  return roleTokenScopes(role, existingToken?.scopes ?? approvedScopes ?? existing?.approvedScopes ?? existing?.scopes);
}

function mergeApprovalKind(existing: LegacyPaired | undefined, via: string): string | undefined {
  if (via === "owner" || !existing) return via;
  if (existing.approvedVia === undefined) return via === "bootstrap" ? "bootstrap" : undefined;
  return existing.approvedVia === "owner" || existing.approvedVia === "bootstrap" ? existing.approvedVia : via;
}
