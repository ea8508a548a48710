/**
 * Hostile clients, one kind each, as issue 16 found them: each opens its own socket, does one bad
 * thing, and is gone within a bounded time (it never waits on the server's goodwill). `frames` is how
 * many frames (or frame-like writes) it sent.
 */
import WebSocket from "ws";

export interface AttackContext {
  url: string;
  token: string;
  /** 0..1, seeded: the same seed replays the same run. */
  random(): number;
}

export interface Attack {
  name: string;
  run(ctx: AttackContext): Promise<number>;
}

const CLIENT = { id: "cli", version: "fuzz", platform: "linux", mode: "cli" };
const connectText = (token: string, extra: Record<string, unknown> = {}, id = "c1"): string =>
  JSON.stringify({ type: "req", id, method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: CLIENT, role: "operator", scopes: ["operator.read"], auth: { token }, ...extra } });

/** Opens a socket (listening from construction: a challenge may come with the 101); undefined if refused. */
function open(url: string, onMessage?: (ws: WebSocket, text: string) => void): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    if (onMessage) ws.on("message", (d) => onMessage(ws, d.toString()));
    ws.on("error", () => resolve(undefined));
    ws.once("open", () => resolve(ws));
    ws.once("close", () => resolve(undefined));
  });
}

/** Waits for close or `ms`, then makes sure the socket is gone. */
function finish(ws: WebSocket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      ws.terminate();
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (ws.readyState === WebSocket.CLOSED) done();
    else ws.once("close", done);
  });
}

/** Connects properly; resolves with the socket after hello-ok (undefined when refused). */
function authenticated(url: string, token: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ws: WebSocket | undefined, keep: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!keep) ws?.terminate();
      resolve(keep ? ws : undefined);
    };
    let socket: WebSocket | undefined;
    const timer = setTimeout(() => settle(socket, false), 10_000);
    void open(url, (ws, text) => {
      if (settled) return;
      const f = JSON.parse(text) as { type?: string; event?: string; id?: string; ok?: boolean };
      if (f.type === "event" && f.event === "connect.challenge") ws.send(connectText(token));
      else if (f.type === "res" && f.id === "c1") settle(ws, f.ok === true);
    }).then((ws) => {
      socket = ws;
      if (!ws) settle(undefined, false);
      else ws.once("close", () => settle(ws, false));
    });
  });
}

/** Sends `frames` one by one right after open, then waits briefly for the server's verdict. */
function preHello(name: string, frames: (ctx: AttackContext) => Array<string | Buffer>): Attack {
  return {
    name,
    async run(ctx) {
      const ws = await open(ctx.url);
      if (!ws) return 0;
      const list = frames(ctx);
      for (const f of list) if (ws.readyState === WebSocket.OPEN) ws.send(f, { binary: Buffer.isBuffer(f) });
      await finish(ws, 2_000);
      return list.length;
    },
  };
}

/** Authenticates, sends `frames`, waits for as many answers (or a close), then leaves. */
function postHello(name: string, frames: (ctx: AttackContext) => Array<string | Buffer>): Attack {
  return {
    name,
    async run(ctx) {
      const ws = await authenticated(ctx.url, ctx.token);
      if (!ws) return 1;
      const list = frames(ctx);
      let answers = 0;
      const allAnswered = new Promise<void>((resolve) => {
        ws.on("message", (d) => {
          if (d.toString().startsWith('{"type":"res"') && ++answers >= list.length) resolve();
        });
      });
      for (const f of list) if (ws.readyState === WebSocket.OPEN) ws.send(f, { binary: Buffer.isBuffer(f) });
      await Promise.race([allAnswered, finish(ws, 10_000)]);
      ws.terminate();
      return list.length + 1;
    },
  };
}

const manyKeys = (n: number, prefix: string): Record<string, number> => {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`${prefix}${i}`] = i;
  return o;
};

export const ATTACKS: Attack[] = [
  preHello("invalid-json", () => ["{not json", '{"type":"req",']),
  preHello("binary", (ctx) => [Buffer.from(Array.from({ length: 64 }, () => Math.floor(ctx.random() * 256)))]),
  preHello("wrong-types", () => [JSON.stringify({ type: "req", id: 5, method: ["connect"], params: "x" })]),
  preHello("prototype-keys", (ctx) => [
    `{"type":"req","id":"c1","method":"connect","params":{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"minProtocol":4,"maxProtocol":4,"client":${JSON.stringify(CLIENT)},"auth":{"token":${JSON.stringify(ctx.token)}}}}`,
  ]),
  preHello("request-before-connect", () => [JSON.stringify({ type: "req", id: "h1", method: "health" })]),
  preHello("bad-token", () => [connectText("wrong-token")]),
  preHello("empty-token", () => [connectText("")]),
  preHello("bad-protocol", (ctx) => [connectText(ctx.token, { minProtocol: 99, maxProtocol: 99 })]),
  preHello("unknown-keys-connect", (ctx) => [connectText(ctx.token, manyKeys(5_000, "k"))]),
  preHello("early-flood", () => [connectText("wrong-token"), ...Array.from({ length: 40 }, (_, i) => JSON.stringify({ type: "req", id: `e${i}`, method: "health", params: { pad: "p".repeat(30_000) } }))]),
  {
    name: "oversize-header",
    async run(ctx) {
      const ws = await open(ctx.url);
      if (!ws) return 0;
      // Masked text frame announcing 26 MiB; only its header and a few bytes are ever sent.
      const raw = (ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
      raw.write(Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x01, 0xa0, 0, 0, 9, 9, 9, 9, 0x7b]));
      await finish(ws, 2_000);
      return 1;
    },
  },
  {
    name: "tcp-reset",
    async run(ctx) {
      const ws = await open(ctx.url);
      if (!ws) return 0;
      const raw = (ws as unknown as { _socket: { write(b: Buffer): void; destroy(): void } })._socket;
      raw.write(Buffer.from([0x81, 0xfe, 0x10, 0x00, 1, 2, 3, 4, 0x7b, 0x22]));
      raw.destroy();
      return 1;
    },
  },
  postHello("deep-nesting", () => [`{"type":"req","id":"d1","method":"status","params":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, `{"type":"req","id":"d2","method":"health","params":{"a":${"{\"a\":".repeat(50_000)}1${"}".repeat(50_000)}}}`]),
  postHello("huge-id", () => [JSON.stringify({ type: "req", id: "i".repeat(1 << 20), method: "health" })]),
  postHello("huge-unknown-method", (ctx) => [JSON.stringify({ type: "req", id: "m1", method: `x${Math.floor(ctx.random() * 1e9)}${"m".repeat(1 << 20)}`, params: {} })]),
  postHello("unknown-keys-after-hello", () => [JSON.stringify({ type: "req", id: "k1", method: "system-presence", params: manyKeys(40_000, "k") }), JSON.stringify({ type: "req", id: "k2", method: "no.such", params: manyKeys(40_000, "k") }), JSON.stringify({ type: "req", id: "k3", method: "health", extra: manyKeys(40_000, "k") })]),
  postHello("second-connect", (ctx) => [connectText(ctx.token, {}, "c2")]),
  postHello("frame-wrong-shape", () => [JSON.stringify({ type: "req", id: "w1", method: "health", extra: { __proto__: 1 } }), JSON.stringify({ type: "res", id: "w2", ok: true }), "[1,2,3]", "null"]),
  {
    name: "slow-reader",
    async run(ctx) {
      const ws = await authenticated(ctx.url, ctx.token);
      if (!ws) return 1;
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 2_000 && ws.readyState === WebSocket.OPEN; i++) ws.send(JSON.stringify({ type: "req", id: `s${i}`, method: "health" }));
      await new Promise((r) => setTimeout(r, 500));
      ws.terminate();
      return 2_001;
    },
  },
];
