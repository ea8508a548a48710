/**
 * Secrets never reach disk. A Redactor belongs to one recording: it replaces every secret it finds by
 * a stable placeholder (`<redacted:token:1>`), the same secret always by the same placeholder, so
 * fixtures still line up (a token sent in `connect` and echoed later reads the same everywhere).
 *
 * What counts as a secret:
 *  - any string under a key named like a secret (token, password, secret, apiKey, authorization,
 *    cookie, signature, privateKey, credential, ...; case-insensitive), which covers auth.token,
 *    auth.password, auth.deviceToken, auth.bootstrapToken, auth.approvalRuntimeToken,
 *    auth.agentRuntimeIdentityToken, device.signature, hello-ok auth.deviceToken and deviceTokens[*].token;
 *  - secrets the caller names up front (the gateway token the recording was made with), which get a
 *    named placeholder (`<redacted:gateway-token>`) that replay substitutes with the target's token;
 *  - every occurrence of an already-known secret inside any other string, header or raw frame text.
 */

export const PLACEHOLDER_PATTERN = /<redacted:[A-Za-z0-9_.-]+(?::\d+)?>/g;
export const GATEWAY_TOKEN_LABEL = "gateway-token";
export const GATEWAY_TOKEN_PLACEHOLDER = `<redacted:${GATEWAY_TOKEN_LABEL}>`;

const SECRET_KEY = /token|passw(or)?d|secret|api[-_]?key|authorization|cookie|signature|private[-_]?key|credential|passphrase|bearer/i;
// Numbers under secret-ish keys are counts (contextTokens, maxTokens), never credentials.
const NON_SECRET_KEY = /^(max|min|context|input|output|total|cached|reasoning|prompt|completion)Tokens$|^tokens?(Count|Limit|Used|Budget)$/i;
// Secrets shorter than this are not searched for inside other strings: too likely to hit ordinary text.
const MIN_EMBEDDED_SECRET = 6;
// `"token":"..."` inside text that is not valid JSON (a malformed frame).
const RAW_SECRET_FIELD = /("(?:[A-Za-z0-9_]*(?:token|Token|password|Password|secret|Secret|signature|Signature|apiKey|ApiKey|privateKey|PrivateKey)[A-Za-z0-9_]*)"\s*:\s*")((?:[^"\\]|\\.)*)(")/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NON_SECRET_KEY.test(key);
}

export function isPlaceholder(value: string): boolean {
  PLACEHOLDER_PATTERN.lastIndex = 0;
  const m = PLACEHOLDER_PATTERN.exec(value);
  return m !== null && m[0] === value;
}

export interface RedactorOptions {
  /** label -> secret known before recording (e.g. {"gateway-token": T}); placeholder `<redacted:label>`. */
  known?: Record<string, string>;
}

export class Redactor {
  private readonly bySecret = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  /** Known secrets sorted longest first, so a secret containing another is replaced whole. */
  private searchable: string[] = [];

  constructor(opts: RedactorOptions = {}) {
    for (const [label, secret] of Object.entries(opts.known ?? {})) if (secret) this.remember(secret, `<redacted:${label}>`);
  }

  /** How many distinct secrets this recording has seen. */
  get secretCount(): number {
    return this.bySecret.size;
  }

  /** Placeholder for a secret found under `key`; allocates `<redacted:<kind>:<n>>` on first sight. */
  placeholderFor(secret: string, key: string): string {
    if (isPlaceholder(secret)) return secret;
    const known = this.bySecret.get(secret);
    if (known) return known;
    const kind = kindOf(key);
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const placeholder = `<redacted:${kind}:${n}>`;
    this.remember(secret, placeholder);
    return placeholder;
  }

  private remember(secret: string, placeholder: string): void {
    this.bySecret.set(secret, placeholder);
    if (secret.length >= MIN_EMBEDDED_SECRET) {
      this.searchable.push(secret);
      this.searchable.sort((a, b) => b.length - a.length);
    }
  }

  /** Replace every known secret inside free text. */
  redactText(text: string): string {
    let out = text;
    for (const s of this.searchable) if (out.includes(s)) out = out.split(s).join(this.bySecret.get(s) as string);
    return out;
  }

  /**
   * Deep copy of a parsed frame with secrets replaced. Two passes: first learn every secret under a
   * secret-named key anywhere in the value, then rewrite, so a secret echoed in an earlier field of
   * the same frame is caught too.
   */
  redactValue<T>(value: T): T {
    this.learn(value, undefined);
    return this.rewrite(value, undefined) as T;
  }

  private learn(value: unknown, key: string | undefined): void {
    if (typeof value === "string") {
      if (key !== undefined && isSecretKey(key) && value.length > 0) this.placeholderFor(value, key);
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      // Strings directly inside a secret-named array (`tokens: ["a","b"]`) are secrets too.
      for (const v of value) this.learn(v, typeof v === "string" ? key : undefined);
      return;
    }
    for (const [k, v] of Object.entries(value)) this.learn(v, k);
  }

  private rewrite(value: unknown, key: string | undefined): unknown {
    if (typeof value === "string") {
      if (key !== undefined && isSecretKey(key) && value.length > 0) return this.placeholderFor(value, key);
      return this.searchable.length ? this.redactText(value) : value;
    }
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => this.rewrite(v, typeof v === "string" ? key : undefined));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.rewrite(v, k);
    return out;
  }

  /** Frame text that is not valid JSON: secret-looking `"key":"value"` pairs, then known secrets. */
  redactRawText(text: string): string {
    const fielded = text.replace(RAW_SECRET_FIELD, (_m, open: string, secret: string, close: string) => {
      const key = /"([^"]+)"/.exec(open)?.[1] ?? "secret";
      return secret.length > 0 ? `${open}${this.placeholderFor(secret, key)}${close}` : `${open}${close}`;
    });
    return this.redactText(fielded);
  }

  /** Upgrade header value: credentials after an auth scheme, cookie values, secret-named headers. */
  redactHeader(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (lower === "authorization" || lower === "proxy-authorization") {
      const m = /^(\S+)\s+(.+)$/.exec(value);
      return m ? `${m[1]} ${this.placeholderFor(m[2] as string, "authorization")}` : this.placeholderFor(value, "authorization");
    }
    if (lower === "cookie" || lower === "set-cookie") {
      return value
        .split(";")
        .map((part) => {
          const eq = part.indexOf("=");
          if (eq < 0) return part;
          const v = part.slice(eq + 1).trim();
          return v ? `${part.slice(0, eq + 1)}${this.placeholderFor(v, "cookie")}` : part;
        })
        .join(";");
    }
    if (isSecretKey(lower)) return this.placeholderFor(value, "header-secret");
    return this.redactText(value);
  }
}

/** Placeholder kind: the key's own name, so fixtures say what kind of secret stood there. */
function kindOf(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_.-]/g, "");
  return clean.length ? clean : "secret";
}

/** A copy with every string under a secret-named key replaced (params handed to the shadow sink, logs). */
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
