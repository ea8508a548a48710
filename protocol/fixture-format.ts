/**
 * The JSONL fixture format (documented in fixtures/README.md): one file per client connection, one JSON
 * object per line: a header, then every frame in wire order, then (when the connection ended) a close.
 * Readers accept any version <= FIXTURE_VERSION and refuse newer ones.
 */
import { readFileSync } from "node:fs";

export const FIXTURE_FORMAT = "hanzonode-fixture";
export const FIXTURE_VERSION = 1;

export type AddressClass = "loopback" | "private" | "link-local" | "public" | "unknown";

export interface FixtureHeader {
  kind: "header";
  format: typeof FIXTURE_FORMAT;
  version: number;
  openedAt: number;
  connection: {
    id: string;
    path: string;
    clientAddressClass: AddressClass;
    /** Selected upgrade headers, secrets already replaced by placeholders. */
    headers: Record<string, string>;
  };
  redaction: {
    /** Placeholder that stood for the gateway's shared token when the recorder knew it; null otherwise. */
    gatewayToken: string | null;
  };
  /** Free-form description added by whoever made the fixture (client, flow, notes). */
  meta?: FixtureMeta;
}

export interface FixtureMeta {
  /** Which real client produced it: "openclaw-cli", "gateway-client", "openclaw-node", "raw-ws". */
  client?: string;
  flow?: string;
  /** Methods the fixture exercises (for coverage counts). */
  methods?: string[];
  /** Error case name when the fixture records an error flow. */
  errorCase?: string;
  gateway?: string;
  notes?: string;
}

export interface FixtureFrame {
  kind: "frame";
  /** 1-based position in the connection, both directions counted. */
  n: number;
  dir: "c2s" | "s2c";
  /** Epoch ms when the relay saw it, and ms since the connection opened. */
  at: number;
  t: number;
  /** Byte length on the wire (before redaction). */
  bytes: number;
  /** The frame, parsed and redacted, when the wire bytes were canonical JSON. */
  frame?: Record<string, unknown>;
  /** Otherwise the wire text (utf8) or bytes (base64), redacted where secrets could be found. */
  raw?: string;
  encoding?: "utf8" | "base64";
  binary?: boolean;
  /** Why the frame is raw: not-json, not-object, bad-frame (codec), or non-canonical JSON text. */
  malformed?: "not-json" | "not-object" | "bad-frame" | "non-canonical";
  /** Replay compares this event (by name and payload); unmarked events are treated as interleaving noise. */
  significant?: boolean;
}

export interface FixtureClose {
  kind: "close";
  at: number;
  t: number;
  code: number;
  reason: string;
  by: "client" | "upstream" | "proxy";
}

export type FixtureLine = FixtureHeader | FixtureFrame | FixtureClose;

export interface Fixture {
  path: string;
  header: FixtureHeader;
  frames: FixtureFrame[];
  close: FixtureClose | undefined;
}

export function parseFixture(text: string, path = "<memory>"): Fixture {
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  let header: FixtureHeader | undefined;
  const frames: FixtureFrame[] = [];
  let close: FixtureClose | undefined;
  lines.forEach((line, i) => {
    let v: FixtureLine;
    try {
      v = JSON.parse(line) as FixtureLine;
    } catch (err) {
      throw new Error(`${path}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    if (v.kind === "header") {
      if (v.format !== FIXTURE_FORMAT) throw new Error(`${path}: not a ${FIXTURE_FORMAT} file`);
      if (typeof v.version !== "number" || v.version > FIXTURE_VERSION) throw new Error(`${path}: fixture version ${v.version} is newer than this reader (${FIXTURE_VERSION})`);
      header = v;
    } else if (v.kind === "frame") frames.push(v);
    else if (v.kind === "close") close = v;
    else throw new Error(`${path}:${i + 1}: unknown line kind ${(v as { kind?: unknown }).kind as string}`);
  });
  if (!header) throw new Error(`${path}: no header line`);
  return { path, header, frames, close };
}

export function readFixture(path: string): Fixture {
  return parseFixture(readFileSync(path, "utf8"), path);
}

/** The wire payload of a recorded frame, exactly as it would be sent again. */
export function frameWireData(f: FixtureFrame): { data: string | Buffer; isBinary: boolean } {
  if (f.frame) return { data: JSON.stringify(f.frame), isBinary: false };
  if (f.raw === undefined) throw new Error(`fixture frame ${f.n} has neither frame nor raw`);
  if (f.encoding === "base64") return { data: Buffer.from(f.raw, "base64"), isBinary: f.binary === true };
  return { data: f.raw, isBinary: f.binary === true };
}
