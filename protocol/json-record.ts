/**
 * The one test for "a JSON object" (not null, not an array) that every part uses before it reads keys
 * from data it did not build: params, stored JSON, recorded frames, config files.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a JSON object, else `undefined`: for optional chains over untrusted shapes. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}
