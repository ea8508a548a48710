/**
 * A Bot API call's parameters, however the client sent them: query string, JSON body or URL-encoded
 * form (Telegram accepts all three). Multipart uploads are recorded by their text fields only.
 */
import type { IncomingMessage } from "node:http";
import { readBody } from "../http-body.js";

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Form values arrive as strings; numbers and JSON-encoded fields (reply_markup, entities) are decoded. */
function decodeFormValue(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (v.startsWith("{") || v.startsWith("[")) {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  if (v === "true" || v === "false") return v === "true";
  return v;
}

function fromForm(entries: Iterable<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = decodeFormValue(v);
  return out;
}

function fromMultipart(body: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of body.toString("latin1").split(`--${boundary}`)) {
    const m = /name="([^"]+)"(; filename="([^"]*)")?[^]*?\r\n\r\n([^]*)\r\n$/.exec(part);
    if (!m) continue;
    const [, name, , filename, value] = m as unknown as [string, string, string | undefined, string | undefined, string];
    out[name] = filename !== undefined ? { filename, bytes: Buffer.byteLength(value, "latin1") } : decodeFormValue(Buffer.from(value, "latin1").toString("utf8"));
  }
  return out;
}

export async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params = fromForm(url.searchParams.entries());
  if (req.method !== "POST") return params;
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.length === 0) return params;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) {
    const parsed = JSON.parse(body.toString("utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("JSON body is not an object");
    return { ...params, ...(parsed as Record<string, unknown>) };
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (type.includes("multipart/form-data") && boundary) return { ...params, ...fromMultipart(body, boundary[1] ?? boundary[2]!) };
  return { ...params, ...fromForm(new URLSearchParams(body.toString("utf8")).entries()) };
}
