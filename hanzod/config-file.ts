/**
 * Reads the legacy gateway's own openclaw.json (JSON with comments and trailing commas, as the legacy
 * accepts) and maps the `gateway.*` settings hanzod honours: port, bind, auth, trustedProxies.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Zod from "zod";
import type { AuthMode, HanzodAuthOptions } from "./options.js";
import { ConfigError } from "./config-error.js";

/**
 * The `gateway` section's schema, built on the first `--config` read: zod is ~220 modules, which every
 * start without a config file would otherwise load (the CLI imports this file for bindToHost).
 */
function gatewaySectionSchema() {
  const { z } = createRequire(import.meta.url)("zod") as typeof Zod;
  return z.object({
    port: z.number().int().min(0).max(65535).optional(),
    bind: z.enum(["loopback", "lan", "auto", "custom", "tailnet"]).optional(),
    customBindHost: z.string().optional(),
    trustedProxies: z.array(z.string()).optional(),
    auth: z
      .object({
        mode: z.enum(["token", "password", "none", "trusted-proxy"]).optional(),
        token: z.string().optional(),
        password: z.string().optional(),
        trustedProxy: z
          .object({
            userHeader: z.string(),
            requiredHeaders: z.array(z.string()).optional(),
            allowUsers: z.array(z.string()).optional(),
            allowLoopback: z.boolean().optional(),
          })
          .optional(),
      })
      .optional(),
  });
}

let gatewaySection: ReturnType<typeof gatewaySectionSchema> | undefined;

export interface LegacyGatewayConfig {
  path: string;
  port?: number;
  host?: string;
  auth?: Partial<HanzodAuthOptions>;
  trustedProxies?: string[];
}

/** Parses the legacy's openclaw.json as the legacy writes it: JSON with comments and trailing commas. */
export function parseConfigText(text: string): unknown {
  return JSON.parse(relaxJson(text)) as unknown;
}

/** Drops // and /* *\/ comments outside strings and trailing commas, so JSON.parse reads JSON5-ish files. */
function relaxJson(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

export function bindToHost(bind: string | undefined, customBindHost?: string): string | undefined {
  switch (bind) {
    case undefined:
      return undefined;
    case "loopback":
    case "auto":
      return "127.0.0.1";
    case "lan":
      return "0.0.0.0";
    case "custom":
      if (!customBindHost) throw new ConfigError("gateway.bind is custom, but gateway.customBindHost is not set");
      return customBindHost;
    default:
      throw new ConfigError(`gateway.bind ${bind} is not supported by hanzod (use loopback, lan, auto or custom)`);
  }
}

/** The config file as an object: {} when it does not exist (the legacy's defaults then apply). */
export function readLegacyConfigObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(relaxJson(readFileSync(path, "utf8"))) as unknown;
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

export function loadLegacyConfig(path: string): LegacyGatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: { gateway?: unknown };
  try {
    raw = parseConfigText(text) as { gateway?: unknown };
  } catch (err) {
    throw new ConfigError(`${path}: cannot be parsed as JSON with comments (${err instanceof Error ? err.message : String(err)})`);
  }
  if (raw === null || typeof raw !== "object") throw new ConfigError(`${path}: the config must be an object`);
  gatewaySection ??= gatewaySectionSchema();
  const parsed = gatewaySection.safeParse(raw.gateway ?? {});
  if (!parsed.success) throw new ConfigError(`${path}: gateway section: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const g = parsed.data;
  const cfg: LegacyGatewayConfig = { path };
  if (g.port !== undefined) cfg.port = g.port;
  const host = bindToHost(g.bind, g.customBindHost);
  if (host) cfg.host = host;
  if (g.trustedProxies) cfg.trustedProxies = g.trustedProxies;
  if (g.auth) {
    const auth: Partial<HanzodAuthOptions> = {};
    if (g.auth.mode) auth.mode = g.auth.mode as AuthMode;
    if (g.auth.token) auth.token = g.auth.token;
    if (g.auth.password) auth.password = g.auth.password;
    if (g.auth.trustedProxy) auth.trustedProxy = g.auth.trustedProxy;
    cfg.auth = auth;
  }
  return cfg;
}
