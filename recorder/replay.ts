/**
 * Replay: plays the client side of recorded fixtures against a target (legacy or hanzod) and compares
 * what comes back with the recording.
 *
 * Rules (documented in fixtures/README.md):
 *  - client frames are sent in recorded order; before each one, replay waits for every recorded answer
 *    that preceded it (responses, and significant events);
 *  - responses are matched by id (several per id allowed, in order), so out-of-order answers are fine;
 *  - events are compared only when significant: `connect.challenge` always (the client waits for it),
 *    any other event only when its fixture line says `"significant": true`; ticks, health, presence and
 *    other broadcasts interleave nondeterministically and are not compared;
 *  - when the recording ends with the server closing, the target must close with the same code; when
 *    the client closed, replay closes the same way and the target must not have closed first.
 */
import { basename } from "node:path";
import { createDeviceIdentity, decodeFrame, releaseValidator, signDeviceBlock, type DeviceIdentity } from "../protocol/index.js";
import { compareAnswers, contractDifferences, DEFAULT_RULES, type Difference, type RuleSet } from "../parity/compare/index.js";
import { frameWireData, readFixture, type Fixture, type FixtureFrame } from "../protocol/fixture-format.js";
import { ReplaySession, type Received } from "./replay-session.js";
import { MASK, ReplaySecrets, maskSecrets } from "./secrets-in-replay.js";
import { DeviationIndex, loadDeviations, type Deviation } from "./deviations.js";
import { isPlaceholder } from "../protocol/redact.js";

export interface ReplayOptions {
  /** ws://host:port of the target runtime. */
  target: string;
  /** The target's shared token; substituted for the recording's gateway-token placeholder. */
  token: string;
  files: string[];
  rules?: RuleSet;
  /** Validate every frame the target sends against the frozen contract. */
  checkContract?: boolean;
  /** Which contract checkContract means: a frozen release (fixtures/contract/<release>/), or the pinned package (default). */
  contractRelease?: string;
  /** Known deviations (default: fixtures/deviations.json). */
  deviations?: Deviation[];
  /** Deadline for each awaited answer. */
  answerTimeoutMs?: number;
  /** Called after each fixture (progress reporting). */
  onResult?: (result: FixtureResult, index: number, total: number) => void;
}

export interface ReplayDifference extends Difference {
  /** Which recorded frame the difference belongs to, e.g. `res 2:ab12 (health)`. */
  at: string;
}

export interface ContractFinding {
  fixture: string;
  at: string;
  definition: string;
  path: string;
  issue: string;
  /** The deviations.json entry that covers it, when this is a known deviation. */
  knownReason?: string;
}

/** One request/answer pair of a fixture, judged on its own (for per-method replay results). */
export interface ExchangeResult {
  method: string;
  /** The recorded answer, e.g. `res 2:ab12 (health)`. */
  at: string;
  /** No difference in this answer and none at fixture level (closes, events, errors). */
  ok: boolean;
  /** The first difference that made it fail, one line, secrets masked. */
  firstFailure?: string;
}

export interface FixtureResult {
  fixture: string;
  file: string;
  ok: boolean;
  durationMs: number;
  framesSent: number;
  framesReceived: number;
  differences: ReplayDifference[];
  contract: ContractFinding[];
  /** Every answered request of the fixture, by method (a fixture-level failure fails them all). */
  exchanges: ExchangeResult[];
  /** Set when the fixture could not be replayed at all (unreadable, target unreachable). */
  error?: string;
}

export interface ReplayReport {
  target: string;
  ok: boolean;
  passed: number;
  failed: number;
  results: FixtureResult[];
  /** Contract findings not covered by a known deviation, grouped by definition (only with checkContract). */
  drift: Record<string, ContractFinding[]>;
}

const DEFAULT_ANSWER_TIMEOUT_MS = 15_000;

export async function replayFixtures(opts: ReplayOptions): Promise<ReplayReport> {
  const results: FixtureResult[] = [];
  const deviations = new DeviationIndex(opts.deviations ?? loadDeviations());
  for (const [i, file] of opts.files.entries()) {
    const r = await replayFile(file, opts, deviations);
    results.push(r);
    opts.onResult?.(r, i, opts.files.length);
  }
  const drift: Record<string, ContractFinding[]> = {};
  for (const r of results) for (const c of r.contract) if (!c.knownReason) (drift[c.definition] ??= []).push(c);
  const failed = results.filter((r) => !r.ok).length;
  return { target: opts.target, ok: failed === 0 && (!opts.checkContract || Object.keys(drift).length === 0), passed: results.length - failed, failed, results, drift };
}

async function replayFile(file: string, opts: ReplayOptions, deviations: DeviationIndex): Promise<FixtureResult> {
  const started = Date.now();
  let fixture: Fixture;
  try {
    fixture = readFixture(file);
  } catch (err) {
    return failure(file, started, `unreadable fixture: ${(err as Error).message}`);
  }
  try {
    return await new FixtureReplay(fixture, opts, deviations).run(started);
  } catch (err) {
    const error = (err as Error).message;
    // Every request of the fixture went unanswered: each counts against its method.
    const exchanges = requestedMethods(fixture).map((r) => ({ method: r.method, at: `req ${r.id} (${r.method})`, ok: false, firstFailure: error }));
    return { ...failure(file, started, error), exchanges };
  }
}

function failure(file: string, started: number, error: string): FixtureResult {
  return { fixture: basename(file), file, ok: false, durationMs: Date.now() - started, framesSent: 0, framesReceived: 0, differences: [], contract: [], exchanges: [], error };
}

function requestedMethods(fixture: Fixture): { id: string; method: string }[] {
  const out: { id: string; method: string }[] = [];
  for (const line of fixture.frames) {
    const f = line.frame;
    if (line.dir === "c2s" && f?.type === "req" && typeof f.id === "string" && typeof f.method === "string") out.push({ id: f.id, method: f.method });
  }
  return out;
}

/** One line for a difference (used as an exchange's first failure). */
export function describeDifference(d: ReplayDifference): string {
  const show = (v: unknown): string => {
    const text = v === undefined ? "—" : JSON.stringify(v) ?? String(v);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  };
  return `${d.at}: ${d.kind} at ${d.path}: expected ${show(d.expected)}, got ${show(d.actual)}${d.note ? ` (${d.note})` : ""}`;
}

type Expectation = { kind: "res"; id: string; line: FixtureFrame } | { kind: "event"; event: string; line: FixtureFrame };

function describe(f: Record<string, unknown> | undefined, method?: string): string {
  if (!f) return "raw frame";
  if (f.type === "res") return `res ${String(f.id)}${method ? ` (${method})` : ""}`;
  if (f.type === "event") return `event ${String(f.event)}`;
  return `req ${String(f.id)} (${String(f.method)})`;
}

class FixtureReplay {
  private readonly differences: ReplayDifference[] = [];
  private readonly exchanges: { method: string; at: string; differences: ReplayDifference[] }[] = [];
  private readonly methodsById = new Map<string, string>();
  private readonly secrets: ReplaySecrets;
  private readonly rules: RuleSet;
  private readonly timeout: number;
  private identity: DeviceIdentity | undefined;
  private challenge: { nonce?: string; ts?: number } = {};
  private framesSent = 0;

  constructor(
    private readonly fixture: Fixture,
    private readonly opts: ReplayOptions,
    private readonly deviations: DeviationIndex,
  ) {
    this.secrets = new ReplaySecrets(fixture.header.redaction.gatewayToken, opts.token);
    this.rules = opts.rules ?? DEFAULT_RULES;
    this.timeout = opts.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    this.bindUnlabelledToken();
  }

  /** Fixtures recorded without knowing the token: the first connect's auth.token/password is the gateway token. */
  private bindUnlabelledToken(): void {
    if (this.fixture.header.redaction.gatewayToken) return;
    const connect = this.fixture.frames.find((f) => f.dir === "c2s" && f.frame?.method === "connect");
    const auth = (connect?.frame?.params as { auth?: Record<string, unknown> } | undefined)?.auth;
    for (const k of ["token", "password"]) {
      const v = auth?.[k];
      if (typeof v === "string" && isPlaceholder(v)) this.secrets.bindToken(v, this.opts.token);
    }
  }

  async run(started: number): Promise<FixtureResult> {
    const { header, frames } = this.fixture;
    const url = this.opts.target.replace(/\/+$/, "") + (header.connection.path || "/");
    const session = await ReplaySession.open(url, this.upgradeHeaders(), this.timeout);
    try {
      const pending: Expectation[] = [];
      for (const line of frames) {
        if (line.dir === "s2c") {
          const f = line.frame;
          if (f?.type === "res" && typeof f.id === "string") pending.push({ kind: "res", id: f.id, line });
          else if (f?.type === "event" && typeof f.event === "string" && (f.event === "connect.challenge" || line.significant)) pending.push({ kind: "event", event: f.event, line });
          continue;
        }
        await this.satisfy(session, pending.splice(0));
        this.sendClientFrame(session, line);
      }
      await this.satisfy(session, pending.splice(0));
      await this.checkClose(session);
    } finally {
      session.terminate();
    }
    const contract = this.opts.checkContract ? this.contractFindings(session.inbox) : [];
    const own = new Set(this.exchanges.flatMap((e) => e.differences));
    // Differences were computed on secret-masked frames, so their text is safe to store.
    const fixtureLevel = this.differences.find((d) => !own.has(d));
    const exchanges: ExchangeResult[] = this.exchanges.map((e) => {
      const first = e.differences[0] ?? fixtureLevel;
      return { method: e.method, at: e.at, ok: first === undefined, ...(first ? { firstFailure: describeDifference(first) } : {}) };
    });
    return {
      fixture: basename(this.fixture.path),
      file: this.fixture.path,
      ok: this.differences.length === 0,
      durationMs: Date.now() - started,
      framesSent: this.framesSent,
      framesReceived: session.inbox.length,
      differences: this.differences,
      contract,
      exchanges,
    };
  }

  private upgradeHeaders(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.fixture.header.connection.headers)) {
      if (name.startsWith("sec-websocket-")) continue; // the ws library negotiates these itself
      const v = this.secrets.substitute(value);
      if (!v.includes("<redacted:")) out[name] = v;
    }
    return out;
  }

  private async satisfy(session: ReplaySession, expectations: Expectation[]): Promise<void> {
    for (const exp of expectations) {
      const expected = exp.line.frame as Record<string, unknown>;
      const method = exp.kind === "res" ? this.methodsById.get(exp.id) : undefined;
      const at = describe(expected, method);
      const got: Received | undefined =
        exp.kind === "res"
          ? await session.take((r) => r.frame?.type === "res" && r.frame.id === exp.id, this.timeout)
          : await session.take((r) => r.frame?.type === "event" && r.frame.event === exp.event, this.timeout);
      const exchange = exp.kind === "res" && method !== undefined ? { method, at, differences: [] as ReplayDifference[] } : undefined;
      if (exchange) this.exchanges.push(exchange);
      if (!got?.frame) {
        const why = session.closed ? `target closed (${session.closed.code}) before answering` : `no answer within ${this.timeout} ms`;
        const d: ReplayDifference = { kind: "missing", path: "/", at, expected: summarize(expected), note: why };
        this.differences.push(d);
        exchange?.differences.push(d);
        continue;
      }
      if (exp.kind === "event" && exp.event === "connect.challenge") {
        const p = got.frame.payload as { nonce?: unknown; ts?: unknown } | undefined;
        this.challenge = { ...(typeof p?.nonce === "string" ? { nonce: p.nonce } : {}), ...(typeof p?.ts === "number" ? { ts: p.ts } : {}) };
      }
      this.secrets.learn(expected, got.frame);
      const diffs = compareAnswers(maskSecrets(expected), maskSecrets(got.frame), this.rules, method !== undefined ? { method } : {});
      for (const d of diffs) {
        const rd: ReplayDifference = { ...d, at };
        this.differences.push(rd);
        exchange?.differences.push(rd);
      }
    }
  }

  private sendClientFrame(session: ReplaySession, line: FixtureFrame): void {
    let data: string | Buffer;
    let isBinary = false;
    if (line.frame) {
      let frame = this.secrets.substituteValue(line.frame);
      if (frame.type === "req" && typeof frame.id === "string" && typeof frame.method === "string") {
        this.methodsById.set(frame.id, frame.method);
        if (frame.method === "connect") frame = this.resignDevice(frame);
      }
      data = JSON.stringify(frame);
    } else {
      const wire = frameWireData(line);
      isBinary = wire.isBinary;
      data = typeof wire.data === "string" ? this.secrets.substitute(wire.data) : wire.data;
      // Raw lines are frames the codec refused or whose text is not canonical: only a request the codec
      // accepts has an id and method the target can answer by.
      const decoded = isBinary ? undefined : decodeFrame(data);
      if (decoded?.ok && decoded.frame.type === "req") this.methodsById.set(decoded.frame.id, decoded.frame.method);
    }
    if (session.send(data, isBinary)) this.framesSent++;
    else if (!session.closed?.byTarget || this.fixture.close?.by !== "upstream") {
      // The recorded client could still send here; the target had already closed on us.
      this.differences.push({ kind: "close", path: "/close", at: describe(line.frame), expected: "open", actual: session.closed?.code, note: "target closed before the client finished" });
    }
  }

  /** A recorded device proof is redacted and bound to an old nonce: sign a fresh identity for this socket. */
  private resignDevice(frame: Record<string, unknown>): Record<string, unknown> {
    const params = frame.params as Record<string, unknown> | undefined;
    if (!params || typeof params.device !== "object" || params.device === null) return frame;
    this.identity ??= createDeviceIdentity();
    const client = (params.client ?? {}) as Record<string, unknown>;
    const auth = (params.auth ?? {}) as Record<string, unknown>;
    const token = [auth.token, auth.deviceToken, auth.bootstrapToken].find((t): t is string => typeof t === "string") ?? "";
    const fields = {
      clientId: String(client.id ?? ""),
      clientMode: String(client.mode ?? ""),
      role: typeof params.role === "string" ? params.role : "operator",
      scopes: Array.isArray(params.scopes) ? params.scopes.map(String) : [],
      token,
      platform: client.platform,
      deviceFamily: client.deviceFamily,
    };
    const device = signDeviceBlock(this.identity, fields, this.challenge.ts ?? Date.now(), this.challenge.nonce ?? "");
    return { ...frame, params: { ...params, device } };
  }

  private async checkClose(session: ReplaySession): Promise<void> {
    const recorded = this.fixture.close;
    if (recorded?.by === "upstream") {
      const got = await session.waitClosed(this.timeout);
      if (!got) this.differences.push({ kind: "close", path: "/close/code", at: "close", expected: recorded.code, actual: "still open", note: "the recorded server closed the connection" });
      else if (got.code !== recorded.code) this.differences.push({ kind: "close", path: "/close/code", at: "close", expected: recorded.code, actual: got.code });
      return;
    }
    if (session.closed?.byTarget) {
      this.differences.push({ kind: "close", path: "/close/code", at: "close", expected: recorded ? `client closes (${recorded.code})` : "open", actual: session.closed.code, note: "target closed the connection; the recording did not" });
      return;
    }
    await session.close(recorded?.code, this.timeout);
  }

  private contractFindings(inbox: Received[]): ContractFinding[] {
    const out: ContractFinding[] = [];
    for (const r of inbox) {
      if (!r.frame) continue;
      const method = r.frame.type === "res" && typeof r.frame.id === "string" ? this.methodsById.get(r.frame.id) : undefined;
      const at = describe(r.frame, method);
      for (const d of contractDifferences(r.frame, method, this.opts.contractRelease ? releaseValidator(this.opts.contractRelease) : undefined)) {
        const known = this.deviations.find(d);
        out.push({
          fixture: basename(this.fixture.path),
          at,
          definition: d.definition ?? "?",
          path: d.path,
          issue: d.note ?? "",
          ...(known ? { knownReason: known.reason } : {}),
        });
      }
    }
    return out;
  }
}

/** Short view of an expected frame for a report line (secrets masked). */
function summarize(frame: Record<string, unknown>): unknown {
  const masked = maskSecrets(frame);
  const text = JSON.stringify(masked);
  return text.length > 300 ? `${text.slice(0, 300)}…` : masked;
}

export { MASK };
