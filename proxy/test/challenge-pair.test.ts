/**
 * The challenge when auth and nodes are owned by different backends: the client gets legacy's challenge
 * verbatim and hanzod verifies a device proof over that same nonce (the proxy asserted it). A client can
 * never assert a nonce itself: its `x-hanzonode-*` headers never pass the proxy, in any configuration.
 * Before a valid connect everything behaves as with the auth owner alone.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { RawGatewaySocket, connectParams } from "../../protocol/raw-client.js";
import { CHALLENGE_NONCE_HEADER, CHALLENGE_PROOF_HEADER, challengeProof, type EventFrame, type Frame } from "../../protocol/index.js";
import { newDeviceKey, signedDevice } from "../../hanzod/test/helpers.js";
import { startProxy, type RunningProxy } from "../index.js";
import { payloadOf, waitFor } from "./ws-client.js";
import { HANZOD_TOKEN, bootIdOf, checklistFile, metricValue, startTestHanzod, type TestHanzod } from "./support.js";

const legacy = inject("legacy");
const SCOPES = ["operator.read"];
const CLIENT = { id: "cli", version: "0.0.0-test", platform: "linux", mode: "cli" };

async function challengeOf(url: string, headers: Record<string, string> = {}): Promise<{ socket: RawGatewaySocket; frame: EventFrame }> {
  const socket = await RawGatewaySocket.open(url, headers);
  const frame = await socket.next((f): f is EventFrame => f.type === "event" && f.event === "connect.challenge");
  return { socket, frame };
}

function nonceOf(f: EventFrame): string {
  return (f.payload as { nonce: string }).nonce;
}

/** What a socket got after sending `first` as its first frame: the answer (if any) and the close. */
async function firstFrameOutcome(url: string, first: string): Promise<{ error: unknown; close: unknown }> {
  const { socket } = await challengeOf(url);
  socket.sendText(first);
  const close = await socket.closed;
  const res = socket.frames.find((f: Frame) => f.type === "res");
  return { error: res?.type === "res" ? (res.error ?? null) : null, close };
}

describe("one challenge for two backends", () => {
  let hanzod: TestHanzod;
  let pairProxy: RunningProxy;
  let hanzodOnlyProxy: RunningProxy;
  const pairFile = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: legacy"].join("\n"));
  const hanzodOnlyFile = checklistFile(["version: 1", "authOwner: hanzod", "nodeOwner: hanzod"].join("\n"));

  beforeAll(async () => {
    hanzod = await startTestHanzod();
    const common = { listenPort: 0, adminPort: 0, legacyUrl: legacy.url, legacyToken: legacy.token, hanzodUrl: hanzod.url, hanzodToken: HANZOD_TOKEN, logLevel: "silent" as const };
    pairProxy = await startProxy({ ...common, checklistPath: pairFile.path });
    hanzodOnlyProxy = await startProxy({ ...common, checklistPath: hanzodOnlyFile.path });
  });
  afterAll(async () => {
    for (const p of [pairProxy, hanzodOnlyProxy]) await p?.close();
    await hanzod?.close();
    for (const f of [pairFile, hanzodOnlyFile]) f.dispose();
  });

  it("the client signs legacy's challenge and hanzod, the auth owner, accepts the device proof", async () => {
    const { socket, frame } = await challengeOf(pairProxy.url);
    try {
      const { nonce, ts } = frame.payload as { nonce: string; ts: number };
      const key = newDeviceKey();
      const device = signedDevice({ key, clientId: CLIENT.id, clientMode: CLIENT.mode, scopes: SCOPES, token: HANZOD_TOKEN, nonce, signedAt: ts });
      const hello = await socket.request("connect", connectParams({ token: HANZOD_TOKEN, scopes: SCOPES, client: CLIENT, device }));
      expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
      // hanzod accepted it: hello-ok carries the auth owner's boot id.
      expect((payloadOf(hello).server as { bootId?: string }).bootId).toBe(await bootIdOf(hanzod.url, HANZOD_TOKEN));
      // Exactly one challenge reached the client.
      expect(socket.events("connect.challenge")).toHaveLength(1);
    } finally {
      await socket.close();
    }
  });

  it("a node-role device connect on the same proxy goes to legacy, which accepts the proof over the same challenge", async () => {
    const { socket, frame } = await challengeOf(pairProxy.url);
    try {
      const { nonce, ts } = frame.payload as { nonce: string; ts: number };
      const node = { id: "node-host", version: "0.0.0-test", platform: "linux", mode: "node" };
      const device = signedDevice({ key: newDeviceKey(), clientId: node.id, clientMode: node.mode, role: "node", scopes: [], token: legacy.token, nonce, signedAt: ts });
      const hello = await socket.request("connect", connectParams({ token: legacy.token, role: "node", scopes: [], client: node, device }));
      expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
      // Legacy's hello: its release build id, not hanzod's.
      expect((payloadOf(hello).server as { buildId?: string }).buildId?.startsWith(`${legacy.version}-release-`)).toBe(true);
      expect(payloadOf(hello).auth).toMatchObject({ role: "node" });
    } finally {
      await socket.close();
    }
  });

  it("a client's own x-hanzonode-challenge-nonce never reaches hanzod, even with a valid proof", async () => {
    const nonce = `client-chosen-${process.pid}-${Date.now()}`;
    const headers = { [CHALLENGE_NONCE_HEADER]: nonce, [CHALLENGE_PROOF_HEADER]: challengeProof(HANZOD_TOKEN, nonce) };
    // Control: the same headers from a trusted address straight to hanzod do set the nonce.
    const direct = await challengeOf(hanzod.url, headers);
    expect(nonceOf(direct.frame)).toBe(nonce);
    await direct.socket.close();
    for (const proxy of [hanzodOnlyProxy, pairProxy]) {
      const via = await challengeOf(proxy.url, headers);
      expect(nonceOf(via.frame)).not.toBe(nonce);
      await via.socket.close();
    }
  });

  it("a first frame that is not a connect gets the auth owner's answer and close, as with hanzod alone", async () => {
    const request = JSON.stringify({ type: "req", id: "early", method: "health", params: {} });
    for (const first of [request, "not json"]) {
      const expected = await firstFrameOutcome(hanzod.url, first);
      expect(await firstFrameOutcome(pairProxy.url, first)).toEqual(expected);
    }
  });

  it("a client that leaves before connecting leaves no connection behind", async () => {
    const { socket } = await challengeOf(pairProxy.url);
    await waitFor(() => socket.frames.length > 0, 5_000, "the challenge");
    await socket.close();
    await expect.poll(() => metricValue(pairProxy.adminPort!, "hanzonode_proxy_open_connections", {}), { timeout: 10_000, interval: 50 }).toBe(0);
  });
});
