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
  if (at < 0 || buf.length - at < needle.length) return false;
  // A byte loop, not buf.compare: the needles are a few dozen bytes, most checks fail on an early
  // byte (a response tried as an event), and a call into C++ costs more than the loop.
  for (let i = 0; i < needle.length; i++) if (buf[at + i] !== needle[i]) return false;
  return true;
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

const EVENT_PREFIX = Buffer.from('{"type":"event","event":"');
const SEQ_KEY = Buffer.from(',"seq":');
const STATE_VERSION_KEY = Buffer.from(',"stateVersion":');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
/** Longest seq read from the bytes: 15 digits stay exact in a double (and are ~10^15 events away). */
const MAX_SEQ_DIGITS = 15;

export interface SniffedEvent {
  event: string;
  /** The top-level seq, and where its digits are in the bytes (for withSeq). */
  seq: number;
  seqStart: number;
  seqEnd: number;
}

/** Start of the unsigned integer literal that ends just before `end` (-1: none, or not canonical). */
function digitsBefore(buf: Buffer, end: number): number {
  let i = end;
  while (i > 0 && buf[i - 1]! >= ZERO && buf[i - 1]! <= NINE) i--;
  const n = end - i;
  if (n === 0 || n > MAX_SEQ_DIGITS || (n > 1 && buf[i] === ZERO)) return -1;
  return i;
}

/**
 * Start of a flat object `{"k":1,"j":2}` that ends at `close` (its `}`), read backwards: plain keys (no
 * quote, no backslash) and unsigned integers only, the shape of the legacy's `stateVersion`. -1 otherwise.
 */
function flatCountersStart(buf: Buffer, close: number): number {
  let i = close;
  if (buf[i - 1] === OPEN_BRACE) return i - 1;
  for (;;) {
    const d = digitsBefore(buf, i);
    if (d < 0 || buf[d - 1] !== COLON || buf[d - 2] !== QUOTE) return -1;
    const keyEnd = d - 2;
    let k = keyEnd - 1;
    while (k >= 0 && buf[k] !== QUOTE && buf[k] !== BACKSLASH) k--;
    if (k < 0 || buf[k] !== QUOTE || k === keyEnd - 1) return -1;
    const before = buf[k - 1];
    if (before === OPEN_BRACE) return k - 1;
    if (before !== COMMA) return -1;
    i = k - 1;
  }
}

/**
 * An event's name and top-level `seq`, read from the bytes without parsing the payload. Both backends
 * write events as JSON.stringify({type, event, payload, seq[, stateVersion]}): the name is at the front
 * and the seq at the back, as `,"seq":N}` or `,"seq":N,"stateVersion":{...}}`. Read backwards from the
 * frame's last byte, every quote on that path is unescaped (each follows a plain key character, `{` or
 * `,`), so in a JSON text those bytes are the top-level object's own members, never the inside of the
 * payload; a `seq` written more than once reads as the last, as JSON.parse reads it. Anything else (no
 * seq, another key order, whitespace, escapes, a seq that is not a plain unsigned integer) returns
 * undefined and the caller decodes the frame (codec.ts), whose reading this never contradicts.
 */
export function sniffEvent(buf: Buffer): SniffedEvent | undefined {
  if (!startsWithAt(buf, 0, EVENT_PREFIX)) return undefined;
  const nameStart = EVENT_PREFIX.length;
  const nameEnd = plainStringEnd(buf, nameStart);
  if (nameEnd <= nameStart || buf[nameEnd + 1] !== COMMA) return undefined;
  let last = buf.length - 1;
  if (buf[last] !== CLOSE_BRACE) return undefined;
  if (buf[last - 1] === CLOSE_BRACE) {
    const open = flatCountersStart(buf, last - 1);
    if (open < 0) return undefined;
    const keyAt = open - STATE_VERSION_KEY.length;
    if (!startsWithAt(buf, keyAt, STATE_VERSION_KEY)) return undefined;
    last = keyAt;
  }
  const seqStart = digitsBefore(buf, last);
  const keyAt = seqStart - SEQ_KEY.length;
  // The seq key must come after the name: `{"type":"event","event":"x","seq":1}` has no payload to skip.
  if (seqStart < 0 || keyAt <= nameEnd || !startsWithAt(buf, keyAt, SEQ_KEY)) return undefined;
  return { event: buf.toString("utf8", nameStart, nameEnd), seq: Number(buf.toString("latin1", seqStart, last)), seqStart, seqEnd: last };
}

/** The event with its seq digits replaced by `seq` (a non-negative integer), every other byte as it came. */
export function withSeq(buf: Buffer, sniffed: SniffedEvent, seq: number): Buffer {
  const digits = String(seq);
  const out = Buffer.allocUnsafe(buf.length - (sniffed.seqEnd - sniffed.seqStart) + digits.length);
  buf.copy(out, 0, 0, sniffed.seqStart);
  out.write(digits, sniffed.seqStart, "latin1");
  buf.copy(out, sniffed.seqStart + digits.length, sniffed.seqEnd);
  return out;
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
