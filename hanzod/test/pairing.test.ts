/** Device pairing, device tokens and the hanzonode proxy leg, against hanzod alone. */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectFrame, isRes, newDeviceKey, openRaw, signedDevice, startTestHanzod, useTestHanzod } from "./helpers.js";

const hz = useTestHanzod({ trustedProxies: ["127.0.0.1"] });

async function deviceConnect(url: string, key: ReturnType<typeof newDeviceKey>, auth: Record<string, string>, headers: Record<string, string> = {}, scopes = ["operator.read"]) {
  const s = await openRaw(url, headers);
  const token = auth.token ?? auth.deviceToken;
  s.send(connectFrame({ scopes, auth, device: signedDevice({ key, scopes, ...(token ? { token } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
  const res = await s.next(isRes("c1"));
  return { s, res };
}

describe("device pairing", () => {
  it("auto-approves a new device on direct loopback and issues a device token that works on reconnect", async () => {
    const key = newDeviceKey();
    const first = await deviceConnect(hz.url, key, { token: hz.token });
    expect(first.res.ok).toBe(true);
    const auth = (first.res.payload as { auth: { role: string; scopes: string[]; deviceToken?: string; issuedAtMs?: number } }).auth;
    expect(auth).toMatchObject({ role: "operator", scopes: ["operator.read"] });
    expect(auth.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    first.s.close();

    const again = await deviceConnect(hz.url, key, { deviceToken: auth.deviceToken as string });
    expect(again.res.ok).toBe(true);
    again.s.send({ type: "req", id: "h", method: "status", params: {} });
    expect((await again.s.next(isRes("h"))).ok).toBe(true);
    again.s.close();

    const wrong = await deviceConnect(hz.url, key, { deviceToken: "A".repeat(43) });
    expect(wrong.res.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "AUTH_DEVICE_TOKEN_MISMATCH", authReason: "device_token_mismatch" } });
    expect(await wrong.s.closed).toMatchObject({ code: 1008 });
  });

  it("does not auto-approve when forwarded headers are present: NOT_PAIRED with a pending request", async () => {
    const key = newDeviceKey();
    const { s, res } = await deviceConnect(hz.url, key, { token: hz.token }, { "x-forwarded-for": "203.0.113.7" });
    expect(res.ok).toBe(false);
    expect(res.error).toMatchObject({
      code: "NOT_PAIRED",
      message: "pairing required: device is not approved yet",
      details: { code: "PAIRING_REQUIRED", reason: "not-paired", deviceId: key.id, requestedRole: "operator", requestedScopes: ["operator.read"] },
    });
    const requestId = (res.error as { details: { requestId: string } }).details.requestId;
    expect(await s.closed).toEqual({ code: 1008, reason: `pairing required: device is not approved yet (requestId: ${requestId})` });
    // The pending request is durable: a second attempt reports the same request id.
    const retry = await deviceConnect(hz.url, key, { token: hz.token }, { "x-forwarded-for": "203.0.113.7" });
    expect((retry.res.error as { details: { requestId: string } }).details.requestId).toBe(requestId);
  });

  it("asks for a scope upgrade when a paired device wants more than it was approved for, remotely", async () => {
    const key = newDeviceKey();
    const first = await deviceConnect(hz.url, key, { token: hz.token });
    expect(first.res.ok).toBe(true);
    first.s.close();
    const wider = await deviceConnect(hz.url, key, { token: hz.token }, { "x-forwarded-for": "203.0.113.8" }, ["operator.admin"]);
    expect(wider.res.error).toMatchObject({ code: "NOT_PAIRED", details: { reason: "scope-upgrade", approvedScopes: ["operator.read"], requestedScopes: ["operator.admin"] } });
  });
});

describe("device-less scope rules", () => {
  it("clears a non-CLI device-less client's scopes, keeps a loopback CLI's and the gateway-client backend's", async () => {
    const scopesOf = async (client: Record<string, string>) => {
      const s = await openRaw(hz.url);
      s.send(connectFrame({ client, scopes: ["operator.read"], auth: { token: hz.token } }));
      const res = await s.next(isRes("c1"));
      s.close();
      return (res.payload as { auth: { scopes: string[] } }).auth.scopes;
    };
    expect(await scopesOf({ id: "test", version: "1", platform: "linux", mode: "test" })).toEqual([]);
    expect(await scopesOf({ id: "cli", version: "1", platform: "linux", mode: "cli" })).toEqual(["operator.read"]);
    expect(await scopesOf({ id: "gateway-client", version: "1", platform: "linux", mode: "backend" })).toEqual(["operator.read"]);
  });
});

describe("the proxy leg (asserted identity from a trusted proxy)", () => {
  const client = { id: "test", version: "1", platform: "linux", mode: "test" };
  async function proxied(url: string, token: string, headers: Record<string, string>, scopes: string[]) {
    const s = await openRaw(url, headers);
    s.send(connectFrame({ client, scopes, auth: { token } }));
    const res = await s.next(isRes("c1"));
    s.close();
    return res;
  }

  it("accepts the identity with hanzod's secret and caps scopes to x-openclaw-scopes (never widens)", async () => {
    const res = await proxied(hz.url, hz.token, { "x-forwarded-for": "198.51.100.4", "x-forwarded-user": "device:abc", "x-openclaw-scopes": "operator.read,operator.pairing" }, ["operator.read", "operator.admin"]);
    expect(res.ok).toBe(true);
    expect((res.payload as { auth: { scopes: string[] } }).auth.scopes).toEqual(["operator.read"]);
  });

  it("an empty scope header means no scopes", async () => {
    const res = await proxied(hz.url, hz.token, { "x-forwarded-for": "198.51.100.4", "x-forwarded-user": "client:cli", "x-openclaw-scopes": "" }, ["operator.read"]);
    expect((res.payload as { auth: { scopes: string[] } }).auth.scopes).toEqual([]);
  });

  it("a wrong secret is refused like any wrong token", async () => {
    const res = await proxied(hz.url, "nope", { "x-forwarded-for": "198.51.100.4", "x-forwarded-user": "device:abc", "x-openclaw-scopes": "operator.read" }, ["operator.read"]);
    expect(res.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "AUTH_TOKEN_MISMATCH" } });
  });

  it("is ignored from a source that is not a trusted proxy (scopes cleared as for any device-less client)", async () => {
    const plain = await startTestHanzod();
    try {
      const res = await proxied(plain.url, plain.token, { "x-forwarded-for": "198.51.100.4", "x-forwarded-user": "device:abc", "x-openclaw-scopes": "operator.read" }, ["operator.read"]);
      expect(res.ok).toBe(true);
      expect((res.payload as { auth: { scopes: string[] } }).auth.scopes).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});

describe("trusted-proxy auth mode", () => {
  it("refuses loopback proxy sources unless allowLoopback, and takes the user from the header when allowed", async () => {
    const strict = await startTestHanzod({ auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user" } }, trustedProxies: ["127.0.0.1"] });
    const loose = await startTestHanzod({ auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user", allowLoopback: true } }, trustedProxies: ["127.0.0.1"] });
    try {
      const headers = { "x-forwarded-for": "198.51.100.9", "x-forwarded-user": "alice@example.com" };
      const cli = { id: "cli", version: "1", platform: "linux", mode: "cli" };
      const s = await openRaw(loose.url, headers);
      s.send(connectFrame({ client: cli, scopes: ["operator.read"] }));
      const ok = await s.next(isRes("c1"));
      s.close();
      expect(ok.ok).toBe(true);
      const s2 = await openRaw(strict.url, headers);
      s2.send(connectFrame({ client: cli, scopes: ["operator.read"] }));
      const no = await s2.next(isRes("c1"));
      // As in the legacy: with no shared secret offered and the identity refused, a device-less client is told a device is required.
      expect(no.error).toMatchObject({ code: "NOT_PAIRED", details: { code: "DEVICE_IDENTITY_REQUIRED" } });
    } finally {
      await strict.stop();
      await loose.stop();
    }
  });

  it("a Control UI operator admitted by the trusted proxy gets no device token and the proxy's scope cap, as in the legacy (issueGatewayConnectDeviceTokens)", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "hanzod-tp-ui-"));
    // The proxy's users load the UI from its public origin, which the config allows.
    writeFileSync(join(stateDir, "openclaw.json"), JSON.stringify({ gateway: { controlUi: { allowedOrigins: ["https://ui.example"] } } }));
    const ui = { id: "openclaw-control-ui", version: "1", platform: "linux", mode: "webchat" };
    const scopes = ["operator.read", "operator.write"];
    const key = newDeviceKey();
    const connectUi = async (url: string, headers: Record<string, string>, auth: Record<string, string>) => {
      const s = await openRaw(url, { origin: "https://ui.example", ...headers });
      s.send(connectFrame({ client: ui, scopes, auth, device: signedDevice({ key, clientId: ui.id, clientMode: ui.mode, scopes, ...(auth.token ? { token: auth.token } : {}), nonce: s.challenge.nonce, signedAt: s.challenge.ts }) }));
      const res = await s.next(isRes("c1"));
      s.close();
      return res as unknown as { ok: boolean; error?: unknown; payload?: { auth?: { deviceToken?: string; scopes?: string[] } } };
    };
    try {
      // Paired first on the same state by a token-mode gateway (local, silent), which issues it a token.
      const tokenMode = await startTestHanzod({ stateDir, trustedProxies: ["127.0.0.1"] });
      try {
        const paired = await connectUi(tokenMode.url, {}, { token: tokenMode.token });
        expect(paired.ok, JSON.stringify(paired.error)).toBe(true);
        expect(paired.payload?.auth?.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } finally {
        await tokenMode.stop();
      }
      const tp = await startTestHanzod({ stateDir, auth: { mode: "trusted-proxy", trustedProxy: { userHeader: "x-forwarded-user", allowLoopback: true } }, trustedProxies: ["127.0.0.1"] });
      try {
        const viaProxy = { "x-forwarded-for": "198.51.100.9", "x-forwarded-user": "alice@example.com", "x-openclaw-scopes": "operator.read" };
        const admitted = await connectUi(tp.url, viaProxy, {});
        expect(admitted.ok, JSON.stringify(admitted.error)).toBe(true);
        expect(admitted.payload?.auth?.deviceToken).toBeUndefined();
        expect(admitted.payload?.auth?.scopes).toEqual(["operator.read"]);
        // Any other origin is refused before the proxy's identity is looked at.
        const s = await openRaw(tp.url, { origin: "https://evil.example", ...viaProxy });
        s.send(connectFrame({ client: ui, scopes }));
        expect((await s.next(isRes("c1"))).error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "CONTROL_UI_ORIGIN_NOT_ALLOWED", reason: "origin not allowed" } });
        expect((await s.closed).code).toBe(1008);
      } finally {
        await tp.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
