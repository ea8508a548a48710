/**
 * `hanzonode cutover`: once the gate holds, write the client configuration in which clients attach to
 * hanzod directly (no proxy in the path), record it in the audit log, and say how to return while the
 * legacy still exists. Refuses, listing the blockers, when the gate does not hold.
 */
import { appendAudit } from "../../parity/checklist/index.js";
import { defaultActor } from "../../parity/gates/promote.js";
import { readClientConfig, writeRemoteClientConfig } from "../attach/client-config.js";
import { checkCutover, type CutoverCheck, type CutoverCheckOptions } from "./check.js";

export interface CutoverOptions extends CutoverCheckOptions {
  hanzodUrl: string;
  clientConfigPath: string;
  token?: string;
  who?: string;
  why?: string;
}

export interface CutoverOutcome {
  applied: boolean;
  check: CutoverCheck;
  /** Lines for the operator: what was written and how to return. */
  lines: string[];
}

function previousUrl(path: string): string | undefined {
  try {
    const g = readClientConfig(path).gateway as { mode?: string; port?: number; remote?: { url?: string } } | undefined;
    if (g?.mode === "remote" && g.remote?.url) return g.remote.url;
    return g?.port ? `ws://127.0.0.1:${g.port} (local mode)` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How each client reaches hanzod with that config. The node host does not read gateway.remote.url (its
 * endpoint comes from flags or its own node config); it does take the token from the config in remote mode.
 * The Control UI is hanzod's own HTTP port (hanzod --control-ui-root, hanzod/core/http/control-ui.ts).
 */
function clientLines(hanzodUrl: string, configPath: string): string[] {
  const u = new URL(hanzodUrl);
  const tls = u.protocol === "wss:" ? " --tls" : "";
  const port = u.port || (u.protocol === "wss:" ? "443" : "80");
  const httpUrl = `${u.protocol === "wss:" ? "https" : "http"}://${u.host}`;
  return [
    `node host: OPENCLAW_CONFIG_PATH=${configPath} openclaw node run --host ${u.hostname} --port ${port}${tls}`,
    `control UI: ${httpUrl}/ (served by hanzod from the legacy's installed assets; sign in with the gateway token)`,
  ];
}

export async function cutover(o: CutoverOptions): Promise<CutoverOutcome> {
  const check = await checkCutover(o);
  if (!check.ok) return { applied: false, check, lines: ["refused: the legacy cannot go yet:", ...check.blockers.map((b) => `  - ${b}`)] };
  const before = previousUrl(o.clientConfigPath);
  const written = writeRemoteClientConfig(o.clientConfigPath, { url: o.hanzodUrl, transport: "direct", ...(o.token ? { token: o.token } : {}) });
  await appendAudit(o.stateDir, {
    when: new Date(o.now ?? Date.now()).toISOString(),
    who: o.who ?? defaultActor(),
    why: o.why ?? `cutover: gate held for ${check.seen.length} method(s) seen since ${new Date(o.since).toISOString()}`,
    file: o.clientConfigPath,
    target: "cutover",
    old: before ?? null,
    new: o.hanzodUrl,
    forced: false,
  });
  const lines = [
    `cutover: clients configured by ${written.path} now attach to hanzod directly at ${o.hanzodUrl} (gateway.mode remote, transport direct); recorded in the audit log`,
    ...clientLines(o.hanzodUrl, written.path),
    "to return while the legacy still exists:",
    written.backup ? `  cp ${written.backup} ${written.path}   # the previous client config${before ? ` (${before})` : ""}` : `  remove gateway.mode/gateway.remote from ${written.path}`,
    "  start the proxy again in front of the legacy and route back with: hanzonode parity rollback <method|--phase N|--owner auth|nodes>",
  ];
  return { applied: true, check, lines };
}
