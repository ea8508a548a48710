/**
 * Where a client configured by an openclaw.json attaches, resolved as the legacy's own clients resolve it
 * (docs/gateway/remote.md "Credential precedence", docs/gateway/config-gateway.md `port`): strict mode, a
 * client is `local` or `remote`, never both.
 */
import { asRecord } from "../../protocol/index.js";
import { readClientConfig } from "../attach/client-config.js";

export const DEFAULT_GATEWAY_PORT = 18789;

export interface ClientTarget {
  mode: "local" | "remote";
  url: string;
  /** What picked the URL, for the operator. */
  urlFrom: string;
  transport?: string;
  sshTarget?: string;
  token?: string;
  password?: string;
}

export interface TargetOverrides {
  url?: string;
  token?: string;
  password?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => asRecord(v) ?? {};
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v : undefined);
const first = (...vs: (string | undefined)[]): string | undefined => vs.find((v) => v !== undefined);

function withCredential(t: Omit<ClientTarget, "token" | "password">, token: string | undefined, password: string | undefined): ClientTarget {
  return { ...t, ...(token !== undefined ? { token } : {}), ...(password !== undefined ? { password } : {}) };
}

/** Resolves the target; throws with a clear message for a config that names no usable target. */
export function resolveClientTarget(configPath: string, env: NodeJS.ProcessEnv, over: TargetOverrides = {}): ClientTarget {
  const gateway = obj(readClientConfig(configPath).gateway);
  const remote = obj(gateway.remote);
  const auth = obj(gateway.auth);
  const rawMode = gateway.mode ?? "local";
  if (rawMode !== "local" && rawMode !== "remote") throw new Error(`${configPath}: gateway.mode must be "local" or "remote" (found ${JSON.stringify(rawMode)})`);
  const mode: ClientTarget["mode"] = rawMode;
  const transport = str(remote.transport);
  const sshTarget = str(remote.sshTarget);
  const common = { mode, ...(mode === "remote" && transport ? { transport } : {}), ...(mode === "remote" && sshTarget ? { sshTarget } : {}) };

  // An explicit URL never reuses implicit credentials; the env URL only the env's.
  if (over.url) return withCredential({ ...common, url: over.url, urlFrom: "--url" }, over.token, over.password);
  const envUrl = str(env.OPENCLAW_GATEWAY_URL);
  if (envUrl) return withCredential({ ...common, url: envUrl, urlFrom: "OPENCLAW_GATEWAY_URL" }, first(over.token, str(env.OPENCLAW_GATEWAY_TOKEN)), first(over.password, str(env.OPENCLAW_GATEWAY_PASSWORD)));

  if (mode === "remote") {
    const url = str(remote.url);
    if (!url) throw new Error(`${configPath}: gateway.mode is "remote" but gateway.remote.url is not set`);
    return withCredential(
      { ...common, url, urlFrom: "gateway.remote.url" },
      first(over.token, str(remote.token), str(env.OPENCLAW_GATEWAY_TOKEN), str(auth.token)),
      first(over.password, str(env.OPENCLAW_GATEWAY_PASSWORD), str(remote.password), str(auth.password)),
    );
  }
  const envPort = str(env.OPENCLAW_GATEWAY_PORT);
  const port = envPort ? Number(envPort) : typeof gateway.port === "number" ? gateway.port : DEFAULT_GATEWAY_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`gateway port ${JSON.stringify(envPort ?? gateway.port)} is not a TCP port`);
  const urlFrom = envPort ? "OPENCLAW_GATEWAY_PORT" : typeof gateway.port === "number" ? "gateway.port" : "the default port";
  return withCredential(
    { ...common, url: `ws://127.0.0.1:${port}`, urlFrom },
    first(over.token, str(auth.token), str(env.OPENCLAW_GATEWAY_TOKEN), str(remote.token)),
    first(over.password, str(auth.password), str(env.OPENCLAW_GATEWAY_PASSWORD), str(remote.password)),
  );
}
