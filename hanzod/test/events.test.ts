/** Event delivery: per-connection seq, process-wide stateVersion, scope guards, tick, shutdown + 1012, test inject. */
import { describe, expect, it } from "vitest";
import { connectFrame, isRes, openRaw, startTestHanzod } from "./helpers.js";
import { injectHook } from "./inject-hook.js";

const cli = { id: "cli", version: "1", platform: "linux", mode: "cli" };

describe("events", () => {
  it("numbers broadcast events per connection from 1, ticks on the configured interval, and gates presence on read", async () => {
    const hz = await startTestHanzod({ tickIntervalMs: 200 });
    try {
      const reader = await openRaw(hz.url);
      reader.send(connectFrame({ client: cli, scopes: ["operator.read"], auth: { token: hz.token } }));
      const hello = await reader.next(isRes("c1"));
      const sv = (hello.payload as { snapshot: { stateVersion: { presence: number; health: number } } }).snapshot.stateVersion;
      const noScopes = await openRaw(hz.url);
      noScopes.send(connectFrame({ client: cli, scopes: [], auth: { token: hz.token } }));
      await noScopes.next(isRes("c1"));
      // A non-ephemeral client joining triggers a presence broadcast (read-gated).
      const ui = await openRaw(hz.url);
      ui.send(connectFrame({ client: { id: "gateway-client", version: "1", platform: "linux", mode: "backend" }, scopes: ["operator.read"], auth: { token: hz.token } }));
      await ui.next(isRes("c1"));
      await reader.next((f) => f.event === "tick" && (f.seq as number) >= 3);
      await noScopes.next((f) => f.event === "tick" && (f.seq as number) >= 3);
      for (const s of [reader, noScopes]) {
        const seqs = s.frames.filter((f) => f.type === "event").map((f) => f.seq as number);
        expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
        expect(seqs.every((n, i) => i === 0 || n === (seqs[i - 1] as number) + 1)).toBe(true);
      }
      const health = reader.frames.find((f) => f.event === "health") as { stateVersion: { health: number } } | undefined;
      expect(health?.stateVersion.health).toBeGreaterThan(sv.health);
      expect(noScopes.frames.some((f) => f.event === "presence")).toBe(false);
      for (const s of [reader, noScopes, ui]) s.close();
    } finally {
      await hz.stop();
    }
  });

  it("sends shutdown then closes 1012 service restart", async () => {
    const hz = await startTestHanzod();
    const s = await openRaw(hz.url);
    s.send(connectFrame({ client: cli, scopes: [], auth: { token: hz.token } }));
    await s.next(isRes("c1"));
    await hz.stop();
    expect(s.frames.find((f) => f.event === "shutdown")).toMatchObject({ payload: { reason: "gateway stopping" } });
    expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
  });

  it("a test-registered send hook alters that method's result only", async () => {
    const hz = await startTestHanzod({ hooks: [injectHook({ status: { "/extraField": "injected", "/tasks/total": 42 } })] });
    try {
      const s = await openRaw(hz.url);
      s.send(connectFrame({ client: cli, scopes: ["operator.read"], auth: { token: hz.token } }));
      await s.next(isRes("c1"));
      s.send({ type: "req", id: "s", method: "status", params: {} });
      s.send({ type: "req", id: "h", method: "health", params: {} });
      const st = await s.next(isRes("s"));
      const h = await s.next(isRes("h"));
      expect(st.payload).toMatchObject({ extraField: "injected", tasks: { total: 42 } });
      expect(h.payload).not.toHaveProperty("extraField");
      s.close();
    } finally {
      await hz.stop();
    }
  });
});
