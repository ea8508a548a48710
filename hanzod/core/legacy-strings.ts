/** The legacy's `normalizeOptionalString` (dist string-coerce): a trimmed non-empty string, else undefined. */
export function normalizeOptionalString(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}
