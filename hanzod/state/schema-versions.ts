/**
 * The legacy's database schema versions hanzod supports, per release (PRAGMA user_version; the
 * package's docs/reference/database-schemas.md and its state/agent schema histories). hanzod opens a
 * database only at one of these versions: it never migrates a legacy database, and it refuses a newer
 * (or unknown) one instead of guessing at its shape.
 */
export type LegacyDbKind = "state" | "agent";

export interface SupportedRelease {
  release: string;
  state: number;
  agent: number;
}

export const SUPPORTED_RELEASES: readonly SupportedRelease[] = [
  { release: "2026.9.1", state: 15, agent: 19 },
  { release: "2026.9.6", state: 18, agent: 23 },
];

export function supportedVersions(kind: LegacyDbKind): number[] {
  return [...new Set(SUPPORTED_RELEASES.map((r) => r[kind]))].sort((a, b) => a - b);
}

export function releasesFor(kind: LegacyDbKind, version: number): string[] {
  return SUPPORTED_RELEASES.filter((r) => r[kind] === version).map((r) => r.release);
}
