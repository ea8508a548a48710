/** The fake Bot API itself: Telegram's envelope, offsets, long polls, faults, and no token in its records. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { directMessage, startFakeTelegram, type FakeTelegram } from "../index.js";

const TOKEN = "111:fake-bot-api-test";
const ADA = { id: 42, is_bot: false, first_name: "Ada" };

async function call(tg: FakeTelegram, method: string, params: Record<string, unknown> = {}, token = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${tg.apiRoot}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("fake Telegram Bot API", () => {
  let tg: FakeTelegram;
  beforeEach(async () => {
    tg = await startFakeTelegram({ token: TOKEN });
  });
  afterEach(async () => {
    await tg.close();
  });

  it("answers getMe with the bot's identity and refuses another token with Telegram's 401", async () => {
    expect(await call(tg, "getMe")).toEqual({ status: 200, body: { ok: true, result: tg.bot } });
    expect(await call(tg, "getMe", {}, "999:wrong")).toEqual({ status: 401, body: { ok: false, error_code: 401, description: "Unauthorized" } });
    expect(tg.calls.map((c) => c.authorized)).toEqual([true, false]);
    expect(JSON.stringify(tg.calls)).not.toContain("fake-bot-api-test");
  });

  it("serves updates from the offset on and forgets what the offset confirmed", async () => {
    const first = tg.pushUpdate(directMessage(ADA, "one"));
    const second = tg.pushUpdate(directMessage(ADA, "two"));
    const all = await call(tg, "getUpdates", { timeout: 0 });
    expect((all.body.result as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([first, second]);
    const rest = await call(tg, "getUpdates", { offset: second, timeout: 0 });
    expect((rest.body.result as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([second]);
    // Going back below a confirmed offset does not bring an update back.
    const again = await call(tg, "getUpdates", { offset: first, timeout: 0 });
    expect((again.body.result as Array<{ update_id: number }>).map((u) => u.update_id)).toEqual([second]);
    expect(tg.confirmedOffset()).toBe(second);
  });

  it("holds a long poll until an update arrives", async () => {
    const poll = call(tg, "getUpdates", { timeout: 20 });
    await tg.waitForCall("getUpdates");
    const id = tg.pushUpdate(directMessage(ADA, "wake up"));
    const answered = await poll;
    expect((answered.body.result as Array<{ update_id: number; message: { text: string } }>).map((u) => [u.update_id, u.message.text])).toEqual([[id, "wake up"]]);
  });

  it("answers sends with a Message carrying a numeric message_id, and records their params", async () => {
    const sent = await call(tg, "sendMessage", { chat_id: "42", text: "hi" });
    const result = sent.body.result as { message_id: number; chat: { id: number; type: string }; text: string };
    expect(result).toMatchObject({ chat: { id: 42, type: "private" }, text: "hi" });
    expect(typeof result.message_id).toBe("number");
    const edited = await call(tg, "editMessageText", { chat_id: 42, message_id: result.message_id, text: "hi there" });
    expect((edited.body.result as { message_id: number }).message_id).toBe(result.message_id);
    expect(await call(tg, "sendChatAction", { chat_id: 42, action: "typing" })).toEqual({ status: 200, body: { ok: true, result: true } });
    expect((await tg.waitForCall("sendMessage", (p) => p.text === "hi")).params).toEqual({ chat_id: "42", text: "hi" });
  });

  it("reads URL-encoded forms as Telegram does, numbers and JSON fields decoded", async () => {
    const res = await fetch(`${tg.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ chat_id: "-100777", text: "group hi", reply_markup: JSON.stringify({ inline_keyboard: [] }) }),
    });
    expect(res.status).toBe(200);
    expect(tg.callsOf("sendMessage")[0]!.params).toEqual({ chat_id: -100777, text: "group hi", reply_markup: { inline_keyboard: [] } });
  });

  it("plays scripted faults: an error for the next N calls, then a stall released on demand", async () => {
    tg.fault("sendMessage", { times: 2, error: { status: 429, description: "Too Many Requests: retry after 1", retryAfterSeconds: 1 } });
    for (let i = 0; i < 2; i++) {
      expect(await call(tg, "sendMessage", { chat_id: 42, text: "x" })).toEqual({
        status: 429,
        body: { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } },
      });
    }
    expect((await call(tg, "sendMessage", { chat_id: 42, text: "x" })).status).toBe(200);
    tg.fault("getMe", { stall: true });
    let answered = false;
    const stalled = call(tg, "getMe").then((r) => {
      answered = true;
      return r;
    });
    await tg.waitForCall("getMe");
    expect(answered).toBe(false);
    tg.release();
    expect((await stalled).status).toBe(200);
  });
});
