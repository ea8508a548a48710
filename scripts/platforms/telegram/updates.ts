/**
 * Updates a test pushes into the fake Bot API, in Telegram's shapes: a private message from a user and
 * a group message, with the fields a gateway reads (ids, chat, sender, date, text, entities for mentions).
 */
export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  language_code?: string;
}

export interface TelegramChat {
  id: number;
  type: "private" | "group" | "supergroup" | "channel";
  title?: string;
  first_name?: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: TelegramChat;
  from?: TelegramUser;
  text?: string;
  entities?: Array<{ type: string; offset: number; length: number }>;
  message_thread_id?: number;
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
  edited_message?: TelegramMessage;
  [kind: string]: unknown;
}

let nextMessageId = 5_000;

/** A user's direct message to the bot. */
export function directMessage(from: TelegramUser, text: string): Omit<TelegramUpdate, "update_id"> {
  return {
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: from.id, type: "private", first_name: from.first_name, ...(from.username ? { username: from.username } : {}) },
      from,
      text,
    },
  };
}

/** A message in a group; `mention` puts `@<bot>` in front of the text with its mention entity. */
export function groupMessage(chat: { id: number; title: string }, from: TelegramUser, text: string, mention?: string): Omit<TelegramUpdate, "update_id"> {
  const prefix = mention ? `@${mention} ` : "";
  return {
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat.id, type: "supergroup", title: chat.title },
      from,
      text: prefix + text,
      ...(mention ? { entities: [{ type: "mention", offset: 0, length: mention.length + 1 }] } : {}),
    },
  };
}
