/** The intake worker: judges each frame it is given (verdict.ts) and posts the verdict back. */
import { parentPort } from "node:worker_threads";
import { judgeFrame, withParamsLeftBehind } from "./verdict.js";
import type { IntakeReply, IntakeRequest } from "./off-thread.js";

const port = parentPort;
if (!port) throw new Error("decode-worker runs as a worker thread");
port.on("message", (m: IntakeRequest) => {
  const text = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString("utf8");
  let reply: IntakeReply;
  try {
    reply = { seq: m.seq, verdict: judgeFrame(text, m.compat) };
  } catch (err) {
    reply = { seq: m.seq, failed: String(err) };
  }
  post(reply);
});

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
