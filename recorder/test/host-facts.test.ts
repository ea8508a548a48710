/**
 * The recorder scrubs the recording machine's host facts at record time: frames a real server (hanzod,
 * in-process, so its presence rows describe this machine) sends with this machine's host name and
 * kernel release are written without them, and the scrubbed fixture compares equal to what was sent
 * under the default rules (only values the rules compare by shape are touched: replay verdicts stay).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { hostname, release, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRaw, type RawGatewaySocket } from "../../protocol/raw-client.js";
import type { EventFrame, Frame, ResponseFrame } from "../../protocol/index.js";
import { parseFixture } from "../../protocol/fixture-format.js";
import { compareAnswers, DEFAULT_RULES } from "../../parity/compare/index.js";
import { FixtureWriter } from "../fixture-writer.js";
import { scrubbedHostFact } from "../host-facts.js";
import { startTestHanzod, type TestHanzod } from "../../hanzod/test/helpers.js";

/** Every string in a value, however deep. */
function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (v === null || typeof v !== "object") return [];
  return (Array.isArray(v) ? v : Object.values(v)).flatMap(strings);
}

describe("host facts scrubbed at record time", () => {
  let hz: TestHanzod;
  let dir: string;
  const sockets: RawGatewaySocket[] = [];
  beforeAll(async () => {
    hz = await startTestHanzod({ compat: "2026.9.6" });
    dir = await mkdtemp(join(tmpdir(), "hanzonode-host-facts-"));
  });
  afterAll(async () => {
    for (const s of sockets) await s.close();
    await hz?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes hello-ok, system-presence and presence frames without this machine's host name or kernel release", async () => {
    const { socket, hello } = await connectRaw(hz.url, { token: hz.token, scopes: ["operator.read"], client: { id: "cli", version: "2026.9.6", platform: "linux", mode: "cli" } });
    sockets.push(socket);
    const listed = await socket.request("system-presence", {});
    // A tracked client joining: hanzod broadcasts presence to the operator above.
    const other = await connectRaw(hz.url, { token: hz.token, scopes: ["operator.read"], client: { id: "test", version: "2026.9.6", platform: "linux", mode: "test" } });
    sockets.push(other.socket);
    const presence = (await socket.next((f): f is EventFrame => f.type === "event" && f.event === "presence")) as EventFrame;

    // What the server sent does carry this machine's facts (otherwise this test would prove nothing).
    const sent: Array<{ req?: { method: string; id: string }; frame: Frame }> = [
      { req: { method: "connect", id: hello.id }, frame: hello },
      { req: { method: "system-presence", id: listed.id }, frame: listed },
      { frame: presence },
    ];
    for (const { frame } of sent) {
      expect(JSON.stringify(frame)).toContain(release());
      expect(strings(frame)).toContain(hostname());
    }

    const writer = new FixtureWriter({ outDir: dir, gatewayToken: hz.token });
    const tap = writer.open({ connectionId: "c1", clientAddress: "127.0.0.1", path: "/", headers: {}, openedAt: Date.now() });
    for (const { req, frame } of sent) {
      if (req) tap.frame("c2s", JSON.stringify({ type: "req", id: req.id, method: req.method, params: {} }), false, "hanzod", Date.now());
      tap.frame("s2c", JSON.stringify(frame), false, "hanzod", Date.now());
    }
    tap.close(1000, "", "client", Date.now());
    await writer.close();

    const text = readFileSync(writer.files()[0]!, "utf8");
    expect(text).not.toContain(release());
    const written = parseFixture(text).frames.filter((f) => f.dir === "s2c").map((f) => f.frame as unknown as Frame);
    expect(written).toHaveLength(3);
    for (const f of written) {
      const values = strings(f);
      expect(values).not.toContain(hostname());
      expect(values.filter((s) => s.includes(release()) || s.startsWith(`Gateway: ${hostname()}`))).toEqual([]);
      expect(values).toContain(scrubbedHostFact("platform"));
    }
    // The rest of each row is as sent: who it is about and why it is there.
    const self = (written[1] as ResponseFrame).payload as Array<Record<string, unknown>>;
    expect(self.find((r) => r.mode === "gateway")).toMatchObject({ reason: "self", host: scrubbedHostFact("host"), version: "2026.9.6" });
    // Same verdicts: under the default rules the scrubbed frames equal what the server sent.
    expect(compareAnswers(hello, written[0], DEFAULT_RULES, { method: "connect" })).toEqual([]);
    expect(compareAnswers(listed, written[1], DEFAULT_RULES, { method: "system-presence" })).toEqual([]);
    expect(compareAnswers(presence, written[2], DEFAULT_RULES)).toEqual([]);
  });

  it("leaves frames without host facts alone, and a client's own connect request as sent", () => {
    const writer = new FixtureWriter({ outDir: join(dir, "plain") });
    const tap = writer.open({ connectionId: "c2", clientAddress: "127.0.0.1", path: "/", headers: {}, openedAt: Date.now() });
    const connect = { type: "req", id: "1", method: "connect", params: { client: { id: "cli", version: "1", platform: `linux ${release()}`, mode: "cli" } } };
    const health = { type: "res", id: "2", ok: true, payload: { ok: true, host: hostname() } };
    tap.frame("c2s", JSON.stringify(connect), false, undefined, Date.now());
    tap.frame("c2s", JSON.stringify({ type: "req", id: "2", method: "health" }), false, undefined, Date.now());
    tap.frame("s2c", JSON.stringify(health), false, undefined, Date.now());
    const frames = parseFixture(readFileSync(writer.files()[0]!, "utf8")).frames.map((f) => f.frame);
    // Client frames are what replay sends; a method whose answer has no host facts in the rules is untouched.
    expect(frames).toEqual([connect, { type: "req", id: "2", method: "health" }, health]);
  });
});
