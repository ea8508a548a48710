/**
 * Turns on one state dir, two live runtimes (issue #11, first slice): a real legacy gateway and hanzod on
 * its state dir, both pointed at the project's model server. A conversation started on the legacy
 * continues on hanzod and back, and both runtimes' `chat.history` show every turn identically; hanzod's
 * `chat` / `agent` events for a scripted turn are compared with the legacy's for the same reply; the same
 * idempotencyKey twice answers as the legacy answers.
 *
 * All turns go to one session (`agent:main:main`), the legacy's turn first (hanzod declines a session whose
 * first turn has not run: that turn writes the legacy's bootstrap events). Every turn is waited for by its
 * `chat` final event, then by the legacy's own `chat.history` showing the run done.
 *
 * A started turn is the sender's human activity: 2026.9.6 stamps the person's presence `lastActivityAt`
 * right after the ack (and broadcasts presence, at most every 30 s per person); compared on both runtimes.
 */
import { isDeepStrictEqual } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLegacyGateway, type LegacyGateway } from "../../scripts/legacy/index.js";
import { lastUserTurn, startModelServer, type ChatMessageIn, type ModelServer } from "../../scripts/model-server/index.js";
import { startHanzod, type HanzodHandle } from "../index.js";
import { connectFrame, connectOperator, isRes, newDeviceKey, openRaw, request, signedDevice, type Frame, type RawSession } from "./helpers.js";
import { ask, askBoth, type Answer } from "./live-compare.js";
import { releasesUnderTest } from "../../test/releases-under-test.js";

const SESSION = "agent:main:main";
const TURN_TIMEOUT_MS = 240_000;
/** The client both runtimes see (the gateway-client's identity: 2026.9.6 stores it with the turn). */
const CLIENT = { id: "gateway-client", version: "0.0.0", platform: "linux", mode: "backend" };

const VOLATILE = new Set(["snapshotAt"]);
function stripVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, stripVolatile(x)]));
  return v;
}

interface Turn {
  ack: Frame;
  /** The run's `chat` and `agent` events on the sending connection, in order. */
  events: Record<string, unknown>[];
}

const payloadOf = (f: Frame) => f.payload as Record<string, unknown>;
const isRunEvent = (runId: string) => (f: Frame) => f.type === "event" && (f.event === "chat" || f.event === "agent") && payloadOf(f).runId === runId;

/** Sends a turn and collects its events until the `chat` final/error. */
async function turn(s: RawSession, message: string, runId: string): Promise<Turn> {
  const from = s.frames.length;
  const ack = await request(s, "chat.send", { sessionKey: SESSION, message, idempotencyKey: runId });
  if (!ack.ok) return { ack, events: [] };
  await s.next((f) => isRunEvent(runId)(f) && f.event === "chat" && ["final", "error", "aborted"].includes(payloadOf(f).state as string), TURN_TIMEOUT_MS);
  const events = s.frames.slice(from).filter(isRunEvent(runId)).map((f) => ({ event: f.event, ...payloadOf(f) }));
  return { ack, events };
}

const finalText = (t: Turn): string | undefined => {
  const f = t.events.find((e) => e.event === "chat" && e.state === "final") as { message?: { content?: { text?: string }[] } } | undefined;
  return f?.message?.content?.[0]?.text;
};

/**
 * The comparable form of a run's events: the non-streaming events in order with their volatile values
 * (times, runId, itemId) replaced; the streaming ones (agent assistant, chat delta) apart.
 */
const TIMES = new Set(["ts", "timestamp", "startedAt", "endedAt"]);
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, TIMES.has(k) && typeof x === "number" ? "<time>" : k === "runId" || k === "turnId" ? "<run>" : k === "itemId" ? "<item>" : normalise(x)]));
  return v;
}
const isStreaming = (e: Record<string, unknown>) => (e.event === "agent" && e.stream === "assistant") || (e.event === "chat" && e.state === "delta");
const label = (e: Record<string, unknown>) => `${String(e.event)}:${String(e.state ?? e.stream)}${(e.data as { phase?: string } | undefined)?.phase ? `:${(e.data as { phase: string }).phase}` : e.phase ? `:${String(e.phase)}` : ""}`;

describe.each(releasesUnderTest())("chat.send: hanzod runs text turns on a running legacy's state (openclaw %s)", (release) => {
  let models: ModelServer;
  let legacy: LegacyGateway;
  let hz: HanzodHandle;
  const conns: RawSession[] = [];
  let onLegacy: RawSession, onHanzod: RawSession;

  /**
   * Waits until the runtime that ran the session's last turn shows it done (the legacy writes a run's end
   * after its final event). A hanzod turn is judged on hanzod's view, the stored row: the legacy's session
   * readers keep whatever row they last loaded until the legacy writes the session itself, so after a hanzod
   * turn the legacy may show hanzod's start-of-run row ("running") for good (observed; hanzod/state/README.md,
   * "`chat.send` (issue #11, first slice)"). That is why turns are opt-in and move with the session readers.
   */
  async function settled(ranOn: "legacy" | "hanzod" = "legacy"): Promise<void> {
    const deadline = Date.now() + 90_000;
    let info: Record<string, unknown> | undefined;
    while (Date.now() < deadline) {
      const a = await ask(ranOn === "legacy" ? onLegacy : onHanzod, "chat.history", { sessionKey: SESSION, limit: 1 });
      info = (a.payload as { sessionInfo?: Record<string, unknown> } | undefined)?.sessionInfo;
      if (info?.status === "done" && info.hasActiveRun === false) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the ${ranOn} never showed the run done: ${JSON.stringify(info)}`);
  }

  /** The texts the model server saw in the request whose last user turn carried `marker`. */
  function requestMessages(marker: string): { role: string; text: string }[] {
    const req = models.completions().find((r) => lastUserTurn((r.body as { messages?: ChatMessageIn[] }).messages ?? []).text.includes(marker));
    const messages = ((req?.body as { messages?: ChatMessageIn[] } | undefined)?.messages ?? []) as { role: string; content: unknown }[];
    return messages.map((m) => ({ role: m.role, text: typeof m.content === "string" ? m.content : JSON.stringify(m.content) }));
  }

  beforeAll(async () => {
    models = await startModelServer();
    legacy = await startLegacyGateway({ version: release, modelServer: { baseUrl: models.baseUrl, modelId: "hanzo-test" } });
    hz = await startHanzod({ port: 0, auth: { mode: "token", token: "t" }, stateDir: legacy.stateDir, logger: false, compat: release, turns: "text-only" });
    onLegacy = (await connectOperator(legacy.url, legacy.token, ["operator.admin"], CLIENT)).s;
    onHanzod = (await connectOperator(hz.url, "t", ["operator.admin"], CLIENT)).s;
    conns.push(onLegacy, onHanzod);
    // The session's first turn is the legacy's (its bootstrap events); hanzod declines it until then.
    const before = await request(onHanzod, "chat.send", { sessionKey: SESSION, message: "[[reply:never]]", idempotencyKey: "turns-too-early" });
    expect((before.error as { details?: { code?: string } } | undefined)?.details?.code).toBe("HANZOD_DECLINED");
    const first = await turn(onLegacy, "[[reply:First, from the legacy.]]", "turns-a-1");
    expect(finalText(first)).toBe("First, from the legacy.");
    await settled();
  }, TURN_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    for (const c of conns) c.close();
    await hz?.close();
    await legacy?.stop();
    await models?.close();
  });

  it("a conversation continues legacy -> hanzod -> legacy, and chat.history through both runtimes shows every turn identically", async () => {
    const second = await turn(onHanzod, "[[reply:Second, from hanzod.]]", "turns-a-2");
    expect(second.ack.payload).toEqual({ runId: "turns-a-2", status: "started" });
    expect(finalText(second)).toBe("Second, from hanzod.");
    await settled("hanzod");
    // hanzod's model call carried the legacy's turn before its own (no system prompt, no tools: see the README).
    expect(requestMessages("Second, from hanzod")).toEqual([
      { role: "user", text: "[[reply:First, from the legacy.]]" },
      { role: "assistant", text: "First, from the legacy." },
      { role: "user", text: "[[reply:Second, from hanzod.]]" },
    ]);
    const third = await turn(onLegacy, "[[reply:Third, from the legacy again.]]", "turns-a-3");
    expect(finalText(third)).toBe("Third, from the legacy again.");
    await settled();
    // The legacy's next model call saw hanzod's turn in its context (it re-read the transcript hanzod wrote).
    const legacyContext = requestMessages("Third, from the legacy again").map((m) => m.text).join("\n");
    expect(legacyContext).toContain("Second, from hanzod.");

    const { legacy: l, hanzod: h } = await askBoth<Answer>(() => ask(onLegacy, "chat.history", { sessionKey: SESSION }), () => ask(onHanzod, "chat.history", { sessionKey: SESSION }), "chat.history", (a, b) => isDeepStrictEqual(stripVolatile(a), stripVolatile(b)));
    expect(stripVolatile(h)).toEqual(stripVolatile(l));
    const messages = (l.payload as { messages: { role: string; content: unknown; __openclaw: { runId?: string } }[] }).messages;
    const texts = messages.map((m) => (typeof m.content === "string" ? m.content : (m.content as { text: string }[])[0]?.text));
    expect(texts).toEqual(["[[reply:First, from the legacy.]]", "First, from the legacy.", "[[reply:Second, from hanzod.]]", "Second, from hanzod.", "[[reply:Third, from the legacy again.]]", "Third, from the legacy again."]);
    expect(messages[3]?.__openclaw.runId).toBe("turns-a-2");
    // sessions.get (the raw read) agrees too.
    const raw = await askBoth<Answer>(() => ask(onLegacy, "sessions.get", { key: SESSION }), () => ask(onHanzod, "sessions.get", { key: SESSION }), "sessions.get");
    expect(raw.hanzod).toEqual(raw.legacy);
  }, 3 * TURN_TIMEOUT_MS);

  it("the chat and agent events of a scripted turn: the legacy's names, states, shapes and seq", async () => {
    const reply = "Events compared, one word per chunk.";
    const l = await turn(onLegacy, `[[reply:${reply}]] legacy`, "turns-b-legacy");
    await settled();
    const h = await turn(onHanzod, `[[reply:${reply}]] hanzod`, "turns-b-hanzod");
    await settled("hanzod");
    expect(h.ack.payload).toEqual({ runId: "turns-b-hanzod", status: "started" });
    expect(finalText(h)).toBe(reply);
    expect(finalText(l)).toBe(reply);

    // Every non-streaming event, in order, equal after times and run ids (labels first, for a readable failure).
    const fixed = (t: Turn) => t.events.filter((e) => !isStreaming(e));
    expect(fixed(h).map(label)).toEqual(fixed(l).map(label));
    expect(normalise(fixed(h))).toEqual(normalise(fixed(l)));

    // Streaming events. Known difference (by design): the legacy coalesces assistant events on a busy
    // socket (liveText delivery: the later event, its delta merged with the dropped ones') and so sends
    // fewer; hanzod sends one per model chunk. Each the legacy sent has hanzod's event of the same seq and
    // cumulative text, and its delta is the text added since the legacy's previous one.
    const assistant = (t: Turn) => t.events.filter((e) => e.event === "agent" && e.stream === "assistant").map((e) => ({ seq: e.seq, ...(e.data as { text: string; delta: string }) }));
    const hanzodAssistant = assistant(h);
    expect(hanzodAssistant.map((a) => a.delta).join("")).toBe(reply);
    let previous = "";
    for (const a of assistant(l)) {
      expect(hanzodAssistant.find((x) => x.seq === a.seq)?.text).toBe(a.text);
      expect(a.delta).toBe(a.text.slice(previous.length));
      previous = a.text;
    }
    // Chat deltas: the same shape; each a cumulative message, the deltaTexts adding up to it, the last equal
    // to the final text. Known difference: how many (the legacy's 75 ms pacing and socket coalescing depend
    // on timing), so neither their number nor their seq is compared.
    for (const t of [l, h]) {
      const deltas = t.events.filter((e) => e.event === "chat" && e.state === "delta") as { deltaText: string; message: { content: { text: string }[] } }[];
      expect(deltas.length).toBeGreaterThan(0);
      let acc = "";
      for (const d of deltas) {
        acc += d.deltaText;
        expect(d.message.content[0]?.text).toBe(acc);
      }
      expect(acc).toBe(reply);
    }
    const shape = (e: unknown) => Object.keys(e as object);
    expect(shape(h.events.find((e) => e.state === "delta"))).toEqual(shape(l.events.find((e) => e.state === "delta")));
    // The per-run seq never goes back, and a chat event carries the seq of the agent event before it.
    for (const t of [l, h]) {
      let last = 0;
      for (const e of t.events) {
        expect(e.seq as number).toBeGreaterThanOrEqual(last);
        last = e.seq as number;
      }
    }
  }, 2 * TURN_TIMEOUT_MS + 60_000);

  it("the same idempotencyKey twice: in_flight while the run goes, ok after it, on both runtimes", async () => {
    for (const [s, runId] of [
      [onLegacy, "turns-c-legacy"],
      [onHanzod, "turns-c-hanzod"],
    ] as const) {
      // A slow model (200 ms before each chunk) keeps the run going while the key is sent again.
      const message = "[[delay:200]] [[reply:Sent twice, run once.]]";
      const calls = () => models.completions().filter((r) => lastUserTurn((r.body as { messages?: ChatMessageIn[] }).messages ?? []).text.includes("Sent twice")).length;
      const callsBefore = calls();
      const ack = await request(s, "chat.send", { sessionKey: SESSION, message, idempotencyKey: runId });
      expect(ack.payload).toEqual({ runId, status: "started" });
      const again = await request(s, "chat.send", { sessionKey: SESSION, message, idempotencyKey: runId });
      expect({ runId, again: again.payload }).toEqual({ runId, again: { runId, status: "in_flight" } });
      await s.next((f) => isRunEvent(runId)(f) && f.event === "chat" && payloadOf(f).state === "final", TURN_TIMEOUT_MS);
      await settled(s === onHanzod ? "hanzod" : "legacy");
      const after = await request(s, "chat.send", { sessionKey: SESSION, message, idempotencyKey: runId });
      expect({ runId, after: after.payload }).toEqual({ runId, after: { runId, status: "ok" } });
      // One run, one model call.
      expect(calls() - callsBefore).toBe(1);
    }
    // The legacy's key sent to hanzod: its dedupe answer is in the legacy's memory, so hanzod declines it
    // (the proxy hands it to the legacy) instead of running the turn a second time.
    const foreign = await request(onHanzod, "chat.send", { sessionKey: SESSION, message: "[[reply:Sent twice, run once.]]", idempotencyKey: "turns-c-legacy" });
    expect((foreign.error as { details?: { code?: string } } | undefined)?.details?.code).toBe("HANZOD_DECLINED");
    const history = (await ask(onLegacy, "chat.history", { sessionKey: SESSION })).payload as { messages: { content: unknown }[] };
    const sent = history.messages.filter((m) => typeof m.content === "string" && m.content.includes("Sent twice"));
    expect(sent).toHaveLength(2);
  }, 2 * TURN_TIMEOUT_MS);
  it("a started chat.send is the sender's activity: 2026.9.6 broadcasts presence with its lastActivityAt right after the ack, before the run's events, on both runtimes (2026.9.1: no such broadcast)", async () => {
    const key = newDeviceKey();
    /** A tracked operator with a device (the legacy attributes it to the gateway owner from 2026.9.6). */
    async function person(url: string, token: string, instanceId: string): Promise<RawSession> {
      const s = await openRaw(url);
      const scopes = ["operator.admin"];
      const device = signedDevice({ key, scopes, token, nonce: s.challenge.nonce, signedAt: Date.now() });
      s.send(connectFrame({ client: { id: "test", version: release, platform: "linux", mode: "test", instanceId }, role: "operator", scopes, auth: { token }, device }));
      const hello = await s.next(isRes("c1"));
      if (hello.ok !== true) throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
      conns.push(s);
      return s;
    }
    type Seen = { presenceAfterAck: boolean; beforeRunEvents: boolean; lastActivityAt: unknown; stampedInTime: boolean; user: string | undefined };
    const seen: Record<string, Seen> = {};
    // hanzod's turn first: the legacy writes a non-UI sender's name into the user turn it stores (inbound
    // metadata), which hanzod then declines to continue (chat.send's projection refusals).
    for (const [runtime, url, token] of [
      ["hanzod", hz.url, "t"],
      ["legacy", legacy.url, legacy.token],
    ] as const) {
      const instanceId = `turns-activity-${runtime}`;
      const s = await person(url, token, instanceId);
      const runId = `turns-d-${runtime}`;
      const sentAt = Date.now();
      const from = s.frames.length;
      const ack = await request(s, "chat.send", { sessionKey: SESSION, message: "[[reply:Activity.]]", idempotencyKey: runId });
      expect(ack.payload).toMatchObject({ runId, status: "started" });
      await s.next((f) => isRunEvent(runId)(f) && f.event === "chat" && payloadOf(f).state === "final", TURN_TIMEOUT_MS);
      const ackedAt = Date.now();
      await settled(runtime);
      const frames = s.frames.slice(from);
      const ackIndex = frames.findIndex((f) => f.type === "res" && (f.payload as { runId?: string } | undefined)?.runId === runId);
      const firstRunEvent = frames.findIndex(isRunEvent(runId));
      const presenceIndex = frames.findIndex((f, i) => i > ackIndex && f.type === "event" && f.event === "presence");
      const own = presenceIndex < 0 ? undefined : (payloadOf(frames[presenceIndex]!).presence as Record<string, unknown>[]).find((r) => r.instanceId === instanceId);
      const at = own?.lastActivityAt;
      seen[runtime] = {
        presenceAfterAck: presenceIndex > ackIndex,
        beforeRunEvents: presenceIndex >= 0 && presenceIndex < firstRunEvent,
        lastActivityAt: typeof at,
        stampedInTime: typeof at === "number" && at >= sentAt && at <= ackedAt,
        // The person only: the avatar revision in `user` is the owner row's, which each runtime reads at its own time.
        user: (own?.user as { id?: string } | undefined)?.id,
      };
    }
    expect(seen.hanzod).toEqual(seen.legacy);
    if (release === "2026.9.1") expect(seen.legacy).toMatchObject({ presenceAfterAck: false, lastActivityAt: "undefined" });
    else expect(seen.legacy).toMatchObject({ presenceAfterAck: true, beforeRunEvents: true, lastActivityAt: "number", stampedInTime: true, user: "gateway-owner" });
  }, 2 * TURN_TIMEOUT_MS);
});
