/**
 * Placeholders during replay: the gateway-token placeholder becomes the target's token; placeholders
 * for secrets the target issues (a device token in hello-ok) are learned from the target's answers
 * and substituted into later client frames. Before comparing, secrets on both sides are masked, so a
 * replay report never prints a live secret and a fresh device token does not read as a difference.
 */
import { PLACEHOLDER_PATTERN, isPlaceholder, isSecretKey } from "../protocol/redact.js";

export const MASK = "<secret>";

export class ReplaySecrets {
  private readonly live = new Map<string, string>();

  constructor(gatewayTokenPlaceholder: string | null, token: string) {
    if (gatewayTokenPlaceholder) this.live.set(gatewayTokenPlaceholder, token);
  }

  /** Treat a placeholder as the gateway token (fixtures recorded without knowing the token). */
  bindToken(placeholder: string, token: string): void {
    if (!this.live.has(placeholder)) this.live.set(placeholder, token);
  }

  has(placeholder: string): boolean {
    return this.live.has(placeholder);
  }

  substitute(text: string): string {
    if (this.live.size === 0 || !text.includes("<redacted:")) return text;
    return text.replace(PLACEHOLDER_PATTERN, (p) => this.live.get(p) ?? p);
  }

  substituteValue<T>(value: T): T {
    if (typeof value === "string") return this.substitute(value) as T;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => this.substituteValue(v)) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.substituteValue(v);
    return out as T;
  }

  /** Where the recording holds a placeholder and the target holds a string, remember the live value. */
  learn(expected: unknown, actual: unknown): void {
    if (typeof expected === "string") {
      if (typeof actual === "string" && isPlaceholder(expected) && !this.live.has(expected)) this.live.set(expected, actual);
      return;
    }
    if (expected === null || typeof expected !== "object" || actual === null || typeof actual !== "object") return;
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return;
      expected.forEach((e, i) => this.learn(e, actual[i]));
      return;
    }
    const a = actual as Record<string, unknown>;
    for (const [k, e] of Object.entries(expected)) this.learn(e, a[k]);
  }
}

/** Deep copy with every secret (secret-named key, or a placeholder) replaced by one mask. */
export function maskSecrets<T>(value: T, key?: string): T {
  if (typeof value === "string") return (isPlaceholder(value) || (key !== undefined && isSecretKey(key) && value.length > 0) ? MASK : value) as T;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, typeof v === "string" ? key : undefined)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, k);
  return out as T;
}
