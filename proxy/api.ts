/**
 * The proxy's public surface (implemented in proxy/server.ts by the proxy part). Other parts and tests
 * import only this file and proxy/index.ts.
 */
import type { FrameTap } from "./tap.js";
import type { ShadowSink } from "../parity/shadow-sink.js";
import type { Logger } from "pino";

export interface ProxyOptions {
  listenHost?: string;
  /** 0 = an ephemeral port (read it back from RunningProxy.port). */
  listenPort: number;
  /** ws://host:port of the legacy gateway; its HTTP surface is the same origin. */
  legacyUrl: string;
  hanzodUrl?: string;
  /** Shared secret the proxy presents on its own legs to hanzod. */
  hanzodToken?: string;
  /** parity/checklist.yaml; without it every method routes to legacy (recording mode). */
  checklistPath?: string;
  tap?: FrameTap;
  shadowSink?: ShadowSink;
  adminPort?: number;
  stateDir?: string;
  /** A pino logger to use; default: JSON to stderr at HANZONODE_LOG_LEVEL or `logLevel` (default info). */
  logger?: Logger;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export interface RunningProxy {
  port: number;
  url: string;
  adminPort?: number;
  close(): Promise<void>;
}
