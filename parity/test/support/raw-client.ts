/**
 * The parity tests' operator client: the shared raw protocol client (`protocol/raw-client.ts`),
 * connected as a loopback `gateway-client` backend (which keeps its scopes), with each call timed.
 */
import { connectRaw, type ResponseFrame } from "../../../protocol/index.js";

export interface TimedResponse {
  frame: ResponseFrame;
  latencyMs: number;
}

export interface RawClient {
  call(method: string, params?: unknown, timeoutMs?: number): Promise<TimedResponse>;
  close(): Promise<void>;
}

export async function connectRawClient(url: string, token: string, scopes: string[] = ["operator.admin", "operator.read"]): Promise<RawClient> {
  const { socket } = await connectRaw(url, { token, scopes, client: { id: "gateway-client", version: "0.0.0", platform: "linux", mode: "backend" } });
  return {
    async call(method, params, timeoutMs = 30_000) {
      const sentAt = performance.now();
      const frame = await socket.request(method, params, { timeoutMs });
      return { frame, latencyMs: performance.now() - sentAt };
    },
    close: async () => {
      await socket.close();
    },
  };
}
