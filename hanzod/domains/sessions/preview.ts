/**
 * `sessions.preview` (dist sessions-read: the legacy's handler): up to 64 keys, each answered
 * `missing` (no row, or no session id), `empty` (a transcript with no items) or `ok` with items. hanzod
 * answers the first two from the agent databases; a session whose transcript has events needs the
 * legacy's transcript reader and is refused by name rather than previewed differently.
 */
import type { SessionStoreReader } from "../../state/sessions.js";
import { resolveSessionKey } from "./describe.js";
import { assertPresentable, unavailable } from "./list.js";

const MAX_KEYS = 64;

export function sessionsPreview(reader: SessionStoreReader, params: Record<string, unknown>, now = Date.now()): Record<string, unknown> {
  const keys = (Array.isArray(params.keys) ? params.keys : [])
    .map((k) => (typeof k === "string" ? k.trim() : ""))
    .filter((k) => k.length > 0)
    .slice(0, MAX_KEYS);
  if (keys.length === 0) return { ts: now, previews: [] };
  const cfg = reader.config();
  const { targets } = reader.targets(cfg);
  const previews: { key: string; status: string; items: unknown[] }[] = [];
  for (const raw of keys) {
    // The legacy answers the first key it cannot resolve as the whole call's error.
    const { agentId, key } = resolveSessionKey(reader, cfg, raw);
    const target = targets.find((t) => t.agentId === agentId && t.configured);
    const record = target ? reader.read([target], key)[0] : undefined;
    const sessionId = record?.entry.sessionId;
    if (!record || typeof sessionId !== "string" || !sessionId) {
      previews.push({ key: raw, status: "missing", items: [] });
      continue;
    }
    assertPresentable(cfg, [record]);
    if (reader.hasTranscriptEvents(record.storePath, sessionId)) throw unavailable(`sessions.preview of a session with transcript events ("${raw}")`);
    previews.push({ key: raw, status: "empty", items: [] });
  }
  return { ts: now, previews };
}
