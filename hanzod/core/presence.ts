/**
 * System presence (legacy system-presence.ts): the gateway's own "self" row plus one row per
 * non-ephemeral connection (cli/backend/probe clients are not listed), 5 min TTL, 200 rows, newest first.
 * From 2026.9.6 a row may name the person behind it (`user`) and when that person's current online
 * period began (`onlineSince`, shared by all of the person's live connections: client-presence.ts).
 */
import { hostname, networkInterfaces, platform, release, arch } from "node:os";
import { randomUUID } from "node:crypto";
import type { PresenceUser } from "../state/owner-profile.js";

export interface PresenceEntry {
  host?: string;
  ip?: string;
  version?: string;
  platform?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  timeZone?: string;
  mode?: string;
  reason?: string;
  instanceId?: string;
  deviceId?: string;
  roles?: string[];
  scopes?: string[];
  text?: string;
  /** 2026.9.6: the accepted connection's client id (`connect.client.id`). */
  clientId?: string;
  /** 2026.9.6: the person the connection is attributed to. */
  user?: PresenceUser;
  /** 2026.9.6: start of that person's continuous online period (the earliest of their live connections). */
  onlineSince?: number;
  /** 2026.9.6: the person's latest accepted human activity (the latest over their live connections). */
  lastActivityAt?: number;
  /** The sessions the connection declared it views (`sessions.viewers.set`), canonical keys, sorted. */
  watchedSessions?: string[];
  ts: number;
}

/** A live connection attributed to a person (identity: the legacy's presenceUserKey, e.g. `profile:gateway-owner`). */
interface PersonConnection {
  identity: string;
  onlineSince: number;
  lastActivityAt?: number;
  row: Pick<PresenceEntry, "clientId" | "mode" | "user">;
}

/** The last presence publication a person's activity caused, per connection (the legacy's activityPublications). */
interface Publication {
  identity: string;
  at: number;
}

/** Activity within this long of the last published one is recorded without a presence broadcast. */
export const ACTIVITY_BROADCAST_INTERVAL_MS = 30_000;

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 200;
const SELF_KEY = "__self__";
const EPHEMERAL_MODES = new Set(["cli", "backend", "probe"]);

export function isEphemeralClient(mode: string): boolean {
  return EPHEMERAL_MODES.has(mode.trim().toLowerCase());
}

function primaryIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

function deviceFamilyOf(p: string): string {
  return p === "darwin" ? "Mac" : p === "win32" ? "Windows" : p === "linux" ? "Linux" : p;
}

export class PresenceRegistry {
  private readonly entries = new Map<string, PresenceEntry>();
  private readonly persons = new Map<string, PersonConnection>();
  private readonly publications = new Map<string, Publication>();
  /** `sessions.viewers.set` declarations by connection id (the legacy's session-viewer-presence), until empty or closed. */
  private readonly viewers = new Map<string, readonly string[]>();
  private readonly selfInstanceId = randomUUID();

  /** `shapeSelf`: the compat release's changes to the gateway's own row (hanzod/compat.ts). */
  constructor(
    private readonly version: string,
    private readonly shapeSelf: (row: Record<string, unknown>) => Record<string, unknown> = (row) => row,
  ) {
    this.touchSelf();
  }

  private touchSelf(): void {
    const existing = this.entries.get(SELF_KEY);
    if (existing) {
      existing.ts = Date.now();
      return;
    }
    const host = hostname();
    const ip = primaryIPv4();
    const p = platform();
    const self: PresenceEntry = {
      host,
      ...(ip ? { ip } : {}),
      version: this.version,
      platform: p === "win32" ? `windows ${release()}` : `${p} ${release()}`,
      deviceFamily: deviceFamilyOf(p),
      modelIdentifier: arch(),
      mode: "gateway",
      reason: "self",
      instanceId: this.selfInstanceId,
      text: `Gateway: ${host}${ip ? ` (${ip})` : ""} · app ${this.version} · mode gateway · reason self`,
      ts: Date.now(),
    };
    this.entries.set(SELF_KEY, this.shapeSelf(self as unknown as Record<string, unknown>) as unknown as PresenceEntry);
  }

  upsert(key: string, entry: Omit<PresenceEntry, "ts" | "text">): void {
    const existing = this.entries.get(key);
    const merged: PresenceEntry = { ...existing, ...entry, ts: Date.now() };
    merged.roles = [...new Set([...(existing?.roles ?? []), ...(entry.roles ?? [])])];
    merged.scopes = [...new Set([...(existing?.scopes ?? []), ...(entry.scopes ?? [])])];
    merged.text = existing?.text ?? `Node: ${merged.host ?? "unknown"} · mode ${merged.mode ?? "unknown"}`;
    this.entries.set(key, merged);
  }

  /**
   * A connection of a person comes online (the legacy's refreshClientPresence at registration, before
   * the connect row is written): its online period starts now unless another live connection of the
   * same person began earlier, and every such connection's row is rewritten with the shared timing
   * (the earliest `onlineSince`, the latest `lastActivityAt`).
   */
  joinPerson(key: string, identity: string, row: PersonConnection["row"]): void {
    this.persons.set(key, { identity, onlineSince: Date.now(), row });
    this.refreshPerson(key);
  }

  /**
   * Accepted human activity on a person's connection (the legacy's recordClientPresenceActivity, 2026.9.6:
   * called after it answers a started `chat.send`, a typing suggestion, or a changed non-empty
   * `sessions.viewers.set`). Stamps `lastActivityAt` on every live connection of that person; returns
   * whether a presence snapshot is due (the legacy broadcasts one then): not when the person's last
   * publication was under 30 s ago. A connection that is not a person's (ephemeral, 2026.9.1, a proxy leg) records nothing.
   */
  recordActivity(key: string, at: number = Date.now()): boolean {
    if (!this.persons.has(key)) return false;
    return this.refreshPerson(key, at);
  }

  /** The legacy's refreshClientPresence (client-presence.ts), over the person connections hanzod holds. */
  private refreshPerson(key: string, activityAt?: number): boolean {
    const self = this.persons.get(key);
    if (!self) return false;
    const peers = [...this.persons].filter(([, p]) => p.identity === self.identity);
    const timing: Pick<PersonConnection, "onlineSince" | "lastActivityAt"> = { onlineSince: self.onlineSince, ...(self.lastActivityAt !== undefined ? { lastActivityAt: self.lastActivityAt } : {}) };
    for (const [, peer] of peers) {
      timing.onlineSince = Math.min(timing.onlineSince, peer.onlineSince);
      const activity = peer.lastActivityAt;
      if (activity !== undefined) timing.lastActivityAt = Math.max(timing.lastActivityAt ?? activity, activity);
    }
    const publication = this.publications.get(key);
    const publish =
      activityAt === undefined || timing.lastActivityAt === undefined || publication?.identity !== self.identity || activityAt < publication.at || activityAt - publication.at >= ACTIVITY_BROADCAST_INTERVAL_MS;
    if (activityAt !== undefined) timing.lastActivityAt = activityAt;
    const next = publish ? { identity: self.identity, at: activityAt ?? timing.lastActivityAt ?? Date.now() } : publication;
    for (const [peerKey, peer] of peers) {
      peer.onlineSince = timing.onlineSince;
      if (timing.lastActivityAt !== undefined) peer.lastActivityAt = timing.lastActivityAt;
      if (next) this.publications.set(peerKey, next);
      this.upsert(peerKey, { ...peer.row, onlineSince: peer.onlineSince, ...(peer.lastActivityAt !== undefined ? { lastActivityAt: peer.lastActivityAt } : {}) });
    }
    return publish;
  }

  /** The connection closed: it no longer holds its person's online period open (its row stays, as a disconnect). */
  leavePerson(key: string): void {
    this.persons.delete(key);
    this.publications.delete(key);
  }

  /** The connection's current viewer declaration, if it has a non-empty one. */
  viewedBy(connId: string): readonly string[] | undefined {
    return this.viewers.get(connId);
  }

  /**
   * Replaces a connection's viewer declaration (sorted unique keys; empty drops it). A connection with a
   * presence row (an operator's row is keyed by its connection id) gets `watchedSessions` (none when
   * empty), and a non-empty set is its person's activity; returns whether it has a row, i.e. whether the
   * legacy broadcasts a presence snapshot now (it does so whether or not the activity was due one).
   */
  replaceViewers(connId: string, keys: readonly string[]): boolean {
    if (keys.length === 0) this.viewers.delete(connId);
    else this.viewers.set(connId, [...keys]);
    if (!this.entries.has(connId)) return false;
    this.upsert(connId, { watchedSessions: keys.length > 0 ? [...keys] : undefined });
    if (keys.length > 0) this.recordActivity(connId);
    return true;
  }

  /** The connection closed: its declaration ends with it (the disconnect upsert clears the row's `watchedSessions`, as there). */
  dropViewers(connId: string): void {
    this.viewers.delete(connId);
  }

  list(): PresenceEntry[] {
    this.touchSelf();
    const now = Date.now();
    for (const [key, e] of this.entries) if (key !== SELF_KEY && now - e.ts > TTL_MS) this.entries.delete(key);
    const all = [...this.entries.values()].sort((a, b) => b.ts - a.ts);
    return all.length > MAX_ENTRIES ? all.slice(0, MAX_ENTRIES) : all;
  }
}
