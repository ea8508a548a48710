/** The intake worker: judges each frame it is given (verdict.ts) and posts the verdict back. */
import { parentPort } from "node:worker_threads";
import { judgeFrame } from "./verdict.js";
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
  port.postMessage(reply);
});
