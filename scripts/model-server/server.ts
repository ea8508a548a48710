/**
 * An OpenAI-compatible model server for tests: `/v1/chat/completions` (streaming SSE and not),
 * `/v1/models`. Loopback only, on a free port; every request is recorded (without its credentials).
 * What it answers is scripted by the last user message (see script.ts), so a test says in its message
 * what the model should do: answer, call a tool, fail, stall, or cut the stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { contentText, failTimes, lastUserTurn, planReply, ScriptError, type ChatMessageIn, type Plan } from "./script.js";
import { apiError, completion, contentChunk, finishChunk, modelList, roleChunk, toolCallChunks, usageChunk, usageFor, type ApiError, type CompletionIds } from "./wire.js";

export const DEFAULT_MODEL_ID = "hanzo-test";
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const SECRET_HEADERS = new Set(["authorization", "api-key", "x-api-key", "cookie", "proxy-authorization"]);

export type RequestOutcome = "pending" | "answered" | "streamed" | "failed" | "stalled" | "cut" | "client-closed" | "rejected";

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  seq: number;
  method: string;
  path: string;
  /** Request headers without credentials; `authorized` says whether one was sent. */
  headers: Record<string, string>;
  authorized: boolean;
  /** The parsed JSON body (undefined for GET or a body that is not JSON). */
  body: unknown;
  stream: boolean;
  status?: number;
  outcome: RequestOutcome;
  /** performance.now() of the process running the server: arrival, first content byte, end. */
  receivedAt: number;
  firstContentAt?: number;
  endedAt?: number;
}

export interface ModelServerOptions {
  /** Model ids served (default: ["hanzo-test"]); a request for another is a 404 model_not_found. */
  models?: string[];
}

export interface ModelServer {
  /** http://127.0.0.1:<port>/v1: what a client takes as its baseURL. */
  baseUrl: string;
  port: number;
  models: readonly string[];
  /** Every request so far, oldest first (live array). */
  readonly requests: readonly RecordedRequest[];
  /** Requests to /v1/chat/completions only. */
  completions(): RecordedRequest[];
  /** Resolves once `count` requests arrived (or rejects after timeoutMs). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

interface ChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ScriptError(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function safeHeaders(req: IncomingMessage): { headers: Record<string, string>; authorized: boolean } {
  const headers: Record<string, string> = {};
  let authorized = false;
  for (const [k, v] of Object.entries(req.headers)) {
    if (SECRET_HEADERS.has(k)) {
      authorized ||= k === "authorization" || k === "api-key" || k === "x-api-key";
      continue;
    }
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return { headers, authorized };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export async function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  const models = opts.models ?? [DEFAULT_MODEL_ID];
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const failCounts = new Map<string, number>();
  const startedAt = Math.floor(Date.now() / 1000);

  const sendJson = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const sendError = (rec: RecordedRequest, res: ServerResponse, err: ApiError, headers: Record<string, string> = {}): void => {
    rec.status = err.status;
    rec.outcome = rec.outcome === "pending" ? (err.status === 400 || err.status === 404 ? "rejected" : "failed") : rec.outcome;
    rec.endedAt = performance.now();
    sendJson(res, err.status, err.body, headers);
  };

  async function chatCompletions(rec: RecordedRequest, body: ChatRequestBody, res: ServerResponse, closed: AbortSignal): Promise<void> {
    if (typeof body.model !== "string" || !Array.isArray(body.messages)) {
      return sendError(rec, res, apiError(400, "'model' (string) and 'messages' (array) are required."));
    }
    if (!models.includes(body.model)) return sendError(rec, res, apiError(404, `The model \`${body.model}\` does not exist or you do not have access to it.`));
    const messages = body.messages as ChatMessageIn[];
    let plan: Plan;
    try {
      plan = planReply(messages);
    } catch (err) {
      if (err instanceof ScriptError) return sendError(rec, res, apiError(400, `model-server script: ${err.message}`));
      throw err;
    }
    if (plan.fault?.kind === "fail") {
      const key = lastUserTurn(messages).text;
      const times = failTimes(key);
      const seen = (failCounts.get(key) ?? 0) + 1;
      failCounts.set(key, seen);
      if (times === undefined || seen <= times) {
        const retry = plan.fault.retryAfterMs;
        return sendError(rec, res, apiError(plan.fault.status), retry !== undefined ? { "retry-after-ms": String(retry) } : {});
      }
      delete plan.fault;
    }
    const ids: CompletionIds = { id: `chatcmpl-${rec.seq}`, model: body.model, created: startedAt };
    const usage = usageFor(messages.map((m) => contentText(m.content)).join("\n"), plan);
    const fault = plan.fault;
    if (fault?.kind === "stall" && fault.afterChunks === null) {
      rec.outcome = "stalled";
      return; // the response stays open until the client gives up or the server closes
    }

    if (!rec.stream) {
      await sleep(plan.delayMs, closed);
      if (closed.aborted) return;
      const text = JSON.stringify(completion(ids, plan, usage));
      rec.status = 200;
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-request-id": `req_${rec.seq}` });
      rec.firstContentAt = performance.now();
      if (fault?.kind === "cut" || fault?.kind === "stall") {
        rec.outcome = fault.kind === "cut" ? "cut" : "stalled";
        await new Promise<void>((resolve) => res.write(text.slice(0, Math.floor(text.length / 2)), () => resolve()));
        if (fault.kind === "cut") res.socket?.destroy();
        return;
      }
      rec.outcome = "answered";
      rec.endedAt = performance.now();
      res.end(text);
      return;
    }

    rec.status = 200;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-request-id": `req_${rec.seq}` });
    const send = (obj: object): void => void res.write(`data: ${JSON.stringify(obj)}\n\n`);
    send(roleChunk(ids));
    for (const [i, piece] of plan.chunks.entries()) {
      if (fault && fault.afterChunks === i) break;
      await sleep(plan.delayMs, closed);
      if (closed.aborted) return;
      send(contentChunk(ids, piece));
      rec.firstContentAt ??= performance.now();
    }
    if (fault?.kind === "cut") {
      rec.outcome = "cut";
      // Only once what was sent reached the socket: the client must see the chunks before the break.
      await new Promise<void>((resolve) => res.write(": cut\n\n", () => resolve()));
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === "stall") {
      rec.outcome = "stalled";
      return;
    }
    await sleep(plan.chunks.length === 0 ? plan.delayMs : 0, closed);
    if (closed.aborted) return;
    for (const [i, t] of plan.toolCalls.entries()) for (const c of toolCallChunks(ids, t, i)) send(c);
    rec.firstContentAt ??= performance.now();
    send(finishChunk(ids, plan));
    if (body.stream_options?.include_usage === true) send(usageChunk(ids, usage));
    res.write("data: [DONE]\n\n");
    rec.outcome = "streamed";
    rec.endedAt = performance.now();
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] as string;
    const { headers, authorized } = safeHeaders(req);
    const rec: RecordedRequest = { seq: requests.length + 1, method: req.method ?? "GET", path, headers, authorized, body: undefined, stream: false, outcome: "pending", receivedAt: performance.now() };
    requests.push(rec);
    const closed = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished && (rec.outcome === "pending" || rec.outcome === "stalled")) rec.outcome = rec.outcome === "stalled" ? "stalled" : "client-closed";
      rec.endedAt ??= performance.now();
      closed.abort();
    });
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      return sendError(rec, res, apiError(400, err instanceof Error ? err.message : String(err)));
    }
    if (raw.length > 0) {
      try {
        rec.body = JSON.parse(raw.toString("utf8"));
      } catch {
        notify();
        return sendError(rec, res, apiError(400, "We could not parse the JSON body of your request."));
      }
    }
    const body = (typeof rec.body === "object" && rec.body !== null ? rec.body : {}) as ChatRequestBody;
    rec.stream = body.stream === true;
    notify();

    if (req.method === "GET" && path === "/v1/models") {
      rec.outcome = "answered";
      rec.status = 200;
      return sendJson(res, 200, modelList(models, startedAt));
    }
    const one = /^\/v1\/models\/(.+)$/.exec(path);
    if (req.method === "GET" && one) {
      const id = decodeURIComponent(one[1] as string);
      if (!models.includes(id)) return sendError(rec, res, apiError(404, `The model \`${id}\` does not exist or you do not have access to it.`));
      rec.outcome = "answered";
      rec.status = 200;
      return sendJson(res, 200, { id, object: "model", created: startedAt, owned_by: "hanzonode-test" });
    }
    if (req.method === "POST" && path === "/v1/chat/completions") return chatCompletions(rec, body, res, closed.signal);
    return sendError(rec, res, { status: 404, body: { error: { message: `Invalid URL (${req.method ?? "GET"} ${path})`, type: "invalid_request_error", param: null, code: null } } });
  }

  function notify(): void {
    for (const w of [...waiters]) w();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, apiError(500, err instanceof Error ? err.message : String(err)).body);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    models,
    requests,
    completions: () => requests.filter((r) => r.path === "/v1/chat/completions"),
    waitForRequests(count, timeoutMs = 60_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`model server: ${requests.length} of ${count} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Stalled streams would keep close() waiting forever.
        server.closeAllConnections();
      });
    },
  };
}
