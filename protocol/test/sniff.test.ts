/** The hot-path peek: what it reads agrees with the full decoder, and it gives up rather than guess. */
import { describe, expect, it } from "vitest";
import { decodeFrame } from "../codec.js";
import { mayAnswerTwice } from "../methods.js";
import { mayBeInterim, mayHaveIdempotencyKey, mayHaveTimeoutMs, sniffRequest, sniffResponse } from "../sniff.js";

const b = (text: string): Buffer => Buffer.from(text);

describe("sniffRequest / sniffResponse", () => {
  it("reads id and method / ok from the usual key order and gives up on anything else", () => {
    expect(sniffRequest(b('{"type":"req","id":"1:abc","method":"health","params":{}}'))).toEqual({ id: "1:abc", method: "health" });
    expect(sniffRequest(b('{"id":"1","type":"req","method":"health"}'))).toBeUndefined();
    expect(sniffRequest(b('{"type":"req","id":"a\\"b","method":"health"}'))).toBeUndefined();
    expect(sniffRequest(b('{"type":"req","id":"","method":"health"}'))).toBeUndefined();
    expect(sniffRequest(b('{"type":"req","id":"1","method":""}'))).toBeUndefined();
    expect(sniffResponse(b('{"type":"res","id":"7","ok":false,"error":{}}'))).toEqual({ id: "7", ok: false });
    expect(sniffResponse(b('{"type":"res","id":"7","ok":true,"payload":{}}'))).toEqual({ id: "7", ok: true });
    expect(sniffResponse(b('{"type":"res","id":"7","payload":{},"ok":true}'))).toBeUndefined();
    expect(sniffResponse(b('{"type":"event","event":"tick"}'))).toBeUndefined();
  });

  it("never disagrees with decodeFrame: whatever it reads, the full decode reads the same", () => {
    const frames = [
      '{"type":"req","id":"1:abc","method":"health","params":{"id":"inner","method":"other"}}',
      '{"type":"req","id":"x","method":"chat.send","params":{"text":"\\"quoted\\""}}',
      '{"type":"req","id":"é-1","method":"status"}',
      '{"type":"res","id":"7","ok":false,"error":{"code":"INVALID_REQUEST","message":"no"}}',
      '{"type":"res","id":"8","ok":true,"payload":{"ok":false}}',
    ];
    for (const text of frames) {
      const d = decodeFrame(text);
      expect(d.ok, text).toBe(true);
      if (!d.ok) continue;
      const f = d.frame;
      if (f.type === "req") expect(sniffRequest(b(text))).toEqual({ id: f.id, method: f.method });
      else if (f.type === "res") expect(sniffResponse(b(text))).toEqual({ id: f.id, ok: f.ok });
    }
  });
});

describe("pre-checks before a decode", () => {
  it("mayAnswerTwice: agent and the two-phase approval requests, any method outside the contract, nothing else", () => {
    for (const m of ["agent", "exec.approval.request", "plugin.approval.request", "some.plugin.method"]) expect(mayAnswerTwice(m), m).toBe(true);
    for (const m of ["health", "chat.send", "agent.wait", "sessions.list", "exec.approval.resolve"]) expect(mayAnswerTwice(m), m).toBe(false);
  });

  it("mayBeInterim is true for an accepted answer and false for an answer without that status", () => {
    expect(mayBeInterim(b('{"type":"res","id":"7","ok":true,"payload":{"runId":"r","status":"accepted"}}'))).toBe(true);
    expect(mayBeInterim(b('{"type":"res","id":"7","ok":true,"payload":{"runId":"r","status":"ok"}}'))).toBe(false);
  });

  it("mayHaveTimeoutMs / mayHaveIdempotencyKey over-approximate: true wherever the quoted name appears, false when it does not", () => {
    expect(mayHaveTimeoutMs(b('{"type":"req","id":"1","method":"agent.wait","params":{"timeoutMs":5000}}'))).toBe(true);
    expect(mayHaveTimeoutMs(b('{"type":"req","id":"1","method":"health","params":{"note":"timeoutMs"}}'))).toBe(true);
    expect(mayHaveTimeoutMs(b('{"type":"req","id":"1","method":"health"}'))).toBe(false);
    expect(mayHaveIdempotencyKey(b('{"type":"req","id":"1","method":"chat.send","params":{"idempotencyKey":"k"}}'))).toBe(true);
    expect(mayHaveIdempotencyKey(b('{"type":"req","id":"1","method":"chat.send","params":{}}'))).toBe(false);
  });
});
