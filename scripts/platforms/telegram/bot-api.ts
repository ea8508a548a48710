/**
 * A Telegram Bot API stand-in for tests, on loopback: what a gateway reaches through
 * `channels.telegram.apiRoot` (start-up probe, the long-poll worker, sends, edits, chat actions).
 * Updates are pushed by the test and served by `getUpdates` in order, honouring `offset` (an update
 * below the offset is confirmed and forgotten, as Telegram does) and long-poll `timeout`. Every call is
 * recorded with its params, never with the bot token (it sits in the URL path and is only compared).
 * Faults are scripted per method: the next N calls answer a Bot API error, or stall until released.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { botApiError, botApiOk, defaultResult, messageResult, type BotIdentity } from "./wire.js";
import { readParams } from "./params.js";
import type { TelegramUpdate } from "./updates.js";

/** The longest a `getUpdates` long poll is held, whatever `timeout` asks (keeps a stopping test quick). */
const MAX_POLL_MS = 25_000;

export interface BotApiCall {
  /** 1-based, in arrival order. */
  seq: number;
  method: string;
  params: Record<string, unknown>;
  /** Whether the path's token was this bot's (a call with another token is refused 401 and recorded). */
  authorized: boolean;
  at: number;
}

export interface BotApiFault {
  /** How many of the next calls of the method fail (default 1). */
  times?: number;
  /** A Bot API error answer (default 500 "Internal Server Error")... */
  error?: { status: number; description: string; retryAfterSeconds?: number };
  /** ...or no answer until `release()` / stop. */
  stall?: boolean;
}

export interface FakeTelegramOptions {
  /** The bot's token; tests pass their own throwaway value. */
  token: string;
  bot?: Partial<BotIdentity>;
}

export interface FakeTelegram {
  /** What goes in `channels.telegram.apiRoot`: the root only, no `/bot<token>`. */
  apiRoot: string;
  port: number;
  bot: BotIdentity;
  /** Every call so far, oldest first (live array). */
  readonly calls: readonly BotApiCall[];
  /** Calls of one method, oldest first. */
  callsOf(method: string): BotApiCall[];
  /** Queues an update for `getUpdates` and returns its `update_id`. */
  pushUpdate(update: Omit<TelegramUpdate, "update_id">): number;
  /** Resolves with the first call (already made or still to come) that matches. */
  waitForCall(method: string, match?: (params: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<BotApiCall>;
  /** The offset the client last confirmed through `getUpdates` (0 before any). */
  confirmedOffset(): number;
  fault(method: string, fault: BotApiFault): void;
  /** Answers every stalled call (as a plain success) and stops stalling. */
  release(): void;
  close(): Promise<void>;
}

interface Waiter {
  method: string;
  match: (params: Record<string, unknown>) => boolean;
  resolve: (call: BotApiCall) => void;
}

export async function startFakeTelegram(opts: FakeTelegramOptions): Promise<FakeTelegram> {
  const bot: BotIdentity = { id: 7_000_001, is_bot: true, first_name: "Hanzo Test", username: "hanzo_test_bot", ...opts.bot };
  const calls: BotApiCall[] = [];
  const waiters = new Set<Waiter>();
  const updates: TelegramUpdate[] = [];
  const faults = new Map<string, BotApiFault & { left: number }>();
  const stalled = new Set<ServerResponse>();
  const polls = new Set<() => void>();
  let nextUpdateId = 100_001;
  let offset = 0;
  let nextMessageId = 1;

  const record = (method: string, params: Record<string, unknown>, authorized: boolean): BotApiCall => {
    const call: BotApiCall = { seq: calls.length + 1, method, params, authorized, at: Date.now() };
    calls.push(call);
    for (const w of waiters) {
      if (w.method === method && w.match(params)) {
        waiters.delete(w);
        w.resolve(call);
      }
    }
    return call;
  };

  const pending = (): TelegramUpdate[] => updates.filter((u) => u.update_id >= offset);

  const getUpdates = (params: Record<string, unknown>, res: ServerResponse): void => {
    if (typeof params.offset === "number" && params.offset > offset) offset = params.offset;
    // Telegram forgets what the offset confirmed.
    while (updates.length > 0 && updates[0]!.update_id < offset) updates.shift();
    const limit = typeof params.limit === "number" && params.limit > 0 ? params.limit : 100;
    const now = pending();
    const waitMs = Math.min(MAX_POLL_MS, typeof params.timeout === "number" ? params.timeout * 1000 : 0);
    if (now.length > 0 || waitMs <= 0) {
      botApiOk(res, now.slice(0, limit));
      return;
    }
    let done = false;
    const answer = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      polls.delete(answer);
      if (!res.writableEnded && !res.destroyed) botApiOk(res, pending().slice(0, limit));
    };
    const timer = setTimeout(answer, waitMs);
    polls.add(answer);
    res.once("close", () => {
      done = true;
      clearTimeout(timer);
      polls.delete(answer);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) {
      botApiError(res, 404, "Not Found");
      return;
    }
    const [, token, method] = m as unknown as [string, string, string];
    let params: Record<string, unknown>;
    try {
      params = await readParams(req, url);
    } catch (err) {
      botApiError(res, 400, `Bad Request: ${(err as Error).message}`);
      return;
    }
    const authorized = token === opts.token;
    record(method, params, authorized);
    if (!authorized) {
      botApiError(res, 401, "Unauthorized");
      return;
    }
    const fault = faults.get(method);
    if (fault && fault.left > 0) {
      fault.left -= 1;
      if (fault.stall) {
        stalled.add(res);
        res.once("close", () => stalled.delete(res));
        return;
      }
      const e = fault.error ?? { status: 500, description: "Internal Server Error" };
      botApiError(res, e.status, e.description, e.retryAfterSeconds);
      return;
    }
    switch (method) {
      case "getMe":
        botApiOk(res, bot);
        return;
      case "getUpdates":
        getUpdates(params, res);
        return;
      case "sendMessage":
      case "editMessageText":
      case "sendPhoto":
      case "sendDocument":
      case "sendPoll":
        botApiOk(res, messageResult(method, params, bot, method === "editMessageText" ? Number(params.message_id) : nextMessageId++));
        return;
      default:
        botApiOk(res, defaultResult(method));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) botApiError(res, 500, `Internal Server Error: ${(err as Error).message}`);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    port,
    bot,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    pushUpdate(update) {
      const full = { ...update, update_id: nextUpdateId++ } as TelegramUpdate;
      updates.push(full);
      for (const answer of [...polls]) answer();
      return full.update_id;
    },
    waitForCall(method, match = () => true, timeoutMs = 60_000) {
      const seen = calls.find((c) => c.method === method && match(c.params));
      if (seen) return Promise.resolve(seen);
      return new Promise<BotApiCall>((resolve, reject) => {
        const waiter: Waiter = {
          method,
          match,
          resolve: (call) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no ${method} call within ${timeoutMs} ms (calls so far: ${calls.map((c) => c.method).join(", ") || "none"})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    confirmedOffset: () => offset,
    fault(method, fault) {
      faults.set(method, { ...fault, left: fault.times ?? 1 });
    },
    release() {
      faults.clear();
      for (const res of stalled) if (!res.writableEnded) botApiOk(res, true);
      stalled.clear();
    },
    async close() {
      for (const answer of [...polls]) answer();
      for (const res of stalled) res.destroy();
      stalled.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
