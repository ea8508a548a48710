/**
 * Issue 16 on the proxy: hostile clients must not lose answers (ids), grow its memory (method names,
 * big frames before hello, unread answers) or get further than they would directly.
 */
import { describe, expect, inject, it } from "vitest";
import { RawGatewaySocket, type ResponseFrame } from "../../protocol/index.js";
import { parseChecklist, MEMO_MAX_CHARS, MEMO_MAX_ENTRIES } from "../../parity/checklist/index.js";
import { startProxy, type FrameTap } from "../index.js";
import { EventRouter } from "../event-router.js";
import type { ProxyContext } from "../context.js";
import { connectClient, payloadOf } from "./ws-client.js";
import { CollectingSink, metricValue, useProxyBesideHanzod } from "./support.js";

const legacy = inject("legacy");

describe("client ids are the client's (finding 4)", () => {
  // health answered by hanzod; status shadowed, so the proxy has requests of its own in flight on hanzod.
  // No deadline: on a loaded machine a slow answer must not turn into the proxy's own UNAVAILABLE here.
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "shadow: { maxPerSecond: 0 }", "methods:", "  health: hanzod", "  status: shadow"], { shadowSink: new CollectingSink(), hanzodDeadlineMs: 0 });

  it("ids spelled like the proxy's own are answered, once each, on the right request", async () => {
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    try {
      const ids = ["hanzonode-proxy:1", "hanzonode-proxy:2", "hanzonode-proxy:c1:5", "hanzonode-reused:1", "hanzonode-proxy:connect:1", "plain-1"];
      for (let i = 3; i < 60; i++) ids.push(`hanzonode-proxy:${i}`, `hanzonode-reused:${i}`);
      // Shadowed calls first, so copies under the proxy's own ids are in flight while the client reuses them.
      const sent: Array<{ id: string; method: string }> = [];
      for (const id of ids) {
        c.socket.send({ type: "req", id: `s-${id}`, method: "status" });
        c.socket.send({ type: "req", id, method: "health" });
        sent.push({ id: `s-${id}`, method: "status" }, { id, method: "health" });
      }
      await c.socket.until(() => sent.every((s) => c.frames.some((f) => f.type === "res" && f.id === s.id)), 30_000, "every answer");
      for (const s of sent) {
        const answers = c.frames.filter((f): f is ResponseFrame => f.type === "res" && f.id === s.id);
        expect(answers, s.id).toHaveLength(1);
        expect(answers[0]?.error ?? null, s.id).toBeNull();
        if (s.method === "health") expect(payloadOf(answers[0]).answeredBy, s.id).toBe("hanzod");
        else expect(payloadOf(answers[0]).answeredBy, s.id).toBeUndefined();
      }
    } finally {
      await c.close();
    }
  });
});

describe("frames before hello are capped at 64 KiB, as the legacy and hanzod cap them (finding 5)", () => {
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "methods:", "  health: hanzod"]);

  it("a frame header announcing 1 MiB before hello is closed 1009 at once, unread; after hello 1 MiB passes", async () => {
    const s = await RawGatewaySocket.open(env.proxy.url);
    await s.challenge();
    // Only the frame header and a few bytes: a receiver that waits for the payload would never close.
    // FIN + text, masked, 64-bit length = 1 MiB, then the 4-byte mask key.
    const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x00, 1, 2, 3, 4]);
    const raw = (s.ws as unknown as { _socket: { write(b: Buffer): void } })._socket;
    raw.write(Buffer.concat([header, Buffer.from("{\"type\":")]));
    expect((await s.closed).code).toBe(1009);

    const c = await connectClient(env.proxy.url, { token: legacy.token, scopes: ["operator.admin"] });
    try {
      const big = await c.call("no.such.method", { pad: "x".repeat(1 << 20) });
      expect(big.error).toEqual({ code: "INVALID_REQUEST", message: "unknown method: no.such.method" });
    } finally {
      await c.close();
    }
  });
});

describe("a client that never reads is cut as the legacy cuts it (finding 6)", () => {
  const closes: Array<{ code: number; reason: string; by: string }> = [];
  const tap: FrameTap = { open: () => ({ frame: () => undefined, close: (code, reason, by) => closes.push({ code, reason, by }) }), close: async () => undefined };
  const env = useProxyBesideHanzod(legacy.url, ["version: 1", "methods:", "  health: hanzod"], { maxBufferedBytes: 256 * 1024, tap });

  it("past the bound it is closed 1008 and its socket dropped at once: what it had not read is gone, as with the legacy", async () => {
    const c = await connectClient(env.proxy.url, { token: legacy.token });
    const raw = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    let sent = 0;
    // Keep asking until the proxy gives up on it.
    while (closes.length === 0) {
      for (let i = 0; i < 500; i++) c.socket.send({ type: "req", id: `h${sent++}`, method: "health", params: {} });
      await new Promise((r) => setTimeout(r, 20));
      if (sent > 400_000) throw new Error("never cut");
    }
    expect(closes).toEqual([{ code: 1008, reason: "slow consumer", by: "proxy" }]);
    raw.resume();
    // Dropped, not closed gracefully: the close frame never comes (the legacy terminates too).
    expect((await c.closed).code).toBe(1006);
    const received = c.frames.filter((f) => f.type === "res").length;
    expect(received).toBeLessThan(sent);
  });
});

describe("client-invented method names cost bounded memory (finding 2)", () => {
  it("the routing memo is bounded in characters as well as entries", () => {
    const table = parseChecklist("version: 1\nmethods:\n  'plug.*': hanzod\n", "c.yaml");
    const mb = "m".repeat(1 << 20);
    for (let i = 0; i < 50; i++) table.decide(`${i}${mb}`);
    for (let i = 0; i < 20_000; i++) table.decide(`plug.${i}.${"n".repeat(200)}`);
    const { entries, chars } = table.memoFootprint;
    expect(entries).toBeLessThanOrEqual(MEMO_MAX_ENTRIES);
    expect(chars).toBeLessThanOrEqual(MEMO_MAX_CHARS);
    expect(table.decide(`plug.x${mb}`).kind).toBe("hanzod");
  });

  it("a connection remembers a bounded number of short method families", () => {
    const ctx = { table: () => parseChecklist("version: 1\n", "c.yaml") } as unknown as ProxyContext;
    const router = new EventRouter(ctx, "c1", "legacy", { nodeSession: false, bucket: 0 }, () => undefined);
    for (let i = 0; i < 5_000; i++) router.noteRequest(`fam${i}.call`, "hanzod");
    router.noteRequest(`${"f".repeat(1 << 20)}.call`, "hanzod");
    expect(router.familiesKept).toBeLessThanOrEqual(256);
  });

  it("unknown names share one metric label however many a client invents", async () => {
    const proxy = await startProxy({ listenPort: 0, adminPort: 0, legacyUrl: legacy.url, logLevel: "silent" });
    try {
      const c = await connectClient(proxy.url, { token: legacy.token });
      for (let i = 0; i < 20; i++) await c.call(`made.up.${i}.${"z".repeat(10_000)}`);
      await c.close();
      const text = await (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
      expect(text).not.toContain("made.up");
      expect(await metricValue(proxy.adminPort!, "hanzonode_proxy_requests_total", { method: "(unknown)" })).toBe(20);
    } finally {
      await proxy.close();
    }
  });
});
