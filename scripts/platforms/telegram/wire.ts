/** Bot API answers in Telegram's envelope: `{ok: true, result}` or `{ok: false, error_code, description}`. */
import type { ServerResponse } from "node:http";

export interface BotIdentity {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function botApiOk(res: ServerResponse, result: unknown): void {
  send(res, 200, { ok: true, result });
}

export function botApiError(res: ServerResponse, status: number, description: string, retryAfterSeconds?: number): void {
  send(res, status, {
    ok: false,
    error_code: status,
    description,
    ...(retryAfterSeconds !== undefined ? { parameters: { retry_after: retryAfterSeconds } } : {}),
  });
}

/** The Message a send or an edit returns: enough of Telegram's shape for a client to read its id back. */
export function messageResult(method: string, params: Record<string, unknown>, bot: BotIdentity, messageId: number): Record<string, unknown> {
  const chatId = params.chat_id;
  const chat = typeof chatId === "number" || (typeof chatId === "string" && /^-?\d+$/.test(chatId))
    ? { id: Number(chatId), type: Number(chatId) < 0 ? "supergroup" : "private" }
    : { id: -1, type: "channel", username: String(chatId ?? "") };
  return {
    message_id: messageId,
    date: Math.floor(Date.now() / 1000),
    ...(method === "editMessageText" ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
    chat,
    from: bot,
    ...(typeof params.text === "string" ? { text: params.text } : {}),
    ...(params.message_thread_id !== undefined ? { message_thread_id: Number(params.message_thread_id) } : {}),
  };
}

/** What a method without a richer stand-in answers: the shapes Telegram gives for these, else `true`. */
export function defaultResult(method: string): unknown {
  switch (method) {
    case "getWebhookInfo":
      return { url: "", has_custom_certificate: false, pending_update_count: 0 };
    case "getMyCommands":
      return [];
    case "getMyName":
      return { name: "Hanzo Test" };
    case "getMyDescription":
      return { description: "" };
    case "getMyShortDescription":
      return { short_description: "" };
    case "getChatMenuButton":
      return { type: "default" };
    default:
      return true;
  }
}
