import { describe, expect, it } from "vitest";
import { decodeFrame, decodeJson, encodeFrame, messageByteLength } from "../index.js";

describe("decodeFrame", () => {
  it("decodes the three frame kinds and keeps unknown fields for contract checks", () => {
    const req = decodeFrame('{"type":"req","id":"1","method":"health","x":1}');
    expect(req).toMatchObject({ ok: true, frame: { type: "req", id: "1", method: "health", x: 1 } });
    expect(decodeFrame(Buffer.from('{"type":"res","id":"1","ok":true}'))).toMatchObject({ ok: true, frame: { type: "res" } });
    expect(decodeFrame('{"type":"event","event":"tick","seq":3}')).toMatchObject({ ok: true, frame: { type: "event", seq: 3 } });
  });

  it("names what is wrong with a bad frame", () => {
    expect(decodeFrame("{not json")).toMatchObject({ ok: false, failure: { kind: "not-json" } });
    expect(decodeFrame("[1,2]")).toMatchObject({ ok: false, failure: { kind: "not-object" } });
    expect(decodeFrame('{"type":"req","id":"","method":"x"}')).toMatchObject({ ok: false, failure: { kind: "bad-frame" } });
    expect(decodeFrame('{"type":"res","id":"1"}')).toMatchObject({ ok: false, failure: { kind: "bad-frame", message: expect.stringContaining("ok") } });
    expect(decodeFrame('{"type":"ping"}')).toMatchObject({ ok: false, failure: { message: "unknown frame type: ping" } });
  });

  it("round-trips through encodeFrame and measures bytes as the wire does", () => {
    const frame = { type: "event" as const, event: "tick", payload: { ts: 1, note: "é" } };
    const text = encodeFrame(frame);
    expect(decodeFrame(text)).toEqual({ ok: true, frame });
    expect(messageByteLength(text)).toBe(Buffer.byteLength(text));
    expect(messageByteLength(text)).toBeGreaterThan(text.length);
  });
});

describe("decodeJson", () => {
  it("hands any JSON value back unchecked (shape errors are the server's to answer) and names bad JSON", () => {
    expect(decodeJson('{"type":"req","id":""}')).toEqual({ ok: true, value: { type: "req", id: "" } });
    expect(decodeJson("[1,2]")).toEqual({ ok: true, value: [1, 2] });
    expect(decodeJson("{not json")).toMatchObject({ ok: false, failure: { kind: "not-json" } });
  });

  it("is the step decodeFrame starts with: the same not-json failure for the same text", () => {
    const bad = '{"type":"req",';
    const viaJson = decodeJson(bad);
    const viaFrame = decodeFrame(bad);
    expect(viaJson.ok || viaFrame.ok).toBe(false);
    if (!viaJson.ok && !viaFrame.ok) expect(viaFrame.failure).toEqual(viaJson.failure);
  });
});
