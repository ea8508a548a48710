/**
 * JSON pointers (RFC 6901), the one place their escaping is written: `~` is `~0` and `/` is `~1`
 * inside a segment. Difference paths, comparison globs, contract issues and the report all use them.
 */

export function escapePointerSegment(key: string): string {
  return key.includes("~") || key.includes("/") ? key.replace(/~/g, "~0").replace(/\//g, "~1") : key;
}

export function unescapePointerSegment(segment: string): string {
  return segment.includes("~") ? segment.replace(/~1/g, "/").replace(/~0/g, "~") : segment;
}

/** The unescaped segments of a pointer; "" and "/" are the root (no segments). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer.slice(pointer.startsWith("/") ? 1 : 0).split("/").map(unescapePointerSegment);
}
