/**
 * Issue 16: a large frame is judged on the intake worker, so a hostile one (tens of thousands of keys)
 * never parses on the main thread, and its answer, and the order of every answer on the connection,
 * are what the inline path gives.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { judgeFrame, PARAMS_LEFT_BEHIND_CHARS, withDeferredParams } from "../core/intake/verdict.js";
import { OFF_THREAD_MIN_BYTES, OffThreadJudge, sharedFrameCopy, WORKER_COLLECT_AFTER_BYTES, WORKER_YOUNG_GENERATION_MB } from "../core/intake/off-thread.js";
import { invalidFrameError } from "../core/request-frame.js";
import { INBOUND_BUDGET_BYTES, InboundBudget, inboundBudget } from "../core/intake/inbound-budget.js";
import WebSocket from "ws";
import { connectFrame, isRes, openRaw, useTestHanzod, type Frame } from "./helpers.js";

const hz = useTestHanzod();

function keys(n: number): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  return o;
}

describe("judging a frame (the same function runs inline and on the worker)", () => {
  it("sorts JSON, frame shape and params the way the pipeline answers them", () => {
    expect(judgeFrame("{nope", "2026.9.6")).toEqual({ kind: "not-json" });

    const extra = { type: "req", id: "x1", method: "health", extra: keys(3) };
    expect(judgeFrame(JSON.stringify(extra), "2026.9.6")).toEqual({ kind: "invalid-frame", ...invalidFrameError(extra) });

    const refused = judgeFrame(JSON.stringify({ type: "req", id: "x2", method: "logs.tail", params: { ...keys(2), limit: 1 } }), "2026.9.6");
    expect(refused).toMatchObject({ kind: "request", paramsShipped: false, frame: { type: "req", id: "x2", method: "logs.tail" }, prechecked: { compat: "2026.9.6", verdict: { valid: false } } });
    expect(refused.kind === "request" && "params" in refused.frame).toBe(false);

    const accepted = judgeFrame(JSON.stringify({ type: "req", id: "x3", method: "logs.tail", params: { limit: 5 } }), "2026.9.6");
    expect(accepted).toMatchObject({ kind: "request", paramsShipped: true, frame: { params: { limit: 5 } }, prechecked: { verdict: { valid: true } } });

    // Accepted but large (system-presence has no params definition: any params pass): left behind as well.
    const bigText = JSON.stringify({ type: "req", id: "x5", method: "system-presence", params: keys(40_000) });
    expect(bigText.length).toBeGreaterThanOrEqual(PARAMS_LEFT_BEHIND_CHARS);
    const big = judgeFrame(bigText, "2026.9.6");
    expect(big).toMatchObject({ kind: "request", paramsShipped: false, frame: { type: "req", id: "x5", method: "system-presence" }, prechecked: { compat: "2026.9.6", verdict: undefined } });
    expect(big.kind === "request" && "params" in big.frame).toBe(false);

    // A name outside the method table is not looked up (nor remembered), and its params stay behind.
    expect(judgeFrame(JSON.stringify({ type: "req", id: "x4", method: "no.such", params: { a: 1 } }), "2026.9.6")).toEqual({ kind: "request", paramsShipped: false, frame: { type: "req", id: "x4", method: "no.such" }, prechecked: undefined });
  });

  it("params left behind are read from the frame's own text when a stage asks for them", () => {
    const text = JSON.stringify({ type: "req", id: "d1", method: "m", params: { deep: [1, 2] } });
    let reads = 0;
    const frame = withDeferredParams({ type: "req", id: "d1", method: "m" }, () => {
      reads++;
      return text;
    });
    expect(reads).toBe(0);
    expect(frame.params).toEqual({ deep: [1, 2] });
    expect(frame.params).toEqual({ deep: [1, 2] });
    expect(reads).toBe(1);
  });
});

const byRefusal = (id: string): boolean => !["s1", "b4", "s3"].includes(id);

describe("the intake worker", () => {
  it("judges as the inline path does, and a frame it still holds when it goes is judged inline, not lost", async () => {
    const text = JSON.stringify({ type: "req", id: "j1", method: "logs.tail", params: keys(5_000) });
    const bytes = Buffer.from(text);
    const judge = new OffThreadJudge();
    try {
      expect(await judge.judge(bytes, () => text, "2026.9.6")).toEqual(judgeFrame(text, "2026.9.6"));
      const held = judge.judge(bytes, () => text, "2026.9.1");
      await judge.close();
      expect(await held).toEqual(judgeFrame(text, "2026.9.1"));
      // And it starts again for the next frame.
      expect(await judge.judge(bytes, () => text, "2026.9.6")).toEqual(judgeFrame(text, "2026.9.6"));
    } finally {
      await judge.close();
    }
  });

  it("params nested deeper than a structured clone can walk come back left behind, without losing the worker", async () => {
    // JSON.parse takes 50,000 nested objects; postMessage's clone recurses and overflows its stack on them.
    const depth = 50_000;
    const text = `{"type":"req","id":"d2","method":"health","params":{"a":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}`;
    const warn = vi.fn();
    const judge = new OffThreadJudge({ warn } as unknown as ConstructorParameters<typeof OffThreadJudge>[0]);
    let inlineReads = 0;
    try {
      const verdict = await judge.judge(Buffer.from(text), () => {
        inlineReads++;
        return text;
      }, "2026.9.6");
      // Judged by the worker (no inline fallback, no worker failure), params not shipped.
      expect(warn).not.toHaveBeenCalled();
      expect(inlineReads).toBe(0);
      expect(verdict).toEqual({ kind: "request", paramsShipped: false, frame: { type: "req", id: "d2", method: "health" }, prechecked: { compat: "2026.9.6", verdict: undefined } });
      // A stage that reads them gets them from the frame's text, whole.
      if (verdict.kind !== "request") throw new Error("not a request");
      let node = withDeferredParams(verdict.frame, () => text).params as { a?: unknown };
      let levels = 0;
      while (typeof node === "object" && node !== null && "a" in node) {
        node = node.a as { a?: unknown };
        levels++;
      }
      expect(levels).toBe(depth + 1);
      // The same worker judges the next frame.
      const next = JSON.stringify({ type: "req", id: "n1", method: "logs.tail", params: keys(5_000) });
      expect(await judge.judge(Buffer.from(next), () => next, "2026.9.6")).toEqual(judgeFrame(next, "2026.9.6"));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      await judge.close();
    }
  });
});

describe("the intake worker's memory (issue 16: RSS within 2x of idle under the fuzz)", () => {
  it("a frame is copied once, into memory the worker reads in place; the worker's young generation is capped, its old one is not", async () => {
    const text = JSON.stringify({ type: "req", id: "m1", method: "system-presence", params: keys(20_000) });
    const bytes = Buffer.from(text);
    const half = Math.floor(bytes.length / 2);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    for (const data of [bytes, [bytes.subarray(0, half), bytes.subarray(half)], arrayBuffer]) {
      const whole = sharedFrameCopy(data);
      expect(whole.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(whole.equals(bytes)).toBe(true);
    }
    const source = Buffer.from(text);
    const whole = sharedFrameCopy(source);
    source.fill(0x20);
    expect(whole.toString("utf8")).toBe(text);

    const warn = vi.fn();
    const judge = new OffThreadJudge({ warn } as unknown as ConstructorParameters<typeof OffThreadJudge>[0]);
    let inlineReads = 0;
    try {
      expect(judge.limits()).toBeUndefined();
      const verdicts = await Promise.all([whole, sharedFrameCopy(bytes)].map((b) => judge.judge(b, () => {
        inlineReads++;
        return b.toString("utf8");
      }, "2026.9.6")));
      for (const v of verdicts) expect(v).toEqual(judgeFrame(text, "2026.9.6"));
      expect(inlineReads).toBe(0);
      expect(warn).not.toHaveBeenCalled();
      // Not handed over (a transfer would detach it): the main thread still reads the frame for deferred params.
      expect(whole.byteLength).toBe(bytes.length);
      expect(whole.toString("utf8")).toBe(text);
      expect(judge.limits()?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
      // V8's default old generation: a cap there would hand a 25 MiB frame of keys to the main thread.
      expect(judge.limits()?.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(1024);
      // The worker collects itself after 2 MiB of heap growth: at 8 MiB it held 30-35 MB of hanzod's RSS
      // under the fuzz, enough to take the peak past 2x idle (README, issue 16). A guard on the measured
      // bound, not a measurement: the worker's own heap cannot be read from here on Node 20.
      expect(WORKER_COLLECT_AFTER_BYTES).toBeLessThanOrEqual(2 * 1024 * 1024);
    } finally {
      await judge.close();
    }
  });
});

describe("large frames through hanzod", () => {
  afterEach(() => vi.restoreAllMocks());

  it("are never parsed on the main thread, and every answer comes in order with the inline path's text", async () => {
    const s = await openRaw(hz.url);
    s.send(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.read"], auth: { token: hz.token } }));
    expect(await s.next(isRes("c1"))).toMatchObject({ ok: true });

    // Load the logs domain first: a domain's first call resolves later than an eager one's, whatever the path.
    s.send({ type: "req", id: "w1", method: "logs.tail", params: { limit: 1 } });
    await s.next(isRes("w1"));

    const frameRefusal = invalidFrameError({ type: "req", id: "b2", method: "health", extra: 1 }).error;
    const parse = vi.spyOn(JSON, "parse");
    const big = {
      keysInParams: JSON.stringify({ type: "req", id: "b1", method: "logs.tail", params: keys(40_000) }),
      keysInFrame: JSON.stringify({ type: "req", id: "b2", method: "health", extra: keys(40_000) }),
      unknown: JSON.stringify({ type: "req", id: "b3", method: "no.such", params: keys(20_000) }),
      valid: JSON.stringify({ type: "req", id: "b4", method: "health", params: { pad: "x".repeat(2 * OFF_THREAD_MIN_BYTES) } }),
      notJson: `{"type":"req","id":"b5",${" ".repeat(OFF_THREAD_MIN_BYTES)}`,
    };
    for (const text of Object.values(big)) expect(text.length).toBeGreaterThanOrEqual(OFF_THREAD_MIN_BYTES);
    // Small frames between the large ones: each must wait for the large one sent before it.
    s.sendText(big.keysInParams);
    s.send({ type: "req", id: "s1", method: "health" });
    s.sendText(big.keysInFrame);
    s.sendText(big.notJson);
    s.send({ type: "req", id: "s2", method: "logs.tail", params: { k0: 0 } });
    s.sendText(big.unknown);
    s.sendText(big.valid);
    s.send({ type: "req", id: "s3", method: "health" });
    s.send({ type: "req", id: "s4", method: "no.such", params: { k0: 0 } });
    await s.next(isRes("s4"));

    const answers = s.frames.filter((f): f is Frame & { id: string } => f.type === "res" && f.id !== "c1" && f.id !== "w1");
    // Refusals are answered as they start, `health` a turn later: each kind keeps the order it was sent in.
    const order = answers.map((f) => f.id);
    expect(order.filter((id) => byRefusal(id))).toEqual(["b1", "b2", "s2", "b3", "s4"]);
    expect(order.filter((id) => !byRefusal(id))).toEqual(["s1", "b4", "s3"]);
    const byId = new Map(answers.map((f) => [f.id, f]));
    // The same words as small frames get inline: the first unknown key, nothing echoed beyond it.
    expect(byId.get("b1")?.error).toEqual(byId.get("s2")?.error);
    expect(byId.get("b2")?.error).toEqual(frameRefusal);
    expect(byId.get("b3")?.error).toEqual(byId.get("s4")?.error);
    expect(byId.get("b3")?.error).toMatchObject({ message: expect.stringMatching(/scope|unknown method/) });
    expect(byId.get("b4")).toMatchObject({ ok: true });
    expect(byId.get("b4")?.payload).toEqual(byId.get("s3")?.payload);

    const largeOnMain = parse.mock.calls.filter(([text]) => typeof text === "string" && text.length >= OFF_THREAD_MIN_BYTES);
    expect(largeOnMain).toHaveLength(0);
    s.close();
  });
});

describe("the inbound budget (issue 16: large frames held one budget's worth at a time across the process)", () => {
  it("grants in the order asked, always one holder when none holds, and a frame already here is counted, not refused", () => {
    const budget = new InboundBudget(100);
    const [a, b, c, d] = [{}, {}, {}, {}];
    const granted: string[] = [];
    expect(budget.request(a, 500, () => granted.push("a"))).toBe(true); // alone: larger than the budget passes
    expect(budget.request(b, 10, () => granted.push("b"))).toBe(false);
    expect(budget.request(c, 10, () => granted.push("c"))).toBe(false);
    expect(budget.request(b, 10, () => granted.push("b again"))).toBe(false); // one wait per holder
    expect([budget.bytesInFlight, budget.waitingCount]).toEqual([500, 2]);
    budget.release(a);
    expect(granted).toEqual(["b", "c"]);
    expect([budget.bytesInFlight, budget.waitingCount]).toEqual([20, 0]);
    // A waiter does not let a later, smaller request pass it.
    expect(budget.request(d, 90, () => granted.push("d"))).toBe(false);
    expect(budget.request(a, 1, () => granted.push("a2"))).toBe(false);
    expect(budget.force(a, 70)).toBe(true); // a frame read whole while waiting: its wait ends, it counts
    expect(budget.bytesInFlight).toBe(90);
    budget.release(b);
    budget.release(c);
    expect(granted).toEqual(["b", "c"]);
    budget.release(a);
    expect(granted).toEqual(["b", "c", "d"]);
    budget.release(d);
    expect([budget.bytesInFlight, budget.waitingCount]).toEqual([0, 0]);
  });

  it("through hanzod: a second large frame's socket is paused while the first holds the budget, other clients are served, and both are answered in turn", async () => {
    const client = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(hz.url, { perMessageDeflate: false });
        ws.on("error", reject);
        ws.on("message", (d) => {
          const f = JSON.parse(d.toString()) as Frame;
          if (f.event === "connect.challenge") ws.send(JSON.stringify(connectFrame({ client: { id: "cli", version: "1", platform: "linux", mode: "cli" }, scopes: ["operator.read"], auth: { token: hz.token } })));
          else if (f.type === "res" && f.id === "c1") (f.ok === true ? resolve(ws) : reject(new Error(JSON.stringify(f))));
        });
      });
    const answer = (ws: WebSocket, id: string): Promise<Frame> =>
      new Promise((resolve) => {
        ws.on("message", (d) => {
          const f = JSON.parse(d.toString()) as Frame;
          if (f.type === "res" && f.id === id) resolve(f);
        });
      });
    /** A masked text frame's header (mask 0: the payload goes as is) announcing `length` bytes. */
    const header = (length: number): Buffer => {
      const h = Buffer.alloc(14);
      h[0] = 0x81;
      h[1] = 0x80 | 127;
      h.writeBigUInt64BE(BigInt(length), 2);
      return h; // the last 4 bytes: the zero mask
    };
    const health = (id: string, bytes: number): Buffer => {
      const head = `{"type":"req","id":"${id}","method":"health","params":{"pad":"`;
      const tail = `"}}`;
      return Buffer.from(head + "x".repeat(bytes - head.length - tail.length) + tail);
    };
    const raw = (ws: WebSocket): { write(b: Buffer): void } => (ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
    const [a, b, c] = await Promise.all([client(), client(), client()]);
    try {
      const big = health("a1", INBOUND_BUDGET_BYTES + 1024);
      const second = health("b1", 2 * OFF_THREAD_MIN_BYTES);
      const aAnswered = answer(a, "a1");
      const bAnswered = answer(b, "b1");
      raw(a).write(Buffer.concat([header(big.length), big.subarray(0, 1000)]));
      await vi.waitFor(() => expect(inboundBudget.bytesInFlight).toBe(big.length));
      raw(b).write(Buffer.concat([header(second.length), second.subarray(0, 1000)]));
      await vi.waitFor(() => expect(inboundBudget.waitingCount).toBe(1));
      // A client with small frames is not held up by either.
      c.send(JSON.stringify({ type: "req", id: "h1", method: "health" }));
      expect(await answer(c, "h1")).toMatchObject({ ok: true });
      expect(inboundBudget.waitingCount).toBe(1);
      raw(b).write(second.subarray(1000));
      raw(a).write(big.subarray(1000));
      expect(await aAnswered).toMatchObject({ ok: true });
      expect(await bAnswered).toMatchObject({ ok: true });
      await vi.waitFor(() => expect([inboundBudget.bytesInFlight, inboundBudget.waitingCount]).toEqual([0, 0]));
    } finally {
      for (const ws of [a, b, c]) ws.terminate();
    }
  });
});
