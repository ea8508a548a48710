/**
 * The test model server, consumed by the official `openai` client: if that client parses what the server
 * sends (SSE chunks, tool-call deltas, usage, error bodies, retries), the wire format is right.
 */
import OpenAI, { APIConnectionError, APIError, RateLimitError, InternalServerError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../index.js";

let server: ModelServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startModelServer();
  client = new OpenAI({ baseURL: server.baseUrl, apiKey: "sk-test-not-a-secret", maxRetries: 0, timeout: 20_000 });
});
afterAll(() => server.close());

const user = (content: string): OpenAI.ChatCompletionMessageParam => ({ role: "user", content });

async function streamText(messages: OpenAI.ChatCompletionMessageParam[]): Promise<{ pieces: string[]; finish: string | null; usage: OpenAI.CompletionUsage | null | undefined }> {
  const stream = await client.chat.completions.create({ model: "hanzo-test", messages, stream: true, stream_options: { include_usage: true } });
  const pieces: string[] = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (c?.delta.content) pieces.push(c.delta.content);
    if (c?.finish_reason) finish = c.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { pieces, finish, usage };
}

describe("model server: answers", () => {
  it("lists its models, and refuses an unknown one with model_not_found", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["hanzo-test"]);
    const err = await client.chat.completions.create({ model: "gpt-nope", messages: [user("hi")] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(404);
    expect((err as APIError).code).toBe("model_not_found");
  });

  it("non-streaming: echoes the last user message, deterministically", async () => {
    const messages = [user("first"), { role: "assistant" as const, content: "Echo: first" }, user("hello   there [[delay:0]]")];
    const a = await client.chat.completions.create({ model: "hanzo-test", messages });
    const b = await client.chat.completions.create({ model: "hanzo-test", messages });
    expect(a.choices[0]?.message.content).toBe("Echo: hello there");
    expect(a.choices[0]?.finish_reason).toBe("stop");
    expect(b.choices[0]?.message.content).toBe(a.choices[0]?.message.content);
    expect(a.usage?.completion_tokens).toBe(3);
  });

  it("streaming: one chunk per word piece, finish 'stop', usage when asked", async () => {
    const r = await streamText([user("[[reply:The quick brown fox.]]")]);
    expect(r.pieces).toEqual(["The", " quick", " brown", " fox."]);
    expect(r.finish).toBe("stop");
    expect(r.usage?.completion_tokens).toBe(4);
  });

  it("[[tokens:N]] streams N words", async () => {
    const r = await streamText([user("[[tokens:200]]")]);
    expect(r.pieces).toHaveLength(200);
    expect(r.pieces.join("").split(" ").at(-1)).toBe("w200");
  });

  it("accepts content-part arrays as the user message", async () => {
    const r = await client.chat.completions.create({ model: "hanzo-test", messages: [{ role: "user", content: [{ type: "text", text: "[[reply:parts " }, { type: "text", text: "work]]" }] }] });
    expect(r.choices[0]?.message.content).toBe("parts work");
  });

  it("records every request, credentials left out", async () => {
    const before = server.requests.length;
    await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[reply:recorded]]")] });
    const rec = server.requests[before];
    expect(rec?.path).toBe("/v1/chat/completions");
    expect(rec?.authorized).toBe(true);
    expect(JSON.stringify(rec)).not.toContain("sk-test-not-a-secret");
    expect((rec?.body as { messages: unknown[] }).messages).toEqual([user("[[reply:recorded]]")]);
    expect(rec?.outcome).toBe("answered");
  });
});

describe("model server: scripted tool calls", () => {
  const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "exec", parameters: { type: "object", properties: { command: { type: "string" } } } } }];

  it("streams a tool call, then answers with the tool's result", async () => {
    const ask = user('run it [[tool:exec {"command":"echo hi"}]]');
    const first = await client.chat.completions.create({ model: "hanzo-test", messages: [ask], tools, stream: true });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of first) {
      const c = chunk.choices[0];
      for (const t of c?.delta.tool_calls ?? []) {
        const slot = calls.get(t.index) ?? { args: "" };
        if (t.id) slot.id = t.id;
        if (t.function?.name) slot.name = t.function.name;
        slot.args += t.function?.arguments ?? "";
        calls.set(t.index, slot);
      }
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(finish).toBe("tool_calls");
    const call = calls.get(0);
    expect(call?.name).toBe("exec");
    expect(JSON.parse(call?.args ?? "")).toEqual({ command: "echo hi" });
    expect(call?.id).toMatch(/^call_[0-9a-f]{8}$/);

    const followUp: OpenAI.ChatCompletionMessageParam[] = [
      ask,
      { role: "assistant", content: null, tool_calls: [{ id: call?.id as string, type: "function", function: { name: "exec", arguments: call?.args as string } }] },
      { role: "tool", tool_call_id: call?.id as string, content: "hi\n" },
    ];
    const r = await streamText(followUp);
    expect(r.pieces.join("")).toBe("Tool exec returned: hi");
    expect(r.finish).toBe("stop");
  });

  it("non-streaming tool call: same id for the same conversation", async () => {
    const messages = [user('[[tool:read {"path":"a.txt"}]]')];
    const a = await client.chat.completions.create({ model: "hanzo-test", messages, tools });
    const b = await client.chat.completions.create({ model: "hanzo-test", messages, tools });
    expect(a.choices[0]?.finish_reason).toBe("tool_calls");
    expect(a.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "read", arguments: '{"path":"a.txt"}' } });
    expect(b.choices[0]?.message.tool_calls?.[0]?.id).toBe(a.choices[0]?.message.tool_calls?.[0]?.id);
  });

  it("a script typo is a 400 that names the problem", async () => {
    const err = await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[tool:exec {not json}]]")] }).catch((e: unknown) => e);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message).toContain("arguments are not JSON");
  });
});

describe("model server: faults", () => {
  it("[[fail:500]] and [[fail:429]] answer OpenAI error bodies the client maps to its error classes", async () => {
    const e500 = await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[fail:500]]")] }).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(InternalServerError);
    expect((e500 as APIError).type).toBe("server_error");
    const e429 = await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[fail:429]]")], stream: true }).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(RateLimitError);
    expect((e429 as APIError).code).toBe("rate_limit_exceeded");
  });

  it("[[fail:429*2 retry-after-ms=1]]: a retrying client gets through on the third request", async () => {
    const retrying = new OpenAI({ baseURL: server.baseUrl, apiKey: "sk-test", maxRetries: 2, timeout: 20_000 });
    const before = server.completions().length;
    const text = "[[fail:429*2 retry-after-ms=1]] [[reply:third time lucky]]";
    const r = await retrying.chat.completions.create({ model: "hanzo-test", messages: [user(text)] });
    expect(r.choices[0]?.message.content).toBe("third time lucky");
    const seen = server.completions().slice(before);
    expect(seen.map((s) => s.status)).toEqual([429, 429, 200]);
  });

  it("[[cut:2]] drops the connection after two content chunks: the client sees a broken stream", async () => {
    const stream = await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[reply:one two three four]] [[cut:2]]")], stream: true });
    const pieces: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    })().catch((e: unknown) => e);
    expect(pieces).toEqual(["one", " two"]);
    expect(err).toBeInstanceOf(Error);
    expect(server.completions().at(-1)?.outcome).toBe("cut");
  });

  it("[[stall]] never answers: the client's timeout ends the request, the server records it stalled", async () => {
    // Long enough that the request surely reaches the server (same process) and is recorded before the
    // client gives up, however loaded the machine; a stalled answer never comes, so the timeout still ends it.
    const impatient = new OpenAI({ baseURL: server.baseUrl, apiKey: "sk-test", maxRetries: 0, timeout: 3000 });
    const err = await impatient.chat.completions.create({ model: "hanzo-test", messages: [user("[[stall]]")], stream: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    const rec = server.completions().at(-1);
    expect(rec?.outcome).toBe("stalled");
  });

  it("[[stall:1]] streams one chunk then hangs until the client aborts", async () => {
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: "hanzo-test", messages: [user("[[reply:first second]] [[stall:1]]")], stream: true }, { signal: ac.signal });
    const pieces: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
        if (pieces.length === 1) ac.abort();
      }
    })().catch((e: unknown) => e);
    // The client library ends the iteration quietly on its own abort.
    expect(err).toBeUndefined();
    expect(pieces).toEqual(["first"]);
    expect(server.completions().at(-1)?.outcome).toBe("stalled");
  });

  it("close() ends stalled responses too, and waitForRequests resolves on arrival", async () => {
    const other = await startModelServer({ models: ["m1"] });
    const c = new OpenAI({ baseURL: other.baseUrl, apiKey: "sk-test", maxRetries: 0, timeout: 60_000 });
    const pending = c.chat.completions.create({ model: "m1", messages: [user("[[stall]]")] }).catch((e: unknown) => e);
    const [rec] = await other.waitForRequests(1);
    expect(rec?.outcome).toBe("stalled");
    await other.close();
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});
