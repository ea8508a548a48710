/**
 * Client-chosen strings (method names, ids) written into a log line or a metric: cut to a fixed size,
 * so a 1 MB method name costs a log line of a few hundred bytes, never its own size.
 */
export const MAX_LOGGED_CHARS = 128;

export function clipForLog(value: unknown, max = MAX_LOGGED_CHARS): unknown {
  if (typeof value !== "string" || value.length <= max) return value;
  return `${value.slice(0, max)}…(${value.length} chars)`;
}
