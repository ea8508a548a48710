/**
 * Raw fixture lines (frames recorded as wire text because their JSON was not canonical) are read by the
 * shared codec: the replay learns a request's id and method from the frame itself, not from the first
 * `"id"` anywhere in the text.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeFrame } from "../../protocol/index.js";
import { replayFixtures } from "../replay.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A target that sends a challenge and answers every request `ok` with an empty payload. */
async function answeringTarget(): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } }));
    ws.on("message", (data) => {
      const d = decodeFrame(data as Buffer);
      if (d.ok && d.frame.type === "req") ws.send(JSON.stringify({ type: "res", id: d.frame.id, ok: true, payload: {} }));
    });
  });
  await new Promise((r) => wss.once("listening", r));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

async function fixtureFile(lines: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hanzonode-replay-raw-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "raw.jsonl");
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return file;
}

const header = {
  kind: "header",
  format: "hanzonode-fixture",
  version: 1,
  openedAt: 0,
  connection: { id: "c1", path: "/", clientAddressClass: "loopback", headers: {} },
  redaction: { gatewayToken: null },
};
const frame = (n: number, dir: "c2s" | "s2c", body: Record<string, unknown>): Record<string, unknown> => ({ kind: "frame", n, dir, at: n, t: n, bytes: 0, ...body });

describe("replay of raw request lines", () => {
  it("ties the answer to the request's own id and method when params carry an `id` of their own first", async () => {
    const target = await answeringTarget();
    // Non-canonical key order: params (with a nested "id") before the request's id.
    const raw = '{"type":"req","params":{"id":"inner"},"id":"r1","method":"health"}';
    const file = await fixtureFile([
      header,
      frame(1, "s2c", { frame: { type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } } }),
      frame(2, "c2s", { raw, encoding: "utf8", malformed: "non-canonical" }),
      frame(3, "s2c", { frame: { type: "res", id: "r1", ok: true, payload: {} } }),
    ]);
    const report = await replayFixtures({ target, token: "t", files: [file], answerTimeoutMs: 10_000, deviations: [] });
    const result = report.results[0]!;
    expect(result.error).toBeUndefined();
    expect(result.framesSent).toBe(1);
    expect(result.exchanges.map((e) => e.method)).toEqual(["health"]);
  });

  it("learns no method from a line the codec refuses (a request without a method)", async () => {
    const target = await answeringTarget();
    const file = await fixtureFile([
      header,
      frame(1, "s2c", { frame: { type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } } }),
      frame(2, "c2s", { raw: '{"type":"req","id":"r1","method":"health"}', encoding: "utf8", malformed: "non-canonical" }),
      frame(3, "s2c", { frame: { type: "res", id: "r1", ok: true, payload: {} } }),
      frame(4, "c2s", { raw: '{"type":"req","id":"r2","note":{"method":"status"}}', encoding: "utf8", malformed: "bad-frame" }),
    ]);
    const report = await replayFixtures({ target, token: "t", files: [file], answerTimeoutMs: 10_000, deviations: [] });
    const result = report.results[0]!;
    expect(result.framesSent).toBe(2);
    expect(result.exchanges.map((e) => e.method)).toEqual(["health"]);
  });
});
