/**
 * Writes the client side of the legacy's strict mode model into an openclaw.json: `gateway.mode:
 * "remote"` with `gateway.remote.{url, transport, sshTarget, remotePort, token|password}` (docs:
 * gateway/remote.md), keeping every other key. A client is local or remote, never both: the local
 * `gateway.auth`/`gateway.port` stay for the gateway on this machine, the client reads `remote`.
 * The previous file is kept beside it as `.bak`; the file is 0600 since it may hold a credential.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseConfigText } from "../../hanzod/config-file.js";
import { asRecord } from "../../protocol/index.js";

export interface RemoteClientConfig {
  url: string;
  transport: "ssh" | "direct";
  sshTarget?: string;
  remotePort?: number;
  token?: string;
  password?: string;
}

type Json = Record<string, unknown>;

export function defaultClientConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENCLAW_CONFIG_PATH?.trim()) return resolve(env.OPENCLAW_CONFIG_PATH.trim());
  const stateDir = env.OPENCLAW_STATE_DIR?.trim() || join(env.HOME?.trim() || homedir(), ".openclaw");
  return join(resolve(stateDir), "openclaw.json");
}

export function readClientConfig(path: string): Json {
  if (!existsSync(path)) return {};
  const parsed = parseConfigText(readFileSync(path, "utf8"));
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${path}: the config must be an object`);
  return parsed as Json;
}

function obj(v: unknown): Json {
  return asRecord(v) ?? {};
}

/** Returns the path written and the previous copy (if any). */
export function writeRemoteClientConfig(path: string, remote: RemoteClientConfig): { path: string; backup?: string } {
  const config = readClientConfig(path);
  const gateway = obj(config.gateway);
  const previous = obj(gateway.remote);
  const next: Json = { ...previous, url: remote.url, transport: remote.transport };
  for (const key of ["sshTarget", "remotePort"] as const) {
    if (remote[key] !== undefined) next[key] = remote[key];
    else delete next[key];
  }
  // One credential type (docs: use the one matching the remote gateway's auth mode).
  if (remote.token !== undefined) {
    next.token = remote.token;
    delete next.password;
  } else if (remote.password !== undefined) {
    next.password = remote.password;
    delete next.token;
  }
  config.gateway = { ...gateway, mode: "remote", remote: next };
  mkdirSync(dirname(path), { recursive: true });
  let backup: string | undefined;
  if (existsSync(path)) {
    backup = `${path}.bak`;
    copyFileSync(path, backup);
  }
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, ...(backup ? { backup } : {}) };
}
