/**
 * A run's event sequence, as labels: what per-run comparison (shadowed chat.send / agent) lines up between
 * the legacy and hanzod. A label keeps what orders a run (event, stream or state, phase) and drops what
 * varies (text, timestamps, ids); consecutive repeats collapse, because the legacy coalesces stream
 * deltas by time, so their count is not part of the contract (the cumulative text is).
 */

import { asRecord } from "../../protocol/index.js";

type Payload = Record<string, unknown>;

const obj = (v: unknown): Payload => asRecord(v) ?? {};
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export interface RunRef {
  runId: string;
  /** Events about this session without a runId (session.message, sessions.changed) belong to the run too. */
  sessionKey?: string;
}

/** Whether an event frame's payload is about this run. */
export function belongsToRun(payload: Payload, run: RunRef): boolean {
  if (payload.runId === run.runId) return true;
  const task = obj(payload.task);
  if (task.runId === run.runId || task.sourceId === run.runId) return true;
  return run.sessionKey !== undefined && payload.sessionKey === run.sessionKey && payload.runId === undefined;
}

/** One frame's label, or undefined when it is not part of the run. */
export function runLabel(frame: Payload, run: RunRef): string | undefined {
  const payload = obj(frame.payload);
  if (frame.type !== "event" || !belongsToRun(payload, run)) return undefined;
  const event = String(frame.event);
  const data = obj(payload.data);
  switch (event) {
    case "chat":
      return ["chat", str(payload.state), str(payload.phase)].filter(Boolean).join(":");
    case "agent":
      return ["agent", str(payload.stream), str(data.phase)].filter(Boolean).join(":");
    case "task":
      return ["task", str(payload.action), str(obj(payload.task).status)].filter(Boolean).join(":");
    case "session.message":
      return ["session.message", str(obj(payload.message).role)].filter(Boolean).join(":");
    case "sessions.changed":
      return ["sessions.changed", str(payload.reason) ?? str(payload.phase)].filter(Boolean).join(":");
    default:
      return event;
  }
}

/** The run's labels in arrival order, consecutive repeats collapsed. */
export function runSequence(frames: readonly Payload[], run: RunRef): string[] {
  const out: string[] = [];
  for (const f of frames) {
    const label = runLabel(f, run);
    if (label !== undefined && out[out.length - 1] !== label) out.push(label);
  }
  return out;
}

/** Where `expected` first fails to appear, in order, within `actual` (undefined: all of it does). */
export function missingInOrder(actual: readonly string[], expected: readonly string[]): { index: number; label: string } | undefined {
  let at = 0;
  for (const [index, label] of expected.entries()) {
    const found = actual.indexOf(label, at);
    if (found < 0) return { index, label };
    at = found + 1;
  }
  return undefined;
}
