/** Params handed to the shadow sink carry no secrets (same key rule as the recorder's redactor). */
import { isSecretKey } from "../recorder/redact.js";

export function redactSecrets(value: unknown, key?: string): unknown {
  if (key !== undefined && typeof value === "string" && isSecretKey(key)) return "[redacted]";
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactSecrets(v, k);
    return out;
  }
  return value;
}
