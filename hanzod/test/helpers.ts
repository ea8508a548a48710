/** Shared test plumbing: a hanzod on an ephemeral port, raw-frame sessions, Ed25519 device keys. */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { startHanzod, type HanzodHandle, type StartHanzodOptions } from "../index.js";
import { RawGatewaySocket, deviceAuthPayload, deviceIdFromRawKey } from "../../protocol/index.js";

export interface TestHanzod extends HanzodHandle {
  stateDir: string;
  token: string;
  stop(): Promise<void>;
}

export async function startTestHanzod(over: Partial<StartHanzodOptions> = {}): Promise<TestHanzod> {
  const stateDir = await mkdtemp(join(tmpdir(), "hanzod-test-"));
  const token = `hz-${Math.random().toString(36).slice(2)}`;
  const handle = await startHanzod({ port: 0, auth: { mode: "token", token }, stateDir, logger: false, ...over });
  return {
    ...handle,
    stateDir,
    token: over.auth?.token ?? token,
    async stop() {
      await handle.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * One hanzod for the calling test file: started in beforeAll, stopped in afterAll. Call it at module
 * level; beforeAll fills in the returned handle, so read its fields only inside hooks and tests.
 */
export function useTestHanzod(over: Partial<StartHanzodOptions> = {}): TestHanzod {
  const hz = {} as TestHanzod;
  let started: TestHanzod | undefined;
  beforeAll(async () => {
    started = await startTestHanzod(over);
    Object.assign(hz, started);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return hz;
}

export type Frame = Record<string, unknown> & { type: string };

export interface RawSession {
  challenge: { nonce: string; ts: number };
  frames: Frame[];
  send(frame: unknown): void;
  sendText(text: string): void;
  /** Resolves with the first frame (after the challenge) matching `pred`. */
  next(pred: (f: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const isChallenge = (f: { type: string; event?: unknown }): boolean => f.type === "event" && f.event === "connect.challenge";

/** The shared raw client (protocol/raw-client.ts) seen from after the challenge, frames as loose records. */
export async function openRaw(url: string, headers: Record<string, string> = {}): Promise<RawSession> {
  const socket = await RawGatewaySocket.open(url, headers);
  const challenge = await socket.challenge();
  return {
    challenge,
    get frames() {
      return socket.frames.filter((f) => !isChallenge(f)) as unknown as Frame[];
    },
    send: (frame) => socket.send(frame as Record<string, unknown>),
    sendText: (text) => socket.sendText(text),
    next: (pred, timeoutMs = 20_000, what?: string) => socket.next((f) => !isChallenge(f) && pred(f as unknown as Frame), timeoutMs, what) as unknown as Promise<Frame>,
    closed: socket.closed,
    close: () => void socket.close(),
  };
}

export function connectFrame(params: Record<string, unknown>, id = "c1"): Frame {
  return { type: "req", id, method: "connect", params: { minProtocol: 4, maxProtocol: 4, client: { id: "test", version: "1.0.0", platform: "linux", mode: "test" }, ...params } };
}

export const isRes = (id: string) => (f: Frame) => f.type === "res" && f.id === id;

/** The CLI's client identity, as state tests connect with it to both runtimes. */
export const CLI_CLIENT = { id: "cli", version: "1", platform: "linux", mode: "cli" };

/** A connected operator (token auth, these scopes, `extra` connect params such as caps); throws with the server's error when refused. */
export async function connectOperator(url: string, token: string, scopes: string[], client: Record<string, unknown> = CLI_CLIENT, extra: Record<string, unknown> = {}): Promise<{ s: RawSession; hello: Frame }> {
  const s = await openRaw(url);
  s.send(connectFrame({ ...extra, client, scopes, auth: { token } }));
  const hello = await s.next(isRes("c1"));
  if (!hello.ok) {
    s.close();
    throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
  }
  return { s, hello };
}

let requestNo = 0;
/** One request on the session and its answer (a frame), ids unique across the test file. */
/** `waitMs` bounds the wait for the answer; a call with its own server-side timeout needs a longer one. */
export async function request(s: RawSession, method: string, params?: unknown, waitMs = 20_000): Promise<Frame> {
  const id = `q${++requestNo}`;
  s.send({ type: "req", id, method, ...(params === undefined ? {} : { params }) });
  return s.next(isRes(id), waitMs, `the answer to ${method} (${id})`);
}

/** Sends frames after the challenge and returns every frame until the server closes (or `settleMs` passes). */
export async function exchange(url: string, build: (challenge: { nonce: string; ts: number }) => (string | Frame)[], settleMs = 45_000): Promise<{ frames: Frame[]; close: { code: number; reason: string } | null }> {
  const s = await openRaw(url);
  for (const f of build(s.challenge)) typeof f === "string" ? s.sendText(f) : s.send(f);
  const close = await Promise.race([s.closed, new Promise<null>((r) => setTimeout(() => r(null), settleMs))]);
  if (!close) s.close();
  return { frames: s.frames, close };
}

export interface DeviceKey {
  id: string;
  publicKey: string;
  privateKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function newDeviceKey(): DeviceKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(12);
  return {
    id: deviceIdFromRawKey(raw),
    publicKey: raw.toString("base64url"),
    privateKey,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export interface SignInput {
  key: DeviceKey;
  clientId?: string;
  clientMode?: string;
  role?: string;
  scopes?: string[];
  token?: string;
  nonce: string;
  signedAt: number;
  platform?: string;
  deviceFamily?: string;
  version?: "v2" | "v3";
}

/** A device block signed like the reference client signs it. */
export function signedDevice(i: SignInput): Record<string, unknown> {
  const fields = { clientId: i.clientId ?? "test", clientMode: i.clientMode ?? "test", role: i.role ?? "operator", scopes: i.scopes ?? [], token: i.token ?? "", platform: i.platform ?? "linux", deviceFamily: i.deviceFamily };
  const payload = deviceAuthPayload(i.version ?? "v3", i.key.id, fields, i.signedAt, i.nonce);
  const signature = sign(null, Buffer.from(payload, "utf8"), i.key.privateKey).toString("base64url");
  return { id: i.key.id, publicKey: i.key.publicKey, signature, signedAt: i.signedAt, nonce: i.nonce };
}

/** The error part of a rejection, for comparing two gateways' answers. */
export function rejection(r: { frames: Frame[]; close: { code: number; reason: string } | null }): unknown {
  const res = r.frames.find((f) => f.type === "res");
  return { error: res ? (res.error ?? { ok: res.ok }) : null, close: r.close };
}
