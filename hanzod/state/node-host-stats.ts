/**
 * 2026.9.6's node host stats (`node.event` `node.host.stats`, kept live and in the paired row as
 * `lastHostStats`): the contract's NodeHostStatsPayload plus the legacy's refinement (free never above
 * total; disk values only as a pair), and for a stored snapshot its receipt time (isNodeHostStats).
 * 2026.9.1 has no host stats.
 */
import { releaseValidator } from "../../protocol/window.js";

export const HOST_STATS_RELEASE = "2026.9.6";

/** The reported stats (without receipt time) as the legacy's validateNodeHostStatsPayload accepts them. */
export function validHostStatsPayload(v: unknown): v is Record<string, unknown> {
  if (!releaseValidator(HOST_STATS_RELEASE).validate("NodeHostStatsPayload", v).valid) return false;
  const s = v as { memoryFreeBytes: number; memoryTotalBytes: number; diskTotalBytes?: number; diskAvailableBytes?: number };
  if (s.memoryFreeBytes > s.memoryTotalBytes) return false;
  return s.diskTotalBytes === undefined ? s.diskAvailableBytes === undefined : s.diskAvailableBytes !== undefined && s.diskAvailableBytes <= s.diskTotalBytes;
}

/** A stored snapshot: valid stats plus a safe, non-negative integer `updatedAtMs` (isNodeHostStats). */
export function validStoredHostStats(v: unknown): boolean {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const { updatedAtMs, ...stats } = v as Record<string, unknown>;
  return typeof updatedAtMs === "number" && Number.isSafeInteger(updatedAtMs) && updatedAtMs >= 0 && validHostStatsPayload(stats);
}
