/**
 * Tests drive the real @openclaw/gateway-client through the one driver the fixture recorder uses
 * (scripts/fixtures/gateway-client-driver.mjs), under the legacy's Node 24, so every part exercises
 * the client the same way.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../protocol/index.js";

export const GATEWAY_CLIENT_DRIVER = join(REPO_ROOT, "scripts", "fixtures", "gateway-client-driver.mjs");

export interface GatewayClientPlan {
  /** install.gatewayClientDir */
  clientDir: string;
  url: string;
  /** Shared gateway token for the first connection. */
  token?: string;
  scopes?: string[];
  mode?: string;
  clientName?: string;
  platform?: string;
  /** Connect with a fresh Ed25519 device identity. */
  device?: boolean;
  /** Client capabilities announced in connect (e.g. "tool-events"). */
  caps?: string[];
  /** `until`: after the answer, wait for an event with these top-level payload values; `expectFinal`: the client's own option. */
  calls?: { method: string; params?: unknown; expectFinal?: boolean; until?: { event: string; payload?: Record<string, unknown> } }[];
  /** After the calls, connect again without the shared token, on the device token issued, and repeat them. */
  reconnectWithDeviceToken?: boolean;
  /** Print a line describing each connection's hello-ok. */
  reportHello?: boolean;
}

export type CallLine =
  | { method: string; ok: true; answeredBy: string | null; payloadOk: boolean | null; payload?: unknown; until?: unknown }
  | { method: string; ok: false; message: string; code?: string; detailsCode?: string };

export interface HelloLine {
  connection: number;
  authScopes?: string[];
  hasDeviceToken: boolean;
  storedTokens: number;
  serverVersion?: string;
}

export interface GatewayClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The driver's output lines, in order. */
  lines: (CallLine | HelloLine)[];
}

/** Runs the driver to completion; killed (SIGKILL) when it outlives `timeoutMs`. */
export function runGatewayClient(nodeBin: string, plan: GatewayClientPlan, timeoutMs = 60_000): Promise<GatewayClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBin, [GATEWAY_CLIENT_DRIVER, JSON.stringify(plan)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (err) => (clearTimeout(timer), reject(err)));
    child.once("close", (code) => {
      clearTimeout(timer);
      try {
        const lines = stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as CallLine | HelloLine);
        resolve({ code, stdout, stderr, lines });
      } catch {
        reject(new Error(`gateway-client driver printed a line that is not JSON (exit ${String(code)})\n${stdout}\n${stderr}`));
      }
    });
  });
}
