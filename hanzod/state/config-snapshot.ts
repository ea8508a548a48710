/**
 * The legacy's config file snapshot (openclaw 2026.9.x `readConfigFileSnapshot`, src/config/io.snapshot.ts),
 * as far as hanzod can reproduce it byte for byte: reading `openclaw.json` and parsing it the legacy's way
 * (`JSON.parse`, then the `json5` package the legacy itself pins, 2.2.3). What follows a successful parse
 * (`$include` resolution, `${ENV}` substitution, the roster/context-budget migrations, the legacy's zod
 * validation with its plugins' schemas, and the runtime defaults it materializes) is not reproduced: for a
 * parseable file `readConfigSnapshot` says so (`kind: "parsed"`) and the caller must not invent an answer.
 */
import { readFileSync } from "node:fs";
import JSON5 from "json5";
import { hashConfigRaw } from "./config-revision.js";

/** The legacy's issue row: `path` is "" for file-level failures. */
export interface ConfigIssue {
  path: string;
  message: string;
}

export type ConfigFileRead =
  /** No file at the path: the legacy answers its materialized defaults (not reproduced). */
  | { kind: "missing"; path: string }
  /** The file parsed; everything after the parse needs the legacy's validator (not reproduced). */
  | { kind: "parsed"; path: string; raw: string; rawHash: string; parsed: unknown }
  /** The legacy's own invalid snapshot for a file it cannot read or parse. */
  | { kind: "invalid"; path: string; rawHash: string; issues: ConfigIssue[]; readError?: { code: string | null } };

/** `parseJsonWithJson5Fallback` + `parseConfigJson5`: the error text is `String(err)` of JSON5's error. */
export function parseConfigJson5(raw: string): { ok: true; parsed: unknown } | { ok: false; error: string } {
  try {
    try {
      return { ok: true, parsed: JSON.parse(raw) as unknown };
    } catch {
      return { ok: true, parsed: JSON5.parse(raw) };
    }
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

export function readConfigFile(path: string): ConfigFileRead {
  let raw: string;
  try {
    raw = readFileSync(path, "utf-8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? null;
    if (code === "ENOENT") return { kind: "missing", path };
    // The legacy adds chown advice to EACCES (with its uid); other read failures are `read failed: <error>`.
    // No raw text was read, so the hash is the legacy's hash of a missing file and readError carries the code.
    const message = code === "EACCES" ? eaccesMessage(err, path) : `read failed: ${String(err)}`;
    return { kind: "invalid", path, rawHash: hashConfigRaw(null), issues: [{ path: "", message }], readError: { code } };
  }
  const rawHash = hashConfigRaw(raw);
  const res = parseConfigJson5(raw);
  if (!res.ok) return { kind: "invalid", path, rawHash, issues: [{ path: "", message: `JSON5 parse failed: ${res.error}` }] };
  return { kind: "parsed", path, raw, rawHash, parsed: res.parsed };
}

function eaccesMessage(err: unknown, path: string): string {
  const uid = process.getuid?.();
  const uidHint = typeof uid === "number" ? String(uid) : "$(id -u)";
  return [`read failed: ${String(err)}`, "", "Config file is not readable by the current process. If running in a container", "or 1-click deployment, fix ownership with:", `  chown ${uidHint} "${path}"`, "Then restart the gateway."].join("\n");
}
