import { describe, expect, it } from "vitest";
import { Redactor, GATEWAY_TOKEN_PLACEHOLDER } from "../redact.js";

const TOKEN = "tok-3f9a8b7c6d5e4f30";
const OTHER = "tok-different-0011223344";

describe("Redactor", () => {
  it("replaces every secret-named field and never lets the secret through", () => {
    const r = new Redactor();
    const connect = {
      type: "req",
      id: "1",
      method: "connect",
      params: {
        auth: { token: TOKEN, password: "pw-123456", deviceToken: "dev-abcdef", bootstrapToken: "boot-abcdef", approvalRuntimeToken: "apr-abcdef", agentRuntimeIdentityToken: "agi-abcdef" },
        device: { id: "d", publicKey: "pk", signature: "sig-abcdef", signedAt: 1, nonce: "n" },
        extra: { apiKey: "key-abcdef", Authorization: "Bearer zzz-abcdef", session_cookie: "c-abcdef", PRIVATE_KEY: "pk-abcdef", clientSecret: "s-abcdef" },
      },
    };
    const out = JSON.stringify(r.redactValue(connect));
    for (const secret of [TOKEN, "pw-123456", "dev-abcdef", "boot-abcdef", "apr-abcdef", "agi-abcdef", "sig-abcdef", "key-abcdef", "zzz-abcdef", "c-abcdef", "pk-abcdef", "s-abcdef"]) expect(out).not.toContain(secret);
    expect(out).toContain('"publicKey":"pk"');
    expect(out).toContain('"nonce":"n"');
  });

  it("gives the same secret the same placeholder and different secrets different ones", () => {
    const r = new Redactor();
    const a = r.redactValue({ auth: { token: TOKEN, password: TOKEN } });
    const b = r.redactValue({ auth: { token: OTHER } });
    const c = r.redactValue({ payload: { auth: { deviceTokens: [{ token: TOKEN }, { token: OTHER }] } } });
    expect(a.auth.token).toBe(a.auth.password);
    expect(a.auth.token).toMatch(/^<redacted:token:\d+>$/);
    expect(b.auth.token).not.toBe(a.auth.token);
    expect(c.payload.auth.deviceTokens[0]?.token).toBe(a.auth.token);
    expect(c.payload.auth.deviceTokens[1]?.token).toBe(b.auth.token);
  });

  it("names the known gateway token, and finds known secrets inside other strings, raw frames and headers", () => {
    const r = new Redactor({ known: { "gateway-token": TOKEN } });
    expect(r.redactValue({ auth: { token: TOKEN } }).auth.token).toBe(GATEWAY_TOKEN_PLACEHOLDER);
    expect(r.redactValue({ message: `bad token ${TOKEN}!` }).message).toBe(`bad token ${GATEWAY_TOKEN_PLACEHOLDER}!`);
    const raw = r.redactRawText(`{"type":"req","params":{"auth":{"password":"pw-raw-99"}} ${TOKEN} trailing garbage`);
    expect(raw).not.toContain("pw-raw-99");
    expect(raw).not.toContain(TOKEN);
    expect(r.redactHeader("Authorization", `Bearer ${TOKEN}`)).toBe(`Bearer ${GATEWAY_TOKEN_PLACEHOLDER}`);
    const cookie = r.redactHeader("cookie", "sid=abcdef123; theme=dark");
    expect(cookie).not.toContain("abcdef123");
    expect(cookie).toMatch(/^sid=<redacted:cookie:1>; theme=<redacted:cookie:2>$/);
  });

  it("leaves numbers under token-count keys alone", () => {
    const r = new Redactor();
    expect(r.redactValue({ contextTokens: 200000, maxTokens: 5, canRetryWithDeviceToken: false })).toEqual({ contextTokens: 200000, maxTokens: 5, canRetryWithDeviceToken: false });
  });
});
