/** Mirroring a close from one WebSocket onto another: same code and reason where the wire allows it. */
import type WebSocket from "ws";
import { flushCorked } from "./send-batch.js";

/** Codes a peer may put on the wire (RFC 6455 7.4; 1005/1006/1015 are local-only). */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** Reasons are capped at 123 bytes by the protocol; a longer one would make ws throw. */
function fitReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let cut = reason.slice(0, 123);
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

export function mirrorClose(target: WebSocket, code: number, reason: string): void {
  if (target.readyState === target.CLOSED || target.readyState === target.CLOSING) return;
  if (code === 1005) target.close();
  else if (isSendableCloseCode(code)) target.close(code, fitReason(reason));
  else {
    flushCorked(target);
    target.terminate();
  }
}
