/** The intake worker: judges each frame it is given (verdict.ts) and posts the verdict back. */
import { parentPort } from "node:worker_threads";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { judgeFrame, withParamsLeftBehind } from "./verdict.js";
import { WORKER_COLLECT_AFTER_BYTES, type IntakeReply, type IntakeRequest } from "./off-thread.js";

const port = parentPort;
if (!port) throw new Error("decode-worker runs as a worker thread");

/**
 * What a judged frame leaves behind is garbage at once, but most of it (the frame's text, a dictionary
 * of 40,000 keys) is large-object space, which V8 frees only in a full collection; with its young
 * generation capped (off-thread.ts) nothing else prompts one soon, and under the fuzz's 0.5-1 MiB frames
 * the worker's heap reached 37 MB, 25-27 of it such garbage. So the worker collects itself once its heap
 * has grown WORKER_COLLECT_AFTER_BYTES (off-thread.ts) since the last collection: a pause of this thread only,
 * never the main loop. `gc` comes from a fresh context made after --expose-gc is set, as no flag can be
 * given to a worker at its start. The flag is process-wide, but only contexts made after it get `gc`, and
 * hanzod makes no other vm context.
 */
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
let collectedAt = getHeapStatistics().total_physical_size;
function collectIfGrown(): void {
  if (getHeapStatistics().total_physical_size - collectedAt < WORKER_COLLECT_AFTER_BYTES) return;
  collect();
  collectedAt = getHeapStatistics().total_physical_size;
}
port.on("message", (m: IntakeRequest) => {
  post(judge(m));
  // Out here, the frame's text and verdict are no longer referenced from this stack.
  collectIfGrown();
});

function judge(m: IntakeRequest): IntakeReply {
  const text = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString("utf8");
  try {
    return { seq: m.seq, verdict: judgeFrame(text, m.compat) };
  } catch (err) {
    return { seq: m.seq, failed: String(err) };
  }
}

/**
 * A verdict that cannot be cloned (params nested 50,000 deep overflow the structured clone's stack)
 * goes back without its params; a throw here would end the worker, and every frame it held would then
 * be judged on the main thread, the deep one included, while the next large frame paid for a new worker.
 */
function post(reply: IntakeReply): void {
  try {
    port!.postMessage(reply);
    return;
  } catch (err) {
    if (reply.verdict === undefined) return port!.postMessage({ seq: reply.seq, failed: String(err) } satisfies IntakeReply);
    try {
      port!.postMessage({ seq: reply.seq, verdict: withParamsLeftBehind(reply.verdict) } satisfies IntakeReply);
    } catch (again) {
      // A frame field other than params too deep as well: that frame is judged on the main thread.
      port!.postMessage({ seq: reply.seq, failed: String(again) } satisfies IntakeReply);
    }
  }
}
