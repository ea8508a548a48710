/** `logs.tail`: a bounded window of hanzod's own log file with the legacy's cursor semantics. */
import { open, stat } from "node:fs/promises";
import { Errors } from "../../../protocol/index.js";
import { MethodError } from "../../core/method.js";
import { logFilePath } from "../../core/logger.js";

const DEFAULT_LIMIT = 500;
const DEFAULT_MAX_BYTES = 250_000;

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

export interface LogSlice {
  file: string;
  cursor: number;
  size: number;
  lines: string[];
  truncated: boolean;
  reset: boolean;
  skippedBytes?: number;
}

export async function readLogSlice(file: string, cursorIn: number | undefined, limitIn: number, maxBytesIn: number): Promise<LogSlice> {
  const st = await stat(file).catch(() => null);
  if (!st) return { file, cursor: 0, size: 0, lines: [], truncated: false, reset: false };
  const size = st.size;
  const maxBytes = clamp(maxBytesIn, 1, 1_000_000);
  const limit = clamp(limitIn, 1, 5000);
  let reset = false;
  let truncated = false;
  let skippedBytes: number | undefined;
  let start: number;
  if (cursorIn !== undefined) {
    if (cursorIn > size) {
      reset = true;
      start = Math.max(0, size - maxBytes);
      truncated = start > 0;
    } else {
      start = cursorIn;
      if (size - start > maxBytes) {
        reset = true;
        truncated = true;
        const bounded = Math.max(0, size - maxBytes);
        skippedBytes = bounded - start;
        start = bounded;
      }
    }
  } else {
    start = Math.max(0, size - maxBytes);
    truncated = start > 0;
  }
  const base = { file, size, truncated, reset, ...(skippedBytes !== undefined ? { skippedBytes } : {}) };
  if (size === 0 || size <= start) return { ...base, cursor: size, lines: [] };
  const handle = await open(file, "r");
  try {
    // A window that starts mid-line drops that partial first line.
    let prefix = "\n";
    if (start > 0) {
      const one = Buffer.alloc(1);
      const r = await handle.read(one, 0, 1, start - 1);
      prefix = one.toString("utf8", 0, r.bytesRead);
    }
    const buf = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buf, 0, buf.length, start);
    const text = buf.toString("utf8", 0, bytesRead);
    let lines = text.split("\n");
    lines.pop();
    if (start > 0 && prefix !== "\n") lines.shift();
    let tr = base.truncated;
    if (lines.length > limit) {
      tr = true;
      lines = lines.slice(lines.length - limit);
    }
    const lastNewline = buf.subarray(0, bytesRead).lastIndexOf(10);
    const cursor = text.endsWith("\n") ? size : start + lastNewline + 1;
    return { ...base, truncated: tr, cursor, lines };
  } finally {
    await handle.close();
  }
}

export async function logsTail(stateDir: string, params: Record<string, unknown>): Promise<LogSlice> {
  try {
    return await readLogSlice(
      logFilePath(stateDir),
      typeof params.cursor === "number" ? params.cursor : undefined,
      typeof params.limit === "number" ? params.limit : DEFAULT_LIMIT,
      typeof params.maxBytes === "number" ? params.maxBytes : DEFAULT_MAX_BYTES,
    );
  } catch (err) {
    throw new MethodError(Errors.logReadFailed(String(err)));
  }
}
