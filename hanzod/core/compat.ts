/**
 * Answers that depend on the legacy release hanzod stands beside (`--compat`). hanzod's handlers answer
 * in the shape of the oldest release of the window; each entry below is one way a later release answers
 * differently, applied when the compat release is at or after `since`. The table is also what
 * `hanzonode contract drift` reads to say which server-side changes hanzod already handles.
 */
import { asRecord as record, compareReleases } from "../../protocol/index.js";
import type { Runtime } from "./runtime.js";

/** `presence-row`: the gateway's own row; `presence-connect`: the row a client's connection writes. */
export type CompatFrame = "connect.challenge" | "hello-ok" | "presence-row" | "presence-connect" | `res:${string}`;

export interface CompatContext {
  /** The release to answer as (the runtime's version). */
  release: string;
  runtime?: Runtime;
  /** How the connection authenticated (hello-ok only). */
  authMethod?: string;
  /** The accepted connect's client id (presence-connect only). */
  clientId?: string;
}

export interface AnswerChange {
  since: string;
  frame: CompatFrame;
  /** JSON pointer of what changes, as `hanzonode contract drift` lists it. */
  path: string;
  note: string;
  apply(payload: Record<string, unknown>, ctx: CompatContext): void;
}

/** hello-ok.auth.method values a client may see (the 2026.9.6 contract's enum). */
const HELLO_AUTH_METHODS = new Set(["none", "token", "password", "tailscale", "device-token", "bootstrap-token", "trusted-proxy"]);
const IDLE_POOL = { maxWorkers: 1, workers: 0, workersCreated: 0, activeTasks: 0, pendingTasks: 0 };
/** The legacy's shutdown budget defaults (gateway.shutdown: 325 s timeout, 10 s reserve). */
const SHUTDOWN_TIMEOUT_MS = 325_000;
const SHUTDOWN_RESERVE_MS = 10_000;

/**
 * From this release the gateway restarts on SIGUSR2: SIGUSR1 is left to Node's inspector, so attaching
 * a debugger no longer restarts it (openclaw docs/cli/gateway/running.md, restart-and-supervision.md).
 */
const SIGUSR2_RESTART_SINCE = "2026.9.6";

/** The signal that restarts the gateway in-process, as the release hanzod stands beside uses it. */
export function restartSignalFor(release: string): "SIGUSR1" | "SIGUSR2" {
  return compareReleases(release, SIGUSR2_RESTART_SINCE) >= 0 ? "SIGUSR2" : "SIGUSR1";
}

/**
 * 2026.9.6 puts `writeCustody` after `blockers` (a fresh snapshot's, on every prepare and status), and
 * a draining answer's `retryAfterMs` after it. hanzod's snapshot holds none unless a counter says so.
 */
function addWriteCustody(p: Record<string, unknown>, ctx: CompatContext): void {
  const retryAfterMs = p.status === "draining" ? p.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) delete p.retryAfterMs;
  p.writeCustody = ctx.runtime?.work.snapshot().writeCustody ?? [];
  if (retryAfterMs !== undefined) p.retryAfterMs = retryAfterMs;
}

export const ANSWER_CHANGES: readonly AnswerChange[] = [
  {
    since: "2026.9.6",
    frame: "connect.challenge",
    path: "/capabilities",
    note: "the challenge names the capabilities a client may use in connect (model-catalog-snapshot: connect.modelCatalog)",
    apply: (p) => void (p.capabilities = ["model-catalog-snapshot"]),
  },
  {
    since: "2026.9.6",
    frame: "hello-ok",
    path: "/auth/method",
    note: "hello-ok says how the connection authenticated",
    apply: (p, ctx) => {
      const auth = record(p.auth);
      if (auth && ctx.authMethod && HELLO_AUTH_METHODS.has(ctx.authMethod)) p.auth = { method: ctx.authMethod, ...auth };
    },
  },
  {
    since: "2026.9.6",
    frame: "presence-row",
    path: "/modelIdentifier",
    note: "the gateway's own presence row no longer carries the machine architecture",
    apply: (p) => void delete p.modelIdentifier,
  },
  {
    since: "2026.9.6",
    frame: "presence-connect",
    path: "/clientId",
    note: "a connection's presence row names its client id (connect.client.id)",
    apply: (p, ctx) => void (ctx.clientId !== undefined && (p.clientId = ctx.clientId)),
  },
  {
    since: "2026.9.6",
    frame: "presence-connect",
    path: "/user, /onlineSince",
    note: "shared-secret operators are attributed to the gateway owner's profile (user, avatar) with a shared online period (presence.ts joinPerson, state/owner-profile.ts)",
    // Stateful (the owner profile, the person's live connections): the connection applies it when
    // answerChangeApplies says so; nothing to rewrite in the row itself.
    apply: () => undefined,
  },
  {
    since: "2026.9.6",
    frame: "res:health",
    path: "/modelRuntime",
    note: "health reports the model runtime (hanzod runs no models: never degraded, nothing pending)",
    apply: (p) => void (p.modelRuntime = { degraded: false, pendingAgents: [] }),
  },
  {
    since: "2026.9.6",
    frame: "res:status",
    path: "/modelRuntime",
    note: "status reports the model runtime, as health does",
    apply: (p) => void (p.modelRuntime = { degraded: false, pendingAgents: [] }),
  },
  {
    since: "2026.9.6",
    frame: "res:status",
    path: "/processMemory/externalBytes, /processMemory/arrayBuffersBytes",
    note: "status reports external and ArrayBuffer memory (hanzod's own process)",
    apply: (p) => {
      const mem = record(p.processMemory);
      if (!mem) return;
      const usage = process.memoryUsage();
      p.processMemory = { ...mem, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
    },
  },
  {
    since: "2026.9.6",
    frame: "res:status",
    path: "/workerPools",
    note: "status reports the worker pools (hanzod starts no worker threads: the pools are idle)",
    apply: (p) => void (p.workerPools = { transcriptReconciliation: { ...IDLE_POOL }, modelCatalog: { ...IDLE_POOL } }),
  },
  {
    since: "2026.9.6",
    frame: "res:status",
    path: "/pid",
    note: "status reports the gateway's process id (hanzod's own)",
    apply: (p) => void (p.pid = process.pid),
  },
  {
    since: "2026.9.6",
    frame: "res:status",
    path: "/shutdownBudget",
    note: "status reports the shutdown budget and the work a shutdown would wait for (hanzod's admitted root requests)",
    apply: (p, ctx) =>
      void (p.shutdownBudget = {
        timeoutMs: SHUTDOWN_TIMEOUT_MS,
        reserveMs: SHUTDOWN_RESERVE_MS,
        nativeStopBudget: false,
        // The status request itself is admitted root work while it runs; the legacy does not count it.
        activeWork: { rootRequests: Math.max(0, (ctx.runtime?.work.count ?? 1) - 1), cronRuns: 0, sessionMutations: 0, terminalPersistence: 0, lifecycleWrites: 0 },
        writeCustody: ctx.runtime?.work.snapshot().writeCustody ?? [],
      }),
  },
  {
    since: "2026.9.6",
    frame: "res:gateway.suspend.prepare",
    path: "/writeCustody",
    note: "prepare's busy, ready and draining answers report who holds write custody (migration, backup, session mutation, terminal persistence: hanzod holds none)",
    apply: (p, ctx) => {
      if (p.status === "busy" || p.status === "ready" || p.status === "draining") addWriteCustody(p, ctx);
    },
  },
  {
    since: "2026.9.6",
    frame: "res:gateway.suspend.status",
    path: "/writeCustody",
    note: "status of a held suspension (ready, draining) reports who holds write custody, as prepare does",
    apply: (p, ctx) => {
      if (p.status === "ready" || p.status === "draining") addWriteCustody(p, ctx);
    },
  },
  {
    since: SIGUSR2_RESTART_SINCE,
    frame: "res:gateway.restart.request",
    path: "/restart/signal",
    note: "the restart signal is SIGUSR2 (SIGUSR1 is left to Node's inspector); the hanzod CLI restarts on its compat release's signal",
    apply: (p, ctx) => {
      const restart = record(p.restart);
      if (restart) p.restart = { ...restart, signal: restartSignalFor(ctx.release) };
    },
  },
];

/**
 * The payload as the compat release answers it: a shallow copy with every applicable change (handlers
 * may return shared objects, such as the health snapshot, so changes never touch the original; a change
 * replaces a nested object rather than editing it). The payload itself when nothing applies.
 */
export function answerAs<T>(frame: CompatFrame, payload: T, ctx: CompatContext): T {
  const p = record(payload);
  if (!p) return payload;
  let copy: Record<string, unknown> | undefined;
  for (const c of ANSWER_CHANGES) {
    if (c.frame !== frame || compareReleases(ctx.release, c.since) < 0) continue;
    copy ??= { ...p };
    c.apply(copy, ctx);
  }
  return (copy ?? payload) as T;
}

/** Whether the compat release answers with the change listed at `frame` and `path`. */
export function answerChangeApplies(release: string, frame: CompatFrame, path: string): boolean {
  return ANSWER_CHANGES.some((c) => c.frame === frame && c.path === path && compareReleases(release, c.since) >= 0);
}

/** Server capabilities hanzod honours, and how (read by `hanzonode contract drift`). */
export const HANDLED_CAPABILITIES: Readonly<Record<string, string>> = {
  "model-catalog-snapshot": "hanzod accepts connect.modelCatalog (window validation) and, as 2026.9.6, names the capability in connect.challenge",
};
