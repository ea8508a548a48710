/**
 * The recorded legacy runs (fixtures/runs) seen as per-run event sequences: the skeleton hanzod must
 * reproduce is in them, in order, and the facts fixtures/runs/README.md states hold for the recording.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { REPO_ROOT } from "../../../protocol/index.js";
import { readFixture } from "../../../protocol/fixture-format.js";
import { missingInOrder, runSequence } from "../index.js";

const load = (name: string) => readFixture(join(REPO_ROOT, "fixtures", "runs", name));
const framesOf = (name: string) => load(name).frames.flatMap((f) => (f.frame ? [f.frame] : []));
type Payload = Record<string, unknown>;
const messageText = (p: Payload): string => ((p.message as { content?: { text?: string }[] } | undefined)?.content ?? []).map((c) => c.text ?? "").join("");

describe("runSequence", () => {
  it("labels events by stream/state/phase, keeps only the run's, collapses repeats", () => {
    const ev = (event: string, payload: Payload) => ({ type: "event", event, payload });
    const seq = runSequence(
      [
        ev("chat", { runId: "r1", state: "delta" }),
        ev("chat", { runId: "r1", state: "delta" }),
        ev("chat", { runId: "r2", state: "delta" }),
        ev("agent", { runId: "r1", stream: "lifecycle", data: { phase: "end" } }),
        ev("session.message", { sessionKey: "s", message: { role: "user" } }),
        ev("task", { action: "upserted", task: { runId: "r1", status: "completed" } }),
        { type: "res", id: "1", ok: true, payload: { runId: "r1" } },
      ],
      { runId: "r1", sessionKey: "s" },
    );
    expect(seq).toEqual(["chat:delta", "agent:lifecycle:end", "session.message:user", "task:upserted:completed"]);
  });
});

describe("recorded legacy runs (fixtures/runs)", () => {
  it("chat.send: ack first, then status phases, lifecycle, streamed deltas, usage, lifecycle end, final", () => {
    const frames = framesOf("run.chat-send.gateway-client.jsonl");
    const ack = frames.findIndex((f) => f.type === "res" && (f.payload as Payload | undefined)?.status === "started");
    const firstRunEvent = frames.findIndex((f) => f.type === "event" && (f.payload as Payload | undefined)?.runId === "fixture-chat-1");
    expect(ack).toBeGreaterThan(0);
    expect(ack).toBeLessThan(firstRunEvent);
    const seq = runSequence(frames, { runId: "fixture-chat-1", sessionKey: "agent:main:fixture-chat" });
    const skeleton = ["session.message:user", "chat:status:preparing_workspace", "agent:run_status:preparing_workspace", "chat:status:preparing_context", "agent:run_status:preparing_context", "agent:lifecycle:start", "chat:status:starting_model", "agent:run_status:starting_model", "agent:assistant", "chat:delta", "agent:usage", "session.message:assistant", "agent:lifecycle:finishing", "agent:lifecycle:end", "chat:final"];
    expect(missingInOrder(seq, skeleton), seq.join("\n")).toBeUndefined();
    expect(seq.at(-1)).toBe("chat:final");
  });

  it("deltas are cumulative and coalesced: the last delta already holds the final text", () => {
    const chat = framesOf("run.chat-send.gateway-client.jsonl").filter((f) => f.event === "chat" && (f.payload as Payload).runId === "fixture-chat-1").map((f) => f.payload as Payload);
    const deltas = chat.filter((p) => p.state === "delta");
    const final = chat.find((p) => p.state === "final") as Payload;
    expect(messageText(final)).toBe("Hello from the test model, in seven small pieces.");
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.length).toBeLessThanOrEqual(7);
    const texts = deltas.map(messageText);
    texts.forEach((t, i) => i > 0 && expect(t.startsWith(texts[i - 1] as string)).toBe(true));
    expect(texts.at(-1)).toBe(messageText(final));
    const seqs = chat.map((p) => p.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("chat.send with a tool call: tool and item events between the two model steps, then the answer", () => {
    const seq = runSequence(framesOf("run.chat-send-tool.gateway-client.jsonl"), { runId: "fixture-tool-1", sessionKey: "agent:main:fixture-tool" });
    const skeleton = ["agent:lifecycle:start", "agent:usage", "agent:tool:start", "agent:item:start", "agent:command_output:delta", "agent:tool:result", "agent:item:end", "agent:assistant", "chat:delta", "agent:lifecycle:end", "chat:final"];
    expect(missingInOrder(seq, skeleton), seq.join("\n")).toBeUndefined();
  });

  it("agent (CLI): accepted, task upserts, a last chat delta after lifecycle end, final, then the second res", () => {
    const frames = framesOf("run.agent.cli.jsonl");
    const answers = frames.filter((f) => f.type === "res" && (f.payload as Payload | undefined)?.runId === "fixture-agent-1" || (f.type === "res" && (f.payload as Payload | undefined)?.status === "ok"));
    expect(answers.map((f) => (f.payload as Payload).status)).toEqual(["accepted", "ok"]);
    expect(answers[0]?.id).toBe(answers[1]?.id);
    const seq = runSequence(frames, { runId: "fixture-agent-1" });
    expect(missingInOrder(seq, ["task:upserted:running", "agent:lifecycle:start", "agent:assistant", "agent:lifecycle:end", "chat:delta", "chat:final", "task:upserted:completed"]), seq.join("\n")).toBeUndefined();
    expect(seq.some((l) => l.startsWith("chat:status") || l.startsWith("session.message"))).toBe(false);
  });
});
