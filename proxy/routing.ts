/**
 * Routing decisions that need more than the checklist: canary bucketing (sticky per client identity,
 * and per idempotencyKey across connections), method and event families.
 */
import { createHash } from "node:crypto";
import { CONTRACT_METHOD_NAMES } from "../protocol/index.js";
import type { Backend } from "./tap.js";

/** 0..99, stable for a string. */
export function bucketOf(key: string): number {
  return createHash("sha1").update(key).digest().readUInt16BE(0) % 100;
}

/**
 * Retries with the same idempotencyKey must reach the backend that saw the first attempt (dedupe is
 * per process). Remembers the choice like the legacy dedupe cache: bounded, 5 minute TTL.
 */
export class IdempotencyStickiness {
  private readonly seen = new Map<string, { backend: Backend; at: number }>();
  constructor(
    private readonly max = 10_000,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  pick(idempotencyKey: string, choose: () => Backend, now = Date.now()): Backend {
    // Keys are client input: a long one is kept as its digest, so the map is bounded in bytes too.
    const key = idempotencyKey.length <= 128 ? idempotencyKey : `\u0000${createHash("sha256").update(idempotencyKey).digest("base64")}`;
    const hit = this.seen.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.backend;
    const backend = choose();
    if (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, { backend, at: now });
    return backend;
  }
}

/** Events the auth owner emits for the whole process (tick, presence, health, shutdown...). */
export const AUTH_OWNED_EVENTS: ReadonlySet<string> = new Set(["connect.challenge", "tick", "health", "presence", "heartbeat", "shutdown", "gateway.suspension", "update.available"]);

const FAMILY_ALIASES: Readonly<Record<string, string>> = { session: "sessions", task: "tasks" };

/** `sessions.changed` -> sessions, `session.message` -> sessions, `chat` -> chat, `config.set` -> config. */
export function familyOf(name: string): string {
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  return FAMILY_ALIASES[head] ?? head;
}

/** A contract method standing for a family, to route a family's events before any of its calls. */
const representatives = new Map<string, string>();
for (const m of CONTRACT_METHOD_NAMES) {
  const f = familyOf(m);
  if (!representatives.has(f)) representatives.set(f, m);
}
export function representativeMethod(family: string): string | undefined {
  return representatives.get(family);
}
