/**
 * Which state dir `hanzonode up` starts hanzod on. hanzod works on the legacy's own state (issue 10), so
 * beside a legacy on this machine `up` asks the legacy where its config is (`config.get` answers `path`, to
 * an operator.read connection with the credential `up` already uses), derives the state dir the way the
 * legacy lays it out (the config defaults to `<stateDir>/openclaw.json`; the global database is
 * `<stateDir>/state/openclaw.sqlite`, see hanzod/state/legacy-state.ts), and checks the dir is here and
 * holds a state database hanzod supports. When the legacy is remote, the dir is not this machine's or
 * not readable, it falls back to hanzod's own dir under up's --state-dir and says why.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { connectRaw } from "../protocol/index.js";
import { STATE_DB_RELATIVE, checkLegacyDatabase } from "../hanzod/state/legacy-state.js";

export interface HanzodStateChoice {
  /** The dir hanzod gets as --state-dir. */
  stateDir: string;
  /** Whether it is the legacy's own state dir (hanzod then reads the legacy's state). */
  legacyState: boolean;
  /** The legacy's config file as it reported it (hanzod gets it as OPENCLAW_CONFIG_PATH, as the legacy has it). */
  configPath?: string;
  /** How the dir was chosen, or why the legacy's was not (printed in up's banner). */
  reason: string;
}

/** Whether a ws:// URL's host is this machine's loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "::ffff:127.0.0.1";
}

/** The legacy's config path, from its own `config.get` (the `path` field). */
export async function legacyConfigPath(legacyUrl: string, token: string | undefined, timeoutMs = 15_000): Promise<string> {
  const { socket } = await connectRaw(legacyUrl, { ...(token ? { token } : {}), scopes: ["operator.read"] });
  try {
    const res = await socket.request("config.get", {}, { timeoutMs });
    if (!res.ok) {
      const e = res.error as { code?: string; message?: string } | undefined;
      throw new Error(`config.get refused: ${e?.code ?? "error"} ${e?.message ?? ""}`.trim());
    }
    const path = (res.payload as { path?: unknown } | undefined)?.path;
    if (typeof path !== "string" || path === "") throw new Error("config.get names no config path");
    return path;
  } finally {
    await socket.close();
  }
}

/**
 * The legacy's state dir for a config path it reported, checked on this machine: the dir holding the config
 * must hold the legacy's state database, readable, at a schema version hanzod supports. Throws with the reason.
 */
export function legacyStateDirFor(configPath: string): { stateDir: string; configPath?: string } {
  const config = resolve(configPath);
  const stateDir = dirname(config);
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) throw new Error(`its config dir ${stateDir} does not exist on this machine`);
  const db = join(stateDir, STATE_DB_RELATIVE);
  if (!existsSync(db)) throw new Error(`${stateDir} (where its config ${config} is) holds no ${STATE_DB_RELATIVE}: its config is kept outside its state dir (pass --hanzod-state-dir)`);
  try {
    accessSync(db, constants.R_OK);
    accessSync(stateDir, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new Error(`its state database ${db} is not readable here (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // A schema hanzod does not support (or a file that is no database) is refused here, with hanzod's own message.
  checkLegacyDatabase(db, "state");
  return { stateDir, configPath: config };
}

export interface ChooseOptions {
  legacyUrl: string;
  token: string | undefined;
  /** hanzonode's own --state-dir: the fallback is `<it>/hanzod`. */
  hanzonodeStateDir: string;
  /** --hanzod-state-dir: used as given, nothing asked. */
  override?: string;
}

export async function chooseHanzodStateDir(o: ChooseOptions): Promise<HanzodStateChoice> {
  if (o.override !== undefined) {
    const stateDir = resolve(o.override);
    return { stateDir, legacyState: existsSync(join(stateDir, STATE_DB_RELATIVE)), reason: "given by --hanzod-state-dir" };
  }
  const own = join(o.hanzonodeStateDir, "hanzod");
  const fallback = (why: string): HanzodStateChoice => ({ stateDir: own, legacyState: false, reason: `hanzod's own, not the legacy's: ${why}; reads of the legacy's state are refused (--hanzod-state-dir to point it at one)` });
  if (!isLoopbackUrl(o.legacyUrl)) return fallback(`the legacy at ${o.legacyUrl} is not on this machine's loopback`);
  let configPath: string;
  try {
    configPath = await legacyConfigPath(o.legacyUrl, o.token);
  } catch (err) {
    return fallback(`could not ask the legacy for its config path (${(err as Error).message.slice(0, 200)})`);
  }
  try {
    const found = legacyStateDirFor(configPath);
    return { ...found, legacyState: true, reason: `the legacy's, found from its config.get path ${configPath}` };
  } catch (err) {
    return fallback(`the legacy reports its config at ${configPath}, but ${(err as Error).message.replace(/^hanzod: /, "")}`);
  }
}
