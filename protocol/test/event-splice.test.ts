/**
 * The proxy renumbers an event's seq by splicing the digits (sniffEvent + withSeq) instead of decoding
 * the frame, setting seq and encoding it again. The two must agree on every frame: the sniff reads the
 * same name and seq as the decoder or gives up (the proxy then takes the decode path), and the spliced
 * bytes mean the same frame as the re-encoded one, byte for byte when the upstream wrote canonical JSON
 * (JSON.stringify output, as both backends do). Checked over every recorded event and over shapes made
 * to fool a peek: seq inside the payload, whitespace, escapes and unicode, other key orders.
 *
 * Not covered, by design: bytes that are not JSON at all. The decoder rejects them; the sniff reads only
 * the front and the back of a frame and cannot tell, like sniffResponse (backends are trusted to send JSON).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../codec.js";
import { frameWireData, readFixture } from "../fixture-format.js";
import type { EventFrame } from "../frames.js";
import { REPO_ROOT } from "../index.js";
import { sniffEvent, withSeq } from "../sniff.js";

/** New seq values to splice: shorter, equal and longer digit strings than the old one. */
function newSeqs(old: number): number[] {
  return [0, 1, old, old + 1, old + 9, old * 10 + 7, 123_456_789_012_345];
}

/** Checks one frame both ways; returns whether the sniff took it (false: the proxy decodes it instead). */
function checkEquivalent(text: string): boolean {
  const bytes = Buffer.from(text);
  const sniffed = sniffEvent(bytes);
  const decoded = decodeFrame(bytes);
  if (sniffed === undefined) return false;
  expect(decoded.ok, text).toBe(true);
  if (!decoded.ok) return true;
  const frame = decoded.frame as EventFrame;
  expect(frame.type, text).toBe("event");
  expect(sniffed.event, text).toBe(frame.event);
  expect(sniffed.seq, text).toBe(frame.seq);
  const canonical = JSON.stringify(JSON.parse(text)) === text;
  for (const seq of newSeqs(sniffed.seq)) {
    // What the proxy did before: set the decoded frame's seq and encode it.
    const reencoded = encodeFrame({ ...frame, seq });
    const spliced = withSeq(bytes, sniffed, seq);
    // Same frame, same key order (JSON.stringify of the parsed splice), and the same bytes when canonical.
    expect(JSON.stringify(JSON.parse(spliced.toString("utf8"))), text).toBe(reencoded);
    if (canonical) expect(spliced.toString("utf8"), text).toBe(reencoded);
  }
  return true;
}

function recordedEvents(): string[] {
  const out: string[] = [];
  const dirs = [join(REPO_ROOT, "fixtures", "runs"), ...readdirSync(join(REPO_ROOT, "fixtures", "recorded")).map((r) => join(REPO_ROOT, "fixtures", "recorded", r))];
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".jsonl")) continue;
      for (const f of readFixture(join(dir, name)).frames) {
        if (f.dir !== "s2c") continue;
        const { data, isBinary } = frameWireData(f);
        const text = typeof data === "string" ? data : data.toString("utf8");
        if (!isBinary && text.startsWith('{"type":"event"')) out.push(text);
      }
    }
  }
  return out;
}

describe("event seq: splice vs decode and re-encode", () => {
  it("agrees on every recorded event, and takes the fast path for every one with a seq", () => {
    const events = recordedEvents();
    expect(events.length).toBeGreaterThan(50);
    let withSeqCount = 0;
    for (const text of events) {
      const hasSeq = typeof (JSON.parse(text) as { seq?: unknown }).seq === "number";
      if (hasSeq) withSeqCount++;
      // Every recorded event with a seq is one the proxy no longer parses; events without one (the
      // challenge) are decoded, as before.
      expect(checkEquivalent(text), text.slice(0, 120)).toBe(hasSeq);
    }
    expect(withSeqCount).toBeGreaterThan(20);
  });

  it("agrees on adversarial shapes (or gives up and leaves them to the decoder)", () => {
    const taken: Array<[string, boolean]> = [
      // seq only inside the payload: there is no top-level seq to renumber.
      ['{"type":"event","event":"x","payload":{"seq":5}}', false],
      ['{"type":"event","event":"x","payload":{"a":1,"seq":5}}', false],
      ['{"type":"event","event":"x","payload":{"q":{"seq":1,"stateVersion":{"a":1}}}}', false],
      ['{"type":"event","event":"x","payload":{"q":1,"seq":2,"stateVersion":{"a":1}}}', false],
      ['{"type":"event","event":"x","payload":[{"seq":3}]}', false],
      // seq inside the payload and at the top: the top-level one.
      ['{"type":"event","event":"x","payload":{"seq":5},"seq":7}', true],
      ['{"type":"event","event":"x","payload":{"seq":5,"stateVersion":{"a":1}},"seq":7,"stateVersion":{"presence":3,"health":12}}', true],
      // Strings that end like a seq member.
      ['{"type":"event","event":"x","payload":"a,\\"seq\\":9}"}', false],
      ['{"type":"event","event":"x","payload":1,"a\\",\\"seq":5}', false],
      ['{"type":"event","event":"x","payload":{"k":"\\\\"},"seq":5}', true],
      ['{"type":"event","event":"x","payload":{},"k\\"":{"seq":4},"seq":6}', true],
      // Whitespace: inside the payload the splice keeps it (same frame); around the seq, the decoder.
      ['{"type":"event","event":"x","payload":{ "a" : [ 1, 2 ] } ,"seq":5}', true],
      ['{"type":"event","event":"x","payload":{},"seq" : 5}', false],
      ['{"type":"event","event":"x","payload":{},"seq":5 }', false],
      ['{"type":"event","event":"x","payload":{},"seq":5}\n', false],
      ['{ "type":"event","event":"x","payload":{},"seq":5}', false],
      // Unicode: raw in the name and the payload (fast path), escaped (payload: fast, name: decoder).
      ['{"type":"event","event":"chät.é","payload":{"t":"日本語 🎉"},"seq":5}', true],
      ['{"type":"event","event":"x","payload":{"t":"\\u00e9\\ud83c\\udf89"},"seq":5}', true],
      ['{"type":"event","event":"\\u0078","payload":{},"seq":5}', false],
      // Key orders other than the backends': the decoder.
      ['{"event":"x","type":"event","payload":{},"seq":5}', false],
      ['{"type":"event","event":"x","seq":5,"payload":{}}', false],
      ['{"type":"event","payload":{},"event":"x","seq":5}', false],
      ['{"type":"event","event":"x","seq":5}', true],
      ['{"type":"event","event":"x","payload":null,"seq":0}', true],
      // A repeated seq reads as the last, as JSON.parse reads it (and keeps the first one's place).
      ['{"type":"event","event":"x","seq":1,"payload":{},"seq":2}', true],
      // seq values that are not plain unsigned integers: the decoder.
      ['{"type":"event","event":"x","payload":{},"seq":-1}', false],
      ['{"type":"event","event":"x","payload":{},"seq":1.5}', false],
      ['{"type":"event","event":"x","payload":{},"seq":1e3}', false],
      ['{"type":"event","event":"x","payload":{},"seq":"5"}', false],
      ['{"type":"event","event":"x","payload":{},"seq":1234567890123456}', false],
      // stateVersion shapes: flat unsigned counters only.
      ['{"type":"event","event":"x","payload":{},"seq":5,"stateVersion":{}}', true],
      ['{"type":"event","event":"x","payload":{},"seq":5,"stateVersion":{"a":"1"}}', false],
      ['{"type":"event","event":"x","payload":{},"seq":5,"stateVersion":{"a":{"b":1}}}', false],
      ['{"type":"event","event":"x","payload":{},"seq":5,"other":{"a":1}}', false],
      ['{"type":"event","event":"x","payload":{},"seq":5,"stateVersion":{"a\\"":1}}', false],
      // Not an event the decoder accepts.
      ['{"type":"event","event":"","payload":{},"seq":5}', false],
      ['{"type":"res","id":"1","ok":true,"seq":5}', false],
    ];
    for (const [text, fast] of taken) {
      expect(() => JSON.parse(text), text).not.toThrow();
      expect(checkEquivalent(text), text).toBe(fast);
    }
  });
});
