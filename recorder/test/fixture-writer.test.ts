import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FixtureWriter } from "../fixture-writer.js";
import { frameWireData, parseFixture } from "../../protocol/fixture-format.js";

const TOKEN = "recording-token-9d8c7b6a";
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hanzonode-writer-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openConn(w: FixtureWriter, id = "c1") {
  return w.open({
    connectionId: id,
    clientAddress: "127.0.0.1",
    path: "/",
    headers: { authorization: `Bearer ${TOKEN}`, "user-agent": "test-agent", "sec-websocket-key": "abc" },
    openedAt: Date.now(),
  });
}

describe("FixtureWriter", () => {
  it("has every frame on disk as soon as the tap returns, before any close or flush", () => {
    const w = new FixtureWriter({ outDir: dir, gatewayToken: TOKEN });
    const tap = openConn(w);
    const file = w.files()[0] as string;
    tap.frame("s2c", JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 } }), false, "legacy", Date.now());
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(2);
    tap.frame("c2s", Buffer.from(JSON.stringify({ type: "req", id: "1", method: "connect", params: { auth: { token: TOKEN } } })), false, "legacy", Date.now());
    // No close, no writer.close(): this is what a crash would leave behind.
    const fx = parseFixture(readFileSync(file, "utf8"));
    expect(fx.frames).toHaveLength(2);
    expect(fx.close).toBeUndefined();
    expect(readFileSync(file, "utf8")).not.toContain(TOKEN);
    expect((fx.frames[1]?.frame?.params as { auth: { token: string } }).auth.token).toBe("<redacted:gateway-token>");
  });

  it("writes a header without secrets or addresses, and a close line", async () => {
    const w = new FixtureWriter({ outDir: dir, gatewayToken: TOKEN });
    const tap = openConn(w);
    tap.close(1008, `unauthorized ${TOKEN}`, "upstream", Date.now());
    const text = readFileSync(w.files()[0] as string, "utf8");
    const fx = parseFixture(text);
    expect(fx.header.connection.clientAddressClass).toBe("loopback");
    expect(fx.header.connection.headers).toEqual({ "user-agent": "test-agent", authorization: "Bearer <redacted:gateway-token>" });
    expect(fx.close).toMatchObject({ code: 1008, by: "upstream" });
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("127.0.0.1");
    expect(w.openConnections).toBe(0);
    await w.close();
  });

  it("records malformed, non-canonical and binary frames so they replay byte-exact", () => {
    const w = new FixtureWriter({ outDir: dir });
    const tap = openConn(w);
    const notJson = "this is not json {";
    const spaced = '{ "type": "req", "id": "1", "method": "health" }';
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    const badUtf8 = Buffer.from([0x7b, 0xff, 0x7d]);
    tap.frame("c2s", notJson, false, undefined, Date.now());
    tap.frame("c2s", spaced, false, undefined, Date.now());
    tap.frame("c2s", binary, true, undefined, Date.now());
    tap.frame("c2s", badUtf8, false, undefined, Date.now());
    const fx = parseFixture(readFileSync(w.files()[0] as string, "utf8"));
    expect(fx.frames.map((f) => f.malformed)).toEqual(["not-json", "non-canonical", undefined, "not-json"]);
    expect(fx.frames[2]?.binary).toBe(true);
    expect(frameWireData(fx.frames[0]!).data).toBe(notJson);
    expect(frameWireData(fx.frames[1]!).data).toBe(spaced);
    expect(Buffer.compare(frameWireData(fx.frames[2]!).data as Buffer, binary)).toBe(0);
    expect(Buffer.compare(frameWireData(fx.frames[3]!).data as Buffer, badUtf8)).toBe(0);
    expect(fx.frames.map((f) => f.bytes)).toEqual([notJson.length, spaced.length, 5, 3]);
  });

  it("keeps one file per connection and a failing file never throws into the relay", () => {
    const errors: string[] = [];
    const w = new FixtureWriter({ outDir: dir, onError: (id) => errors.push(id) });
    const a = openConn(w, "a");
    const b = openConn(w, "b");
    a.frame("c2s", '{"type":"req","id":"1","method":"health"}', false, undefined, Date.now());
    b.frame("c2s", '{"type":"req","id":"2","method":"status"}', false, undefined, Date.now());
    expect(w.files()).toHaveLength(2);
    const gone = join(dir, "gone");
    const bad = new FixtureWriter({ outDir: gone, onError: (id) => errors.push(id) });
    rmSync(gone, { recursive: true });
    let c: ReturnType<typeof openConn> | undefined;
    expect(() => {
      c = bad.open({ connectionId: "x", clientAddress: "10.0.0.1", path: "/", headers: {}, openedAt: Date.now() });
      c.frame("c2s", "x", false, undefined, Date.now());
      c.close(1000, "", "client", Date.now());
    }).not.toThrow();
    expect(errors).toEqual(["x"]);
  });
});
