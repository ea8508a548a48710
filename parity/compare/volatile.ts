/**
 * Volatile-value detectors: values that differ on every run (clock readings, random ids, build
 * stamps, throwaway folders) are replaced by a typed placeholder such as `<timestamp:number>`, so two
 * runs compare equal where they agree on everything that matters. Every regex is compiled here, once.
 */
import { tmpdir } from "node:os";
import { VOLATILE_DETECTORS, type VolatileDetector } from "./types.js";

export const ALL_DETECTORS: readonly VolatileDetector[] = VOLATILE_DETECTORS;

// Epoch milliseconds between 2001 and 2100: wide enough for any clock, narrow enough to miss sizes/limits.
const EPOCH_MS_MIN = 978_307_200_000;
const EPOCH_MS_MAX = 4_102_444_800_000;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIMESTAMP_KEY = /^(ts|timestamp|time|now|date)$|(At|AtMs|Ts|Time|Timestamp|Date)$/;
const DURATION_KEY = /^(duration|elapsed|uptime|latency|took|age)(Ms|Sec|Seconds|Ns)?$|(Duration|Elapsed|Uptime|Latency|Age)(Ms|Sec|Seconds|Ns)?$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/gi;
const UUID_TEST = /[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/i;
const CONN_ID_KEY = /^(connId|bootId|instanceId|connectionId|socketId)$/;
const VERSION_KEY = /^(version|buildId|runtimeVersion|serverVersion|clientVersion|appVersion)$/;
// Calendar versions like 2026.9.1 / 2026.9.1-beta.2, as they appear inside free text.
const CALVER = /\b20\d{2}\.\d{1,2}\.\d{1,3}(-[0-9A-Za-z.]+)?\b/g;
const CALVER_TEST = /\b20\d{2}\.\d{1,2}\.\d{1,3}\b/;
const NONCE_KEY = /^(nonce|challenge|salt)$/i;
const DIGEST = /^(?:hmac-)?sha(?:1|224|256|384|512):(?:v\d+:)?[A-Za-z0-9_\-+/=]{16,}$/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
const TEMP_ROOTS = [...new Set([tmpdir(), "/tmp", "/var/tmp", "/private/tmp"])].map(escapeRegex).join("|");
// One throwaway folder (and the rest of the path below it) under a temp root.
const TEMP_PATH = new RegExp(`(?:${TEMP_ROOTS})/[^/\\s"']+`, "g");
const TEMP_PATH_TEST = new RegExp(`(?:${TEMP_ROOTS})/[^/\\s"']+`);

/** Bit set of enabled detectors, so the hot loop tests bits instead of array membership. */
export function detectorMask(detectors: readonly VolatileDetector[] | undefined): number {
  const list = detectors ?? ALL_DETECTORS;
  let mask = 0;
  for (const d of list) mask |= 1 << ALL_DETECTORS.indexOf(d);
  return mask;
}

const bit = (d: VolatileDetector): number => 1 << ALL_DETECTORS.indexOf(d);
const TIMESTAMP = bit("timestamp");
const DURATION = bit("duration");
const UUID_BIT = bit("uuid");
const CONN_ID = bit("connId");
const VERSION = bit("version");
const NONCE = bit("nonce");
const TEMP = bit("tempPath");
const DIGEST_BIT = bit("digest");

const placeholder = (name: string, value: unknown): string => `<${name}:${typeof value}>`;

/**
 * Returns the value with volatile parts replaced. `key` is the object key holding the value (or
 * undefined for array elements and the root); detectors that look at keys need it.
 */
export function normalizeScalar(value: string | number | boolean | null, key: string | undefined, mask: number): string | number | boolean | null {
  if (mask === 0 || value === null || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (mask & TIMESTAMP && Number.isInteger(value) && value >= EPOCH_MS_MIN && value <= EPOCH_MS_MAX) return placeholder("timestamp", value);
    if (key !== undefined) {
      if (mask & TIMESTAMP && TIMESTAMP_KEY.test(key)) return placeholder("timestamp", value);
      if (mask & DURATION && DURATION_KEY.test(key)) return placeholder("duration", value);
    }
    return value;
  }
  if (key !== undefined) {
    if (mask & NONCE && NONCE_KEY.test(key)) return placeholder("nonce", value);
    if (mask & CONN_ID && CONN_ID_KEY.test(key)) return placeholder("connId", value);
    if (mask & VERSION && VERSION_KEY.test(key)) return placeholder("version", value);
    if (mask & TIMESTAMP && TIMESTAMP_KEY.test(key) && ISO_DATETIME.test(value)) return placeholder("timestamp", value);
  }
  if (mask & TIMESTAMP && ISO_DATETIME.test(value)) return placeholder("timestamp", value);
  if (mask & DIGEST_BIT && DIGEST.test(value)) return placeholder("digest", value);
  let out = value;
  // Substring detectors: ids and paths embedded in longer strings ("1:<uuid>", "Gateway: ... app 2026.9.1").
  if (mask & TEMP && TEMP_PATH_TEST.test(out)) out = out.replace(TEMP_PATH, "<tempPath>");
  if (mask & UUID_BIT && UUID_TEST.test(out)) out = out.replace(UUID, "<uuid>");
  if (mask & VERSION && CALVER_TEST.test(out)) out = out.replace(CALVER, "<version>");
  return out;
}

/** Object keys that are volatile themselves (a map keyed by job uuid): same substring detectors as values. */
export function normalizeKey(key: string, mask: number): string {
  let out = key;
  if (mask & TEMP && TEMP_PATH_TEST.test(out)) out = out.replace(TEMP_PATH, "<tempPath>");
  if (mask & UUID_BIT && UUID_TEST.test(out)) out = out.replace(UUID, "<uuid>");
  return out;
}
