import { describe, expect, inject, it } from "vitest";
import { RawGatewaySocket, connectRaw, connectParams } from "../index.js";

describe("raw protocol client against the real legacy gateway", () => {
  const legacy = inject("legacy");

  it("completes the handshake and gets final answers by id", async () => {
    const { socket, hello } = await connectRaw(legacy.url, { token: legacy.token, client: { id: "gateway-client", version: "0.0.0", platform: "linux", mode: "backend" }, scopes: ["operator.read"] });
    expect((hello.payload as { type: string }).type).toBe("hello-ok");
    const health = await socket.request("health", {});
    expect(health.ok).toBe(true);
    expect(socket.frames[0]).toMatchObject({ type: "event", event: "connect.challenge" });
    expect(await socket.close()).toMatchObject({ code: 1000 });
  });

  it("reports a refused connect and fails a wait when the server closes first", async () => {
    await expect(connectRaw(legacy.url, { token: "not-the-token" })).rejects.toThrow(/AUTH_TOKEN_MISMATCH/);
    const socket = await RawGatewaySocket.open(legacy.url);
    await socket.challenge();
    socket.send({ type: "req", id: "x", method: "connect", params: connectParams({ token: "wrong" }) });
    await expect(socket.next((f) => f.type === "event" && f.event === "never", 20_000, "an event that never comes")).rejects.toThrow(/closed \(1008/);
  });
});
