/**
 * Issue 18's offline channel proof, legacy side: the real legacy gateway with its Telegram channel pointed
 * at the fake Bot API on loopback (`channels.telegram.apiRoot`), an A2A peer on loopback, and its agent at
 * the project's model server. The scripted conversation the hanzod side must later reproduce: an
 * allowlisted sender's DM, a stranger's DM under `pairing` (code, list, approve, then served), a group
 * message with and without a mention, bad input (a malformed update, a Bot API that fails a send), and
 * A2A both ways (a peer's SendMessage in, with a wrong and a right bearer; `send` out to a peer).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRaw, type RawGatewaySocket } from "../../../protocol/index.js";
import { skipLegacyOnly } from "../../../test/releases-under-test.js";
import { startLegacyGateway, type LegacyGateway } from "../../legacy/index.js";
import { startModelServer, type ModelServer } from "../../model-server/index.js";
import { messageText, startA2aPeer, type A2aPeer } from "../a2a/index.js";
import { directMessage, groupMessage, startFakeTelegram, type FakeTelegram, type TelegramUser } from "../telegram/index.js";

const TOKEN = "424242:hanzonode-offline-telegram";
/** Throwaway bearers for the A2A peer: the one it presents to the gateway, the one the gateway presents to it. */
const A2A_INBOUND = "a2a-inbound-test-bearer";
const A2A_OUTBOUND = "a2a-outbound-test-bearer";
const ADA: TelegramUser = { id: 42, is_bot: false, first_name: "Ada", username: "ada" };
const STRANGER: TelegramUser = { id: 77, is_bot: false, first_name: "Sam", username: "sam" };
const GROUP = { id: -100777, title: "Ops room" };

const text = (p: Record<string, unknown>): string => (typeof p.text === "string" ? p.text : "");
const toChat = (chat: number, includes: string) => (p: Record<string, unknown>) => String(p.chat_id) === String(chat) && text(p).includes(includes);

describe.skipIf(skipLegacyOnly)("legacy gateway + fake Telegram Bot API + fake A2A peer, offline", () => {
  let tg: FakeTelegram;
  let peer: A2aPeer;
  let models: ModelServer;
  let legacy: LegacyGateway;
  let operator: RawGatewaySocket;

  beforeAll(async () => {
    tg = await startFakeTelegram({ token: TOKEN });
    peer = await startA2aPeer({ token: A2A_OUTBOUND });
    models = await startModelServer();
    legacy = await startLegacyGateway({
      channels: true,
      modelServer: { baseUrl: models.baseUrl, modelId: "hanzo-test" },
      config: {
        channels: {
          telegram: {
            enabled: true,
            botToken: TOKEN,
            apiRoot: tg.apiRoot,
            dmPolicy: "pairing",
            allowFrom: [String(ADA.id)],
            groupPolicy: "open",
            groups: { [String(GROUP.id)]: { requireMention: true } },
            // The stand-in is on loopback, which the legacy's fetch guard treats as a private network.
            network: { dangerouslyAllowPrivateNetwork: true },
          },
          a2a: { enabled: true, peers: { hermes: { token: A2A_INBOUND, url: peer.url, outboundToken: A2A_OUTBOUND } } },
        },
      },
    });
    operator = (await connectRaw(legacy.url, { token: legacy.token, scopes: ["operator.admin"] })).socket;
    // The channel is up once its long poll is waiting.
    await tg.waitForCall("getUpdates", (p) => typeof p.timeout === "number" && p.timeout > 0, 120_000);
  });

  afterAll(async () => {
    await operator?.close();
    await legacy?.stop();
    await tg?.close();
    await peer?.close();
    await models?.close();
  });

  it("probes the bot and long-polls the Bot API root it was given, never with the token in a record", () => {
    const methods = tg.calls.map((c) => c.method);
    expect(methods[0]).toBe("getMe");
    expect(methods).toContain("getUpdates");
    expect(tg.calls.every((c) => c.authorized)).toBe(true);
    expect(JSON.stringify(tg.calls)).not.toContain(TOKEN.split(":")[1]);
  });

  it("answers an allowlisted sender's DM with the model's reply, shows typing, and confirms the update", async () => {
    const before = models.completions().length;
    const id = tg.pushUpdate(directMessage(ADA, "ping from ada"));
    const reply = await tg.waitForCall("sendMessage", toChat(ADA.id, "ping from ada"));
    expect(models.completions().length).toBe(before + 1);
    const typing = tg.callsOf("sendChatAction").find((c) => String(c.params.chat_id) === String(ADA.id));
    expect(typing?.params.action).toBe("typing");
    expect(typing!.seq).toBeLessThan(reply.seq);
    await tg.waitForCall("getUpdates", (p) => typeof p.offset === "number" && p.offset > id);
    expect(tg.confirmedOffset()).toBeGreaterThan(id);
  });

  it("gives a stranger a pairing code instead of a turn, lists the request, and serves the sender once approved", async () => {
    const before = models.completions().length;
    tg.pushUpdate(directMessage(STRANGER, "let me in"));
    const codeMessage = await tg.waitForCall("sendMessage", (p) => String(p.chat_id) === String(STRANGER.id));
    const code = /\b([A-HJ-NP-Z2-9]{8})\b/.exec(text(codeMessage.params))?.[1];
    expect(code, text(codeMessage.params)).toBeDefined();
    expect(models.completions().length).toBe(before);

    const listed = await operator.request("channels.pairing.list", { channel: "telegram" });
    expect(listed.ok, JSON.stringify(listed.error)).toBe(true);
    const requests = (listed.payload as { requests: Array<Record<string, unknown>> }).requests;
    const request = requests.find((r) => r.senderId === String(STRANGER.id));
    expect(request, JSON.stringify(requests)).toBeDefined();

    const approved = await operator.request("channels.pairing.approve", { channel: "telegram", accountId: String(request!.accountId), requestId: String(request!.requestId) });
    expect(approved.ok, JSON.stringify(approved.error)).toBe(true);
    expect(approved.payload).toMatchObject({ requestId: request!.requestId, senderId: String(STRANGER.id), notification: "not-requested" });

    tg.pushUpdate(directMessage(STRANGER, "thanks, now answer"));
    await tg.waitForCall("sendMessage", toChat(STRANGER.id, "thanks, now answer"));
    expect(models.completions().length).toBe(before + 1);
  });

  it("ignores a group message without a mention and answers one that mentions the bot", async () => {
    const before = models.completions().length;
    tg.pushUpdate(groupMessage(GROUP, ADA, "chatter nobody asked about"));
    tg.pushUpdate(groupMessage(GROUP, ADA, "what is up", tg.bot.username));
    await tg.waitForCall("sendMessage", toChat(GROUP.id, "what is up"));
    // Updates are taken in order, so the unmentioned one was decided before the mentioned one was answered.
    expect(models.completions().length).toBe(before + 1);
    // The reply may quote the unmentioned message as group history; it must not have been answered itself.
    expect(tg.callsOf("sendMessage").filter((c) => String(c.params.chat_id) === String(GROUP.id))).toHaveLength(1);
  });

  it("puts DMs in the agent's main session and the group in a session of its own", async () => {
    const listed = await operator.request("sessions.list", {});
    expect(listed.ok, JSON.stringify(listed.error)).toBe(true);
    const keys = (listed.payload as { sessions: Array<{ key: string }> }).sessions.map((s) => s.key);
    // dmScope "main" (the default): every DM shares the agent's main session; a group gets its own.
    expect(keys.sort()).toEqual(["agent:main:main", `agent:main:telegram:group:${GROUP.id}`]);
  });

  it("skips a malformed update and still answers the next one", async () => {
    tg.pushUpdate({ message: { message_id: 1, date: 0 } as never });
    tg.pushUpdate(directMessage(ADA, "after the bad one"));
    await tg.waitForCall("sendMessage", toChat(ADA.id, "after the bad one"));
  });

  it("retries a send the Bot API rate-limited, after its retry_after, and sends it once", async () => {
    tg.fault("sendMessage", { times: 1, error: { status: 429, description: "Too Many Requests: retry after 1", retryAfterSeconds: 1 } });
    tg.pushUpdate(directMessage(ADA, "through the rate limit"));
    await tg.waitForCall("sendMessage", (p) => text(p).includes("through the rate limit") && tg.callsOf("sendMessage").filter((c) => text(c.params).includes("through the rate limit")).length >= 2);
    const attempts = tg.callsOf("sendMessage").filter((c) => text(c.params).includes("through the rate limit"));
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it("does not retry a send the Bot API failed with a 500 (only transient errors are retried)", async () => {
    tg.fault("sendMessage", { times: 1, error: { status: 500, description: "Internal Server Error" } });
    tg.pushUpdate(directMessage(ADA, "meets a 500"));
    await tg.waitForCall("sendMessage", toChat(ADA.id, "meets a 500"));
    // The next turn in the same chat is answered after the first one's send step has finished.
    tg.pushUpdate(directMessage(ADA, "the turn after"));
    await tg.waitForCall("sendMessage", toChat(ADA.id, "the turn after"));
    expect(tg.callsOf("sendMessage").filter((c) => text(c.params).includes("meets a 500"))).toHaveLength(1);
  });

  describe("A2A", () => {
    const rpc = async (method: string, params: unknown, token: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`${legacy.httpUrl}/a2a/v1`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: "req-1", method, params }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    type Task = { id: string; contextId: string; status: { state: string }; artifacts: Array<{ parts: Array<{ text: string }> }> };

    it("publishes its agent card without auth, naming its JSON-RPC endpoint and one skill per agent", async () => {
      const res = await fetch(`${legacy.httpUrl}/.well-known/agent-card.json`);
      expect(res.status).toBe(200);
      const card = (await res.json()) as { supportedInterfaces: Array<{ url: string; protocolBinding: string }>; skills: Array<{ id: string }> };
      expect(card.supportedInterfaces).toEqual([expect.objectContaining({ url: `${legacy.httpUrl}/a2a/v1`, protocolBinding: "JSONRPC" })]);
      expect(card.skills.map((s) => s.id)).toEqual(["main"]);
    });

    it("refuses a wrong bearer without a turn, and answers a peer's SendMessage with the agent's reply as a completed task", async () => {
      const before = models.completions().length;
      const wrong = await rpc("SendMessage", { message: { messageId: "m-0", role: "ROLE_USER", parts: [{ text: "sneaky" }] } }, "not-the-token");
      expect(wrong).toEqual({ status: 401, body: { error: "Unauthorized; configure channels.a2a.peers with a matching Bearer token" } });
      expect(models.completions().length).toBe(before);

      const sent = await rpc("SendMessage", { message: { messageId: "m-1", role: "ROLE_USER", parts: [{ text: "hello from hermes" }] } }, A2A_INBOUND);
      expect(sent.status).toBe(200);
      const task = (sent.body.result as { task: Task }).task;
      expect(task.status.state).toBe("TASK_STATE_COMPLETED");
      expect(task.artifacts[0]!.parts[0]!.text).toContain("hello from hermes");
      expect(models.completions().length).toBe(before + 1);
      const polled = await rpc("GetTask", { id: task.id }, A2A_INBOUND);
      expect(polled.body.result).toMatchObject({ id: task.id, contextId: task.contextId, status: { state: "TASK_STATE_COMPLETED" } });
    });

    it("sends to a configured peer with its outbound bearer, in the peer's stable context", async () => {
      const sent = await operator.request("send", { to: "a2a:hermes", channel: "a2a", message: "hello hermes", idempotencyKey: "a2a-out-1" });
      expect(sent.ok, JSON.stringify(sent.error)).toBe(true);
      expect(sent.payload).toMatchObject({ runId: "a2a-out-1", channel: "a2a" });
      const call = await peer.waitForCall("SendMessage");
      expect(call.authorized).toBe(true);
      expect(messageText(call.params.message)).toBe("hello hermes");
      expect(call.params).toMatchObject({ message: { role: "ROLE_USER", contextId: "ctx-oc-hermes" }, configuration: { returnImmediately: true } });
      expect(JSON.stringify(peer.calls)).not.toContain(A2A_OUTBOUND);
    });
  });
});
