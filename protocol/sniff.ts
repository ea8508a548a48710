/**
 * The codec's fast path for the proxy's hot path (frame in, route, frame out): read a frame's routing
 * fields (type, id, method / ok) straight from the bytes when the sender used the usual key order (every
 * OpenClaw client and both backends do), without parsing the payload. Anything unusual returns undefined
 * and the caller falls back to the full decoder (`codec.ts`), whose reading it never contradicts.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const REQ_PREFIX = Buffer.from('{"type":"req","id":"');
const RES_PREFIX = Buffer.from('{"type":"res","id":"');
const METHOD_KEY = Buffer.from(',"method":"');
const OK_TRUE = Buffer.from(',"ok":true');
const OK_FALSE = Buffer.from(',"ok":false');

function startsWithAt(buf: Buffer, at: number, needle: Buffer): boolean {
  if (buf.length - at < needle.length) return false;
  return buf.compare(needle, 0, needle.length, at, at + needle.length) === 0;
}

/** Index of the closing quote of a JSON string starting at `from`, or -1 when it contains escapes. */
function plainStringEnd(buf: Buffer, from: number): number {
  const end = buf.indexOf(QUOTE, from);
  if (end < 0) return -1;
  const esc = buf.indexOf(BACKSLASH, from);
  return esc >= 0 && esc < end ? -1 : end;
}

export interface SniffedRequest {
  id: string;
  method: string;
}

export function sniffRequest(buf: Buffer): SniffedRequest | undefined {
  if (!startsWithAt(buf, 0, REQ_PREFIX)) return undefined;
  const idStart = REQ_PREFIX.length;
  const idEnd = plainStringEnd(buf, idStart);
  if (idEnd <= idStart) return undefined;
  if (!startsWithAt(buf, idEnd + 1, METHOD_KEY)) return undefined;
  const mStart = idEnd + 1 + METHOD_KEY.length;
  const mEnd = plainStringEnd(buf, mStart);
  if (mEnd <= mStart) return undefined;
  return { id: buf.toString("utf8", idStart, idEnd), method: buf.toString("utf8", mStart, mEnd) };
}

export interface SniffedResponse {
  id: string;
  ok: boolean;
}

export function sniffResponse(buf: Buffer): SniffedResponse | undefined {
  if (!startsWithAt(buf, 0, RES_PREFIX)) return undefined;
  const idStart = RES_PREFIX.length;
  const idEnd = plainStringEnd(buf, idStart);
  if (idEnd <= idStart) return undefined;
  if (startsWithAt(buf, idEnd + 1, OK_TRUE)) return { id: buf.toString("utf8", idStart, idEnd), ok: true };
  if (startsWithAt(buf, idEnd + 1, OK_FALSE)) return { id: buf.toString("utf8", idStart, idEnd), ok: false };
  return undefined;
}

const ACCEPTED = Buffer.from('"status":"accepted"');
/** Cheap pre-check before decoding: could this `res` be an interim "accepted" answer? */
export function mayBeInterim(buf: Buffer): boolean {
  return buf.indexOf(ACCEPTED) >= 0;
}

const TIMEOUT_MS = Buffer.from('"timeoutMs"');
/** Cheap pre-check before decoding: does the request ask the backend to wait (agent.wait, node.invoke)? */
export function mayHaveTimeoutMs(buf: Buffer): boolean {
  return buf.indexOf(TIMEOUT_MS) >= 0;
}

const IDEMPOTENCY = Buffer.from('"idempotencyKey"');
export function mayHaveIdempotencyKey(buf: Buffer): boolean {
  return buf.indexOf(IDEMPOTENCY) >= 0;
}
