/**
 * Interim answers through the proxy. Only a method that can answer twice (protocol's mayAnswerTwice) is
 * held open by an `accepted` answer until its final one; any other method's one answer settles its
 * request, even when it says `status: "accepted"` (the legacy's progress-card refresh does), so the
 * request is counted and forgotten instead of waiting forever for a second answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import { startProxy, type RunningProxy } from "../index.js";

/** A backend whose `agent` answers twice (accepted, then final) and whose `health` answers once, "accepted". */
async function twoPhaseBackend(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "interim", ts: Date.now() } }));
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { id: string; method: string };
      const res = (payload: unknown): void => ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload }));
      if (f.method === "connect") res({ type: "hello-ok", protocol: 4, auth: { role: "operator", scopes: ["operator.read", "operator.write"] } });
      else if (f.method === "agent") {
        res({ runId: "r1", status: "accepted" });
        res({ runId: "r1", status: "ok" });
      } else res({ status: "accepted" });
    });
  });
  await new Promise((r) => wss.once("listening", r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

async function counted(metricsUrl: string, method: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split("\n").find((l) => l.startsWith(`hanzonode_proxy_requests_total{method="${method}",backend="legacy",outcome="ok"}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("interim answers through the proxy", () => {
  let backend: Awaited<ReturnType<typeof twoPhaseBackend>>;
  let proxy: RunningProxy;

  beforeAll(async () => {
    backend = await twoPhaseBackend();
    proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: backend.url, logLevel: "silent" });
  });
  afterAll(async () => {
    await proxy.close();
    await backend.close();
  });

  it("holds agent open after its accepted answer and settles a once-answering method on its accepted answer", async () => {
    const ws = new WebSocket(proxy.url, { perMessageDeflate: false });
    const answers: Array<{ id: string; payload: { status?: string } }> = [];
    let arrived: () => void = () => undefined;
    ws.on("message", (d: Buffer) => {
      const f = JSON.parse(d.toString()) as { type: string; id: string; payload: { status?: string } };
      if (f.type === "event") ws.send(JSON.stringify({ type: "req", id: "c", method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "cli", version: "t", platform: "linux", mode: "cli" }, role: "operator", scopes: ["operator.write"] } }));
      else if (f.id === "c") {
        ws.send(JSON.stringify({ type: "req", id: "1", method: "agent", params: {} }));
        ws.send(JSON.stringify({ type: "req", id: "2", method: "health", params: {} }));
      } else {
        answers.push(f);
        if (answers.length === 3) arrived();
      }
    });
    await new Promise<void>((r) => (arrived = r));
    ws.close();
    // Both of agent's answers reach the client, in order, and the request is counted once, at its final.
    expect(answers.filter((a) => a.id === "1").map((a) => a.payload.status)).toEqual(["accepted", "ok"]);
    expect(answers.filter((a) => a.id === "2").map((a) => a.payload.status)).toEqual(["accepted"]);
    expect(await counted(proxy.metricsUrl!, "agent")).toBe(1);
    // health cannot answer twice: its one answer settled it (before, it stayed pending, never counted).
    expect(await counted(proxy.metricsUrl!, "health")).toBe(1);
  });
});
