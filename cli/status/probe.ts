/**
 * Which runtime answers at a gateway URL: the legacy, hanzod, or the hanzonode proxy in front of one of
 * them, and the release it reports. One connect, read from the 101 headers and hello-ok only, so the
 * probe costs the target what any client's connect costs.
 */
import { PROXY_MARK_HEADER, RawGatewaySocket, connectParams, type ConnectOptions } from "../../protocol/index.js";

export type Runtime = "legacy" | "hanzod";

export interface ProbeResult {
  /** Who answered the handshake (behind a proxy: the auth owner). */
  runtime: Runtime;
  viaProxy: boolean;
  version: string | undefined;
  buildId: string | undefined;
  protocol: number | undefined;
}

export class ProbeError extends Error {}

const HANZOD_BUILD = /^hanzod-/;

export async function probeGateway(url: string, creds: Pick<ConnectOptions, "token" | "password">, timeoutMs = 10_000): Promise<ProbeResult> {
  let socket: RawGatewaySocket;
  try {
    socket = await RawGatewaySocket.open(url, {}, { handshakeTimeoutMs: timeoutMs });
  } catch (err) {
    throw new ProbeError(`nothing answers a WebSocket upgrade at ${url}: ${(err as Error).message}`);
  }
  try {
    await socket.challenge(timeoutMs).catch(() => {
      throw new ProbeError(`${url} answered the upgrade but sent no connect.challenge within ${timeoutMs} ms: not an OpenClaw gateway`);
    });
    const hello = await socket.request("connect", connectParams(creds), { timeoutMs });
    if (!hello.ok) {
      const e = hello.error as { code?: string; message?: string } | undefined;
      throw new ProbeError(`${url} refused the connect: ${e?.code ?? "error"} ${JSON.stringify(e?.message ?? "")} (check the credential the client config resolves to)`);
    }
    const payload = (hello.payload ?? {}) as { protocol?: unknown; server?: { version?: unknown; buildId?: unknown } };
    const version = typeof payload.server?.version === "string" ? payload.server.version : undefined;
    const buildId = typeof payload.server?.buildId === "string" ? payload.server.buildId : undefined;
    return {
      runtime: buildId !== undefined && HANZOD_BUILD.test(buildId) ? "hanzod" : "legacy",
      viaProxy: socket.upgradeHeaders[PROXY_MARK_HEADER] !== undefined,
      version,
      buildId,
      protocol: typeof payload.protocol === "number" ? payload.protocol : undefined,
    };
  } finally {
    await socket.close();
  }
}
