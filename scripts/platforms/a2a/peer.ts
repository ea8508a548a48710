/**
 * An A2A 1.0 peer for tests, on loopback: the remote agent a gateway sends to (`channels.a2a.peers.<id>.url`).
 * It serves JSON-RPC `SendMessage` (and the older alias `message/send`) and `GetTask` at `/a2a/v1`, checks the
 * bearer the gateway must present (`outboundToken`), and answers a completed task whose artifact is scripted
 * by the test (default: an echo). Every call is recorded with its params, never with the bearer.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../http-body.js";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface A2aCall {
  seq: number;
  method: string;
  params: Record<string, unknown>;
  /** Whether the request carried the expected bearer (a wrong or missing one is refused 401 and recorded). */
  authorized: boolean;
  at: number;
}

export interface A2aPeerOptions {
  /** The bearer the gateway must send (its `outboundToken` for this peer). */
  token: string;
  /** The reply text for an incoming message's text (default: `peer heard: <text>`). */
  reply?: (text: string) => string;
}

export interface A2aPeer {
  /** What goes in the gateway's `peers.<id>.url`. */
  url: string;
  readonly calls: readonly A2aCall[];
  waitForCall(method: string, timeoutMs?: number): Promise<A2aCall>;
  close(): Promise<void>;
}

interface Task {
  id: string;
  contextId: string;
  status: { state: string; timestamp: string };
  artifacts: Array<{ artifactId: string; parts: Array<{ text: string }> }>;
  history: unknown[];
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  return JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString("utf8")) as unknown;
}

/** The text parts of an A2A message, joined. */
export function messageText(message: unknown): string {
  const parts = (message as { parts?: Array<{ text?: unknown }> } | undefined)?.parts ?? [];
  return parts.map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}

export async function startA2aPeer(opts: A2aPeerOptions): Promise<A2aPeer> {
  const calls: A2aCall[] = [];
  const tasks = new Map<string, Task>();
  const waiters: Array<{ method: string; resolve: (c: A2aCall) => void }> = [];
  const reply = opts.reply ?? ((text: string) => `peer heard: ${text}`);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "POST" || req.url !== "/a2a/v1") {
      json(res, 404, { error: "not found" });
      return;
    }
    let body: { id?: unknown; method?: unknown; params?: unknown };
    try {
      body = (await readJson(req)) as typeof body;
    } catch {
      json(res, 200, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      return;
    }
    const method = typeof body.method === "string" ? body.method : "";
    const params = body.params && typeof body.params === "object" ? (body.params as Record<string, unknown>) : {};
    const authorized = req.headers.authorization === `Bearer ${opts.token}`;
    const call: A2aCall = { seq: calls.length + 1, method, params, authorized, at: Date.now() };
    calls.push(call);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.method === method) waiters.splice(i, 1)[0]!.resolve(call);
    }
    if (!authorized) {
      json(res, 401, { jsonrpc: "2.0", id: body.id ?? null, error: { code: -32001, message: "Unauthorized" } });
      return;
    }
    if (method === "SendMessage" || method === "message/send") {
      const message = params.message as { contextId?: unknown } | undefined;
      const task: Task = {
        id: randomUUID(),
        contextId: typeof message?.contextId === "string" ? message.contextId : randomUUID(),
        status: { state: "TASK_STATE_COMPLETED", timestamp: new Date().toISOString() },
        artifacts: [{ artifactId: randomUUID(), parts: [{ text: reply(messageText(params.message)) }] }],
        history: [],
      };
      tasks.set(task.id, task);
      json(res, 200, { jsonrpc: "2.0", id: body.id ?? null, result: { task } });
      return;
    }
    if (method === "GetTask" || method === "tasks/get") {
      const task = tasks.get(String(params.id));
      json(res, 200, task ? { jsonrpc: "2.0", id: body.id ?? null, result: task } : { jsonrpc: "2.0", id: body.id ?? null, error: { code: -32001, message: "Task not found" } });
      return;
    }
    json(res, 200, { jsonrpc: "2.0", id: body.id ?? null, error: { code: -32601, message: "Method not found" } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: "internal" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/a2a/v1`,
    calls,
    waitForCall(method, timeoutMs = 60_000) {
      const seen = calls.find((c) => c.method === method);
      if (seen) return Promise.resolve(seen);
      return new Promise<A2aCall>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${method} call within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ method, resolve: (c) => (clearTimeout(timer), resolve(c)) });
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
