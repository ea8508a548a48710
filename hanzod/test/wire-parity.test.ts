/**
 * The same raw frames go to the real legacy gateway and to hanzod; the error frames (code, message,
 * details) and close codes/reasons must be identical.
 */
import { describe, expect, inject, it } from "vitest";
import { connectFrame, exchange, newDeviceKey, openRaw, rejection, signedDevice, useTestHanzod, isRes, type Frame } from "./helpers.js";

const legacy = inject("legacy");
const hanzod = useTestHanzod();

type Build = (token: string, challenge: { nonce: string; ts: number }) => (string | Frame)[];

async function both(build: Build): Promise<[unknown, unknown]> {
  const [a, b] = await Promise.all([
    exchange(legacy.url, (c) => build(legacy.token, c)),
    exchange(hanzod.url, (c) => build(hanzod.token, c)),
  ]);
  return [rejection(a), rejection(b)];
}

const cli = { id: "cli", version: "2026.9.1", platform: "linux", mode: "cli" };

describe("handshake rejections match the legacy gateway", () => {
  const cases: [string, Build][] = [
    ["malformed JSON", () => ["{not json"]],
    ["a pre-auth frame over 64 KiB", () => [JSON.stringify({ type: "req", id: "x", method: "connect", params: { pad: "a".repeat(70_000) } })]],
    ["first request not connect", () => [{ type: "req", id: "x", method: "health" }]],
    ["first frame not a request", () => [{ type: "event", event: "x" }]],
    ["request frame without id", () => [{ type: "req", method: "connect", params: {} }]],
    ["connect without params", () => [{ type: "req", id: "x", method: "connect" }]],
    ["connect params empty", () => [{ type: "req", id: "x", method: "connect", params: {} }]],
    ["connect params with unknown, mistyped and enum-violating fields", () => [{ type: "req", id: "x", method: "connect", params: { minProtocol: "4", maxProtocol: 4, client: { id: "nope", version: "1", platform: "x", mode: "cli" }, extra: 1, auth: { x: 1 } } }]],
    ["incomplete device block", () => [connectFrame({ client: cli, device: { id: "x" } }, "x")]],
    ["protocol mismatch", () => [connectFrame({ minProtocol: 1, maxProtocol: 2 }, "x")]],
    ["invalid role", () => [connectFrame({ role: "admin", client: cli }, "x")]],
    ["wrong token from the CLI", () => [connectFrame({ client: cli, auth: { token: "definitely-wrong" } }, "x")]],
    ["wrong token from another client", () => [connectFrame({ auth: { token: "definitely-wrong" } }, "x")]],
    ["no credentials and no device", () => [connectFrame({}, "x")]],
    ["node role without device", (t) => [connectFrame({ role: "node", client: { id: "node-host", version: "1", platform: "linux", mode: "node" }, auth: { token: t } }, "x")]],
  ];
  for (const [name, build] of cases) {
    it(name, async () => {
      const [a, b] = await both(build);
      expect(b).toEqual(a);
    });
  }
});

describe("device proof rejections match the legacy gateway", () => {
  const key = newDeviceKey();
  const base = (t: string, nonce: string, over: Record<string, unknown> = {}) => connectFrame({ scopes: ["operator.read"], auth: { token: t }, ...over }, "x");
  const cases: [string, Build][] = [
    ["forged signature (signed by another key)", (t, c) => {
      const other = newDeviceKey();
      const dev = signedDevice({ key: other, scopes: ["operator.read"], token: t, nonce: c.nonce, signedAt: c.ts });
      return [base(t, c.nonce, { device: { ...dev, id: key.id, publicKey: key.publicKey } })];
    }],
    ["signature over different scopes", (t, c) => [base(t, c.nonce, { device: signedDevice({ key, scopes: ["operator.admin"], token: t, nonce: c.nonce, signedAt: c.ts }) })]],
    ["stale signedAt", (t, c) => [base(t, c.nonce, { device: signedDevice({ key, scopes: ["operator.read"], token: t, nonce: c.nonce, signedAt: c.ts - 10 * 60_000 }) })]],
    ["nonce not this socket's challenge", (t, c) => [base(t, c.nonce, { device: signedDevice({ key, scopes: ["operator.read"], token: t, nonce: "00000000-0000-4000-8000-000000000000", signedAt: c.ts }) })]],
    ["device id not derived from the key", (t, c) => [base(t, c.nonce, { device: { ...signedDevice({ key, scopes: ["operator.read"], token: t, nonce: c.nonce, signedAt: c.ts }), id: "f".repeat(64) } })]],
  ];
  for (const [name, build] of cases) {
    it(name, async () => {
      const [a, b] = await both(build);
      expect(b).toEqual(a);
      expect((b as { error: { details?: { code?: string } } }).error.details?.code).toMatch(/^DEVICE_AUTH_/);
    });
  }

  it("a replayed connect (signed for an earlier socket's nonce) is refused with DEVICE_AUTH_NONCE_MISMATCH", async () => {
    const replay = async (url: string, token: string) => {
      const first = await openRaw(url);
      const captured = connectFrame({ scopes: ["operator.read"], auth: { token }, device: signedDevice({ key, scopes: ["operator.read"], token, nonce: first.challenge.nonce, signedAt: first.challenge.ts }) }, "x");
      first.close();
      return rejection(await exchange(url, () => [captured]));
    };
    const [a, b] = await Promise.all([replay(legacy.url, legacy.token), replay(hanzod.url, hanzod.token)]);
    expect(b).toEqual(a);
    expect(b).toMatchObject({ error: { code: "INVALID_REQUEST", details: { code: "DEVICE_AUTH_NONCE_MISMATCH" } }, close: { code: 1008 } });
  });
});

describe("authorization errors after hello match the legacy gateway", () => {
  async function session(url: string, token: string, scopes: string[]) {
    const s = await openRaw(url);
    s.send(connectFrame({ client: cli, scopes, auth: { token } }));
    const hello = await s.next(isRes("c1"));
    expect(hello.ok).toBe(true);
    return s;
  }
  async function call(s: Awaited<ReturnType<typeof session>>, id: string, method: string, params: unknown = {}) {
    s.send({ type: "req", id, method, params });
    const res = await s.next(isRes(id));
    return { ok: res.ok, error: res.error };
  }

  it("missing scope, unknown method, invalid frame, read-allowed methods", async () => {
    const run = async (url: string, token: string) => {
      const read = await session(url, token, ["operator.read"]);
      const admin = await session(url, token, ["operator.admin"]);
      const out = {
        configPatch: await call(read, "a", "config.patch"),
        chatSend: await call(read, "b", "chat.send"),
        unknownAsRead: await call(read, "c", "no.such.method"),
        unknownAsAdmin: await call(admin, "d", "no.such.method"),
        systemInfo: (await call(read, "e", "system.info")).ok,
        healthNoScope: (await call(read, "f", "health")).ok,
      };
      read.sendText(JSON.stringify({ type: "req", id: "g" }));
      const bad = await read.next(isRes("g"));
      read.close();
      admin.close();
      return { ...out, badFrame: bad.error };
    };
    const [a, b] = await Promise.all([run(legacy.url, legacy.token), run(hanzod.url, hanzod.token)]);
    expect(b).toEqual(a);
    expect(b.configPatch.error).toMatchObject({ code: "FORBIDDEN", details: { code: "MISSING_SCOPE" } });
  });

  it("more than 10 wrong-role calls close the socket with 1008", async () => {
    const run = async (url: string, token: string) => {
      const s = await session(url, token, ["operator.admin"]);
      const errors: unknown[] = [];
      for (let i = 0; i < 11; i++) errors.push((await call(s, `n${i}`, "node.event", { event: "x" })).error);
      return { first: errors[0], count: errors.length, close: await s.closed };
    };
    const [a, b] = await Promise.all([run(legacy.url, legacy.token), run(hanzod.url, hanzod.token)]);
    expect(b).toEqual(a);
    expect(b.close).toEqual({ code: 1008, reason: "repeated unauthorized calls" });
  });
});
