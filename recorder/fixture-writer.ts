/**
 * FixtureWriter: the recorder's FrameTap. One JSONL file per client connection; every line is written
 * with a synchronous append on the connection's own fd before the tap returns, so a crash of the
 * recorder loses nothing already relayed (the bytes are in the kernel's page cache; we do not fsync,
 * which would cost milliseconds per frame). Secrets are replaced before anything is written, and so are
 * the recording machine's host facts (host name, address, kernel release...: recorder/host-facts.ts).
 * Errors never propagate into the relay: a connection whose file fails stops recording and reports it.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { IncomingHttpHeaders } from "node:http";
import { decodeFrame } from "../protocol/index.js";
import type { ConnectionMeta, ConnectionTap, FrameTap } from "../proxy/tap.js";
import { addressClass } from "./address-class.js";
import { FIXTURE_FORMAT, FIXTURE_VERSION, type FixtureClose, type FixtureFrame, type FixtureHeader } from "../protocol/fixture-format.js";
import { GATEWAY_TOKEN_LABEL, GATEWAY_TOKEN_PLACEHOLDER, Redactor } from "../protocol/redact.js";
import { methodCarriesHostFacts, scrubHostFacts } from "./host-facts.js";

/** Upgrade headers worth keeping: they change how the gateway treats a connection. Others are noise or secrets. */
export const RECORDED_HEADERS = [
  "origin",
  "user-agent",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "sec-websocket-version",
  "x-openclaw-scopes",
  "x-forwarded-user",
  "x-forwarded-proto",
  "tailscale-user-login",
  "authorization",
  "cookie",
] as const;

export interface FixtureWriterOptions {
  outDir: string;
  /** The gateway's shared token, when known: written as `<redacted:gateway-token>` so replay can substitute it. */
  gatewayToken?: string;
  /** Any other secrets known up front (label -> value). */
  knownSecrets?: Record<string, string>;
  /** Called once per connection whose file could not be written; recording of that connection stops. */
  onError?: (connectionId: string, err: Error) => void;
}

export class FixtureWriter implements FrameTap {
  private readonly open_ = new Set<ConnectionFixture>();
  private readonly written: string[] = [];
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: FixtureWriterOptions) {
    mkdirSync(opts.outDir, { recursive: true });
  }

  /** Files written so far, in the order connections opened. */
  files(): string[] {
    return [...this.written];
  }

  open(meta: ConnectionMeta): ConnectionTap {
    const known: Record<string, string> = { ...this.opts.knownSecrets };
    if (this.opts.gatewayToken) known[GATEWAY_TOKEN_LABEL] = this.opts.gatewayToken;
    const redactor = new Redactor({ known });
    const file = join(this.opts.outDir, fixtureFileName(meta));
    const conn = new ConnectionFixture(file, meta, redactor, this.opts.gatewayToken ? GATEWAY_TOKEN_PLACEHOLDER : null, (err) => {
      this.opts.onError?.(meta.connectionId, err);
    });
    if (this.closed) conn.fail(new Error("fixture writer is closed"));
    else {
      this.written.push(file);
      this.open_.add(conn);
      conn.onDone = () => {
        this.open_.delete(conn);
        if (this.open_.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      };
    }
    return conn;
  }

  /** Connections still being recorded. */
  get openConnections(): number {
    return this.open_.size;
  }

  /** Resolves true once every connection has closed (false at the deadline): lets a caller stop cleanly. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.open_.size > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
      });
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.open_) c.release();
    this.open_.clear();
  }
}

function fixtureFileName(meta: ConnectionMeta): string {
  const stamp = new Date(meta.openedAt).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const id = meta.connectionId.replace(/[^A-Za-z0-9_-]/g, "_");
  return `${stamp}-${id}.jsonl`;
}

function selectHeaders(headers: IncomingHttpHeaders, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const v = headers[name];
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(", ") : v;
    out[name] = redactor.redactHeader(name, value);
  }
  return out;
}

class ConnectionFixture implements ConnectionTap {
  private fd: number | undefined;
  private n = 0;
  private failed = false;
  /** Requests whose answer can carry host facts (id -> method), until answered. */
  private readonly hostFactRequests = new Map<string, string>();
  onDone: (() => void) | undefined;

  constructor(
    file: string,
    private readonly meta: ConnectionMeta,
    private readonly redactor: Redactor,
    gatewayTokenPlaceholder: string | null,
    private readonly reportError: (err: Error) => void,
  ) {
    try {
      this.fd = openSync(file, "a");
      const header: FixtureHeader = {
        kind: "header",
        format: FIXTURE_FORMAT,
        version: FIXTURE_VERSION,
        openedAt: meta.openedAt,
        connection: {
          id: meta.connectionId,
          path: redactor.redactText(meta.path),
          clientAddressClass: addressClass(meta.clientAddress),
          headers: selectHeaders(meta.headers, redactor),
        },
        redaction: { gatewayToken: gatewayTokenPlaceholder },
      };
      this.append(header);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  frame(direction: "c2s" | "s2c", data: string | Buffer, isBinary: boolean, _backend: unknown, at: number): void {
    if (this.failed) return;
    try {
      this.append(this.describe(direction, data, isBinary, at));
    } catch (err) {
      this.fail(err as Error);
    }
  }

  close(code: number, reason: string, by: "client" | "upstream" | "proxy", at: number): void {
    if (this.failed || this.fd === undefined) return;
    try {
      const line: FixtureClose = { kind: "close", at, t: at - this.meta.openedAt, code, reason: this.redactor.redactText(reason), by };
      this.append(line);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.release();
  }

  private describe(dir: "c2s" | "s2c", data: string | Buffer, isBinary: boolean, at: number): FixtureFrame {
    const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    const base: FixtureFrame = { kind: "frame", n: ++this.n, dir, at, t: at - this.meta.openedAt, bytes };
    if (isBinary) {
      // Binary messages are not part of the protocol; keep them byte-exact. Secrets cannot be found reliably in arbitrary bytes.
      return { ...base, raw: Buffer.from(data).toString("base64"), encoding: "base64", binary: true };
    }
    const text = typeof data === "string" ? data : data.toString("utf8");
    if (typeof data !== "string" && !Buffer.from(text, "utf8").equals(data)) {
      // Not valid UTF-8: only base64 replays byte-exact.
      return { ...base, raw: data.toString("base64"), encoding: "base64", malformed: "not-json" };
    }
    const decoded = decodeFrame(text);
    if (decoded.ok && JSON.stringify(decoded.frame) === text) {
      const frame = this.redactor.redactValue(decoded.frame as unknown as Record<string, unknown>);
      this.scrubHostFacts(dir, frame);
      return { ...base, frame };
    }
    const malformed = decoded.ok ? "non-canonical" : decoded.failure.kind;
    return { ...base, raw: this.redactor.redactRawText(text), encoding: "utf8", malformed };
  }

  /** The recording machine's host facts out of a server frame (what the rules compare by shape only). */
  private scrubHostFacts(dir: "c2s" | "s2c", frame: Record<string, unknown>): void {
    const id = typeof frame.id === "string" ? frame.id : undefined;
    if (dir === "c2s") {
      if (frame.type === "req" && id !== undefined && typeof frame.method === "string" && methodCarriesHostFacts(frame.method)) this.hostFactRequests.set(id, frame.method);
      return;
    }
    if (frame.type === "event" && typeof frame.event === "string") scrubHostFacts(frame.payload, { event: frame.event });
    else if (frame.type === "res" && id !== undefined) {
      const method = this.hostFactRequests.get(id);
      if (method === undefined) return;
      this.hostFactRequests.delete(id);
      scrubHostFacts(frame.payload, { method });
    }
  }

  private append(line: object): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, JSON.stringify(line) + "\n");
  }

  fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.release();
    this.reportError(err);
  }

  release(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already gone; nothing more to lose */
      }
      this.fd = undefined;
    }
    this.onDone?.();
  }
}
