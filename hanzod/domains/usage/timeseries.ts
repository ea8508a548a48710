/**
 * `sessions.usage.timeseries` (dist usage handlers + session-cost-usage `loadSessionUsageTimeSeries`, both
 * releases): one session's usage records, read from its stored transcript on every call (no result cache,
 * no rollup, no write), one point per user/assistant/tool record carrying usage and a timestamp, sorted by
 * time, with running totals. The legacy caps the answer at 200 points by bucketing (differently per
 * release); hanzod declines a session with more.
 *
 * A point's cost comes from the record's recorded cost, or from the model's rates where the legacy
 * estimates one (2026.9.1: every record whose recorded cost is 0 or absent; 2026.9.6: every record
 * without a recorded positive cost). hanzod answers only where it proves those rates zero (or absent:
 * state/usage-pricing.ts); then both releases give `cost` = the recorded total when positive, else 0.
 */
import { invalidRequest } from "../../core/method.js";
import { normalizeOptionalString } from "../../core/legacy-strings.js";
import type { SessionStoreReader } from "../../state/sessions.js";
import type { TranscriptReader } from "../../state/transcripts.js";
import type { UsagePricing } from "../../state/usage-pricing.js";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { resolveSessionKey } from "../sessions/describe.js";
import { unavailable } from "../sessions/list.js";
import { isRecord } from "../../../protocol/index.js";

export interface UsageReadState {
  stateDir: string;
  sessions: SessionStoreReader;
  transcripts: TranscriptReader;
  pricing: UsagePricing;
}

/** The releases whose timeseries path was read and compared (the `agentId` param is read from 2026.9.6 on). */
const RELEASES: Record<string, { agentIdParam: boolean; malformedKeyAnswered: boolean }> = {
  // 2026.9.1 refuses a malformed key (`agent:`) later, in its session lookup ("Invalid session key: ..."):
  // seen live for one spelling only, so hanzod declines them there.
  "2026.9.1": { agentIdParam: false, malformedKeyAnswered: false },
  "2026.9.6": { agentIdParam: true, malformedKeyAnswered: true },
};
const MALFORMED_KEY = /^agent:(?:[^:]*)?$|^agent::/i;
const MAX_POINTS = 200;
/** The raw usage shape the legacy's transcripts record; others go through provider-specific aliases (normalizeUsage), not ported. */
const USAGE_KEYS = new Set(["input", "output", "cacheRead", "cacheWrite", "totalTokens", "cost"]);
const COST_KEYS = new Set(["input", "output", "cacheRead", "cacheWrite", "total", "totalOrigin"]);
const SIMPLE_SESSION_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

interface Point {
  timestamp: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  cost: number;
}

function finite(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** dist usage `normalizeTokenCount`. */
function tokenCount(v: unknown): number | undefined {
  const n = finite(v);
  if (n === undefined) return undefined;
  return n <= 0 ? 0 : Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER);
}

/** dist session-cost-usage `parseTimestamp`: the message's numeric time, else the record's ISO time. */
function recordTime(record: Record<string, unknown>, message: Record<string, unknown>): number | undefined {
  const n = finite(message.timestamp);
  if (n !== undefined && !Number.isNaN(new Date(n).valueOf())) return new Date(n).getTime();
  if (typeof record.timestamp === "string") {
    const t = new Date(record.timestamp).valueOf();
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

class Decline extends Error {}

/** One stored event as a point, undefined when the legacy skips it; throws Decline where hanzod cannot follow. */
function pointOf(state: UsageReadState, cfg: Record<string, unknown>, agentId: string, json: string): Point | undefined {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    throw new Decline("a transcript event that is not JSON");
  }
  if (!isRecord(record)) return undefined;
  const message = record.message;
  if (!isRecord(message)) return undefined;
  if (!["user", "assistant", "tool", "toolResult"].includes(message.role as string)) return undefined;
  const raw = message.usage ?? record.usage;
  if (!raw) return undefined;
  if (!isRecord(raw) || !Object.keys(raw).every((k) => USAGE_KEYS.has(k))) throw new Decline("a usage record of another shape");
  for (const k of ["input", "output", "cacheRead", "cacheWrite", "totalTokens"]) if (raw[k] !== undefined && typeof raw[k] !== "number") throw new Decline("a usage record of another shape");
  if (raw.cost !== undefined && (!isRecord(raw.cost) || !Object.keys(raw.cost).every((k) => COST_KEYS.has(k)))) throw new Decline("a usage cost of another shape");
  const input = tokenCount(raw.input);
  const output = tokenCount(raw.output);
  const cacheRead = tokenCount(raw.cacheRead);
  const cacheWrite = tokenCount(raw.cacheWrite);
  const total = tokenCount(raw.totalTokens);
  const recorded = isRecord(raw.cost) ? finite(raw.cost.total) : undefined;
  const costTotal = recorded !== undefined && recorded >= 0 ? recorded : undefined;
  // normalizeUsage: no bucket and no cost is no usage at all.
  if (input === undefined && output === undefined && cacheRead === undefined && cacheWrite === undefined && total === undefined && costTotal === undefined) return undefined;
  const timestamp = recordTime(record, message);
  if (!timestamp) return undefined;
  const provider = typeof message.provider === "string" ? message.provider : record.provider;
  const model = typeof message.model === "string" ? message.model : record.model;
  const proof = state.pricing.prove(cfg, agentId, provider, model);
  if (!proof.zero) throw new Decline(proof.reason);
  const sum = (input ?? 0) + (output ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0);
  return { timestamp, input: input ?? 0, output: output ?? 0, cacheRead: cacheRead ?? 0, cacheWrite: cacheWrite ?? 0, totalTokens: total ?? sum, cost: costTotal !== undefined && costTotal > 0 ? costTotal : 0 };
}

export function sessionsUsageTimeseries(state: UsageReadState, release: string, params: Record<string, unknown>): Record<string, unknown> {
  const rules = RELEASES[release];
  if (!rules) throw unavailable(`sessions.usage.timeseries as openclaw ${release}`);
  const key = normalizeOptionalString(params.key);
  if (!key) throw invalidRequest("key is required for timeseries");
  if (!rules.malformedKeyAnswered && MALFORMED_KEY.test(key)) throw unavailable(`sessions.usage.timeseries of a malformed session key as openclaw ${release}`);
  const noTranscript = () => invalidRequest(`No transcript found for session: ${key}`);
  try {
    const cfg = state.sessions.config();
    const { agentId, key: canonical } = resolveSessionKey(state.sessions, cfg, key, rules.agentIdParam ? normalizeOptionalString(params.agentId) : undefined);
    const target = state.sessions.targets(cfg).targets.find((t) => t.agentId === agentId);
    if (!target || !target.configured) throw new Decline(`a session of an agent the config does not declare ("${key}")`);
    const entry = state.sessions.read([target], canonical)[0]?.entry;
    const sessionId = typeof entry?.sessionId === "string" && entry.sessionId ? entry.sessionId : undefined;
    if (!entry || !sessionId) {
      // No stored session: the legacy probes a transcript file `<sessionId>.jsonl` (and its archives) in the
      // agent's sessions dir; without that dir there is none.
      if (entry) throw new Decline("a stored session without a session id");
      const rest = canonical.split(":").slice(2).join(":");
      if (!SIMPLE_SESSION_ID.test(rest) || existsSync(join(state.stateDir, "agents", agentId, "sessions"))) throw new Decline("a session the legacy looks up among transcript files");
      throw noTranscript();
    }
    // A legacy `sessionFile` on the entry can point the read elsewhere; only one naming this very transcript is followed.
    if (entry.sessionFile !== undefined) {
      const m = typeof entry.sessionFile === "string" ? /^sqlite:([^:]+):([^:]+):(.*)$/.exec(entry.sessionFile.trim()) : null;
      if (!m || m[1] !== agentId || m[2] !== sessionId || resolve(m[3] as string) !== resolve(target.storePath)) throw new Decline("a session whose sessionFile names another transcript");
    }
    const transcript = state.transcripts.snapshot(target.storePath, sessionId);
    if (!transcript || transcript.maxSeq === undefined) return { sessionId, points: [] };
    if (transcript.coldArchived) throw new Decline("a cold-archived transcript");
    const index = transcript.index;
    if (!index || index.needsRebuild || index.indexedSeq < transcript.maxSeq) throw new Decline("a transcript whose branch index is behind its events");
    const points: Point[] = [];
    for (const e of transcript.events) {
      if (e.eventJson === null) throw new Decline("a compressed transcript event");
      const p = pointOf(state, cfg, agentId, e.eventJson);
      if (p) points.push(p);
    }
    if (points.length > MAX_POINTS) throw new Decline(`a session with more than ${MAX_POINTS} usage points (the releases bucket them differently)`);
    points.sort((a, b) => a.timestamp - b.timestamp);
    let cumulativeTokens = 0;
    let cumulativeCost = 0;
    return {
      sessionId,
      points: points.map((p) => {
        cumulativeTokens += p.totalTokens;
        cumulativeCost += p.cost;
        return { ...p, cumulativeTokens, cumulativeCost };
      }),
    };
  } catch (err) {
    if (err instanceof Decline) throw unavailable(`sessions.usage.timeseries of ${err.message}`);
    throw err;
  }
}
