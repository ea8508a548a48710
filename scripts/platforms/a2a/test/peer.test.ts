/** The fake A2A peer itself: bearer check, a completed task with the scripted artifact, GetTask, records. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startA2aPeer, type A2aPeer } from "../index.js";

const TOKEN = "peer-test-bearer";

async function rpc(peer: A2aPeer, method: string, params: unknown, token = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(peer.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: "r1", method, params }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("fake A2A peer", () => {
  let peer: A2aPeer;
  beforeEach(async () => {
    peer = await startA2aPeer({ token: TOKEN, reply: (t) => `echo ${t}` });
  });
  afterEach(async () => {
    await peer.close();
  });

  it("answers SendMessage with a completed task whose artifact is the scripted reply, and GetTask with it again", async () => {
    const sent = await rpc(peer, "SendMessage", { message: { messageId: "m1", role: "ROLE_USER", contextId: "ctx-1", parts: [{ text: "hello" }] } });
    const task = (sent.body.result as { task: { id: string; contextId: string; status: { state: string }; artifacts: Array<{ parts: Array<{ text: string }> }> } }).task;
    expect(task).toMatchObject({ contextId: "ctx-1", status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "echo hello" }] }] });
    const got = await rpc(peer, "GetTask", { id: task.id });
    expect((got.body.result as { id: string }).id).toBe(task.id);
    expect((await rpc(peer, "GetTask", { id: "nope" })).body.error).toEqual({ code: -32001, message: "Task not found" });
  });

  it("refuses a wrong bearer, records both calls, and never records the bearer", async () => {
    expect((await rpc(peer, "SendMessage", { message: { parts: [{ text: "x" }] } }, "wrong")).status).toBe(401);
    expect((await rpc(peer, "SendMessage", { message: { parts: [{ text: "y" }] } })).status).toBe(200);
    expect(peer.calls.map((c) => c.authorized)).toEqual([false, true]);
    expect(JSON.stringify(peer.calls)).not.toContain(TOKEN);
  });
});
