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
  ts: number;
}

/** A live connection attributed to a person (identity: the legacy's presenceUserKey, e.g. `profile:gateway-owner`). */
interface PersonConnection {
  identity: string;
  onlineSince: number;
  row: Pick<PresenceEntry, "clientId" | "mode" | "user">;
}

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
   * same person began earlier, and every such connection's row is rewritten with the shared start.
   */
  joinPerson(key: string, identity: string, row: PersonConnection["row"]): void {
    const joined: PersonConnection = { identity, onlineSince: Date.now(), row };
    this.persons.set(key, joined);
    const peers = [...this.persons].filter(([, p]) => p.identity === identity);
    const onlineSince = Math.min(...peers.map(([, p]) => p.onlineSince));
    for (const [peerKey, peer] of peers) {
      peer.onlineSince = onlineSince;
      this.upsert(peerKey, { ...peer.row, onlineSince });
    }
  }

  /** The connection closed: it no longer holds its person's online period open (its row stays, as a disconnect). */
  leavePerson(key: string): void {
    this.persons.delete(key);
  }

  list(): PresenceEntry[] {
    this.touchSelf();
    const now = Date.now();
    for (const [key, e] of this.entries) if (key !== SELF_KEY && now - e.ts > TTL_MS) this.entries.delete(key);
    const all = [...this.entries.values()].sort((a, b) => b.ts - a.ts);
    return all.length > MAX_ENTRIES ? all.slice(0, MAX_ENTRIES) : all;
  }
}
