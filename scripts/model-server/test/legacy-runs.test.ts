/**
 * The real legacy gateway, its agent pointed at the test model server (scripts/legacy's `modelServer`
 * option): real clients start turns, the legacy calls the model server, and the scripted answer comes
 * back through the legacy's own run machinery. Nothing reaches a cloud: the model server is the only
 * provider and the machine's provider credentials are not passed on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastUserTurn, startModelServer, type ChatMessageIn, type ModelServer, type RecordedRequest } from "../index.js";
import { runOpenclawCli, startLegacyGateway, type LegacyGateway } from "../../legacy/index.js";
import { runGatewayClient, type CallLine } from "../../../test/gateway-client.js";
import { releasesUnderTest, skipLegacyOnly } from "../../../test/releases-under-test.js";

// One release after the other (each describe starts its own model server and legacy, stops both after);
// the releases CI names for this runtime (test/releases-under-test.ts).
let models: ModelServer;
let legacy: LegacyGateway;
/** A turn's own limits are 180-200 s (the CLI's --timeout, the client run's): the test waits as long. */
const TURN_TIMEOUT_MS = 240_000;


interface ChatMessageOut {
  role: string;
  content?: unknown;
  tool_call_id?: string;
}

/** The model requests whose turn (the person's last message, as the server reads it) carried `marker`. */
function requestsFor(marker: string): RecordedRequest[] {
  return models.completions().filter((r) => lastUserTurn((r.body as { messages?: ChatMessageIn[] } | undefined)?.messages ?? []).text.includes(marker));
}

async function chatSend(message: string, idempotencyKey: string): Promise<CallLine> {
  const run = await runGatewayClient(
    legacy.install.nodeBin,
    {
      clientDir: legacy.install.gatewayClientDir,
      url: legacy.url,
      token: legacy.token,
      caps: ["tool-events"],
      calls: [{ method: "chat.send", params: { sessionKey: "agent:main:main", message, idempotencyKey }, until: { event: "chat", payload: { runId: idempotencyKey, state: ["final", "error", "aborted"] } } }],
    },
    200_000,
  );
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.lines[0] as CallLine;
}

const finalText = (payload: unknown): string | undefined => (payload as { message?: { content?: { text?: string }[] } }).message?.content?.[0]?.text;

// Every tested release: each frames the person's message its own way (scripts/model-server/legacy-framing.ts).
// 2026.9.1 adds ~35 s (a 15 s start, 4 turns); 2026.9.6 starts in 30-90 s and its 500 case takes ~85 s.
// Legacy-only: the legacy (on its own Node 24) against the project's test model server, no runtime code of
// the project's, so CI runs it once, on Node 20 (test/releases-under-test.ts).
describe.skipIf(skipLegacyOnly).each(releasesUnderTest())("openclaw %s runs turns against the test model server", (version) => {
  beforeAll(async () => {
    models = await startModelServer();
    legacy = await startLegacyGateway({ version, modelServer: { baseUrl: models.baseUrl, modelId: "hanzo-test" } });
  });
  afterAll(async () => {
    await legacy?.stop();
    await models?.close();
  });

  it("`openclaw gateway call agent --expect-final` ends with the model server's scripted reply", { timeout: TURN_TIMEOUT_MS }, async () => {
    const message = "[[reply:Legacy agent turn via the test model server.]]";
    const r = await runOpenclawCli(legacy.install, ["gateway", "call", "agent", "--url", legacy.url, "--token", legacy.token, "--json", "--expect-final", "--timeout", "180000", "--params", JSON.stringify({ message, sessionKey: "agent:main:cli-agent", idempotencyKey: "legacy-models-agent-1" })], { timeoutMs: 200_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { status?: string; result?: { payloads?: { text?: string }[] } };
    expect(out.status).toBe("ok");
    expect(out.result?.payloads?.map((p) => p.text)).toEqual(["Legacy agent turn via the test model server."]);

    const seen = requestsFor("Legacy agent turn via");
    expect(seen).toHaveLength(1);
    const body = seen[0]?.body as { model: string; stream: boolean; tools?: { function: { name: string } }[] };
    expect(body.model).toBe("hanzo-test");
    expect(body.stream).toBe(true);
    expect(body.tools?.map((t) => t.function.name)).toContain("exec");
    expect(seen[0]?.outcome).toBe("streamed");
  });

  it("@openclaw/gateway-client chat.send: acked {runId, status: started}, then a chat final with the scripted reply", { timeout: TURN_TIMEOUT_MS }, async () => {
    const line = await chatSend("[[reply:Chat turn, streamed in pieces.]]", "legacy-models-chat-1");
    expect(line.ok, JSON.stringify(line)).toBe(true);
    if (!line.ok) return;
    expect(line.payload).toEqual({ runId: "legacy-models-chat-1", status: "started" });
    expect(line.until).toMatchObject({ runId: "legacy-models-chat-1", sessionKey: "agent:main:main", state: "final", stopReason: "stop" });
    expect(finalText(line.until)).toBe("Chat turn, streamed in pieces.");
    expect(requestsFor("Chat turn, streamed")).toHaveLength(1);
  });

  it("a scripted exec tool call runs on the gateway host and its output goes back to the model", { timeout: TURN_TIMEOUT_MS }, async () => {
    const line = await chatSend('[[tool:exec {"command":"echo hanzonode-tool-ok"}]]', "legacy-models-tool-1");
    expect(line.ok, JSON.stringify(line)).toBe(true);
    if (!line.ok) return;
    expect(finalText(line.until)).toBe("Tool exec returned: hanzonode-tool-ok");
    const seen = requestsFor("hanzonode-tool-ok");
    expect(seen).toHaveLength(2);
    const second = (seen[1]?.body as { messages: ChatMessageOut[] }).messages;
    const toolResult = second.find((m) => m.role === "tool");
    expect(JSON.stringify(toolResult?.content)).toContain("hanzonode-tool-ok");
  });

  // 2026.9.1 gives up after 4 requests (~12 s); 2026.9.6 retries up to 8 times within a 90 s window
  // (backoff 1 s doubling to 30 s, jittered): ~85 s on its own.
  it("a model server answering 500 is retried, then the run ends with a chat error", { timeout: 150_000 }, async () => {
    const line = await chatSend("[[fail:500]] provider down", "legacy-models-fail-1");
    expect(line.ok, JSON.stringify(line)).toBe(true);
    if (!line.ok) return;
    expect(line.until).toMatchObject({ runId: "legacy-models-fail-1", state: "error" });
    const seen = requestsFor("provider down");
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((r) => r.status === 500)).toBe(true);
  });
});
