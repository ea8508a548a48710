export { startFakeTelegram, type BotApiCall, type BotApiFault, type FakeTelegram, type FakeTelegramOptions } from "./bot-api.js";
export { directMessage, groupMessage, type TelegramChat, type TelegramMessage, type TelegramUpdate, type TelegramUser } from "./updates.js";
