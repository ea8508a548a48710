/**
 * `gateway.restart.request` / `gateway.restart.preflight` semantics for hanzod. A request is answered
 * first; then admission closes (new work gets UNAVAILABLE "... during gateway restart"), in-flight
 * work gets a bounded drain (none with `skipDeferral`), and `perform` runs: the runtime broadcasts
 * `shutdown {reason:"gateway restarting", restartExpectedMs:1500}`, closes every socket 1012 and is
 * replaced (in-process, or by the supervisor after exit; see index.ts / cli.ts). Requests while one is
 * pending coalesce. The result keeps the legacy's shape, including its signal vocabulary: in 2026.9.1's
 * shape here (SIGUSR1); hanzod/core/compat.ts answers SIGUSR2 as 2026.9.6, and the hanzod CLI restarts
 * on the signal its answer names, exactly as the legacy gateway of that release does.
 */
import type { ActiveWork, ActiveWorkBlocker } from "./active-work.js";

export const RESTART_EXPECTED_MS = 1_500;
export const RESTART_REASON = "gateway restarting";
const DEFAULT_REASON = "gateway.restart.safe";
const MAX_REASON_CHARS = 200;

export interface RestartPreflight {
  safe: boolean;
  counts: {
    queueSize: number;
    pendingReplies: number;
    embeddedRuns: number;
    cronRuns: number;
    backgroundExecSessions: number;
    rootRequests: number;
    activeTasks: number;
    totalActive: number;
  };
  blockers: ActiveWorkBlocker[];
  summary: string;
}

export interface RestartRequestResult {
  ok: true;
  status: "scheduled" | "deferred" | "coalesced";
  preflight: RestartPreflight;
  restart: { ok: true; pid: number; signal: "SIGUSR1"; reason: string; mode: "emit"; cooldownMsApplied: number; delayMs: number; coalesced: boolean; emitHooksQueued: false };
}

export function normalizeRestartReason(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.trim()) return undefined;
  return [...value.trim()].slice(0, MAX_REASON_CHARS).join("");
}

export class RestartCoordinator {
  private pending = false;

  constructor(
    private readonly work: ActiveWork,
    private readonly perform: (reason: string) => Promise<void>,
    /** Upper bound for letting in-flight requests finish before the restart proceeds anyway. */
    private readonly drainTimeoutMs: number,
  ) {}

  /** True from the moment a restart is accepted until the process is replaced. */
  get isPending(): boolean {
    return this.pending;
  }

  preflight(callerOrigin?: string): RestartPreflight {
    const snap = this.work.snapshot(callerOrigin);
    const c = snap.counts;
    const counts = {
      queueSize: c.queueSize,
      pendingReplies: c.pendingReplies,
      embeddedRuns: c.embeddedRuns,
      cronRuns: c.cronRuns,
      backgroundExecSessions: c.backgroundExecSessions,
      rootRequests: c.rootRequests,
      activeTasks: c.activeTasks,
      totalActive: c.queueSize + c.pendingReplies + c.embeddedRuns + c.cronRuns + c.backgroundExecSessions + c.rootRequests + c.activeTasks,
    };
    const blockers = snap.blockers;
    const summary = blockers.length === 0 ? "safe to restart now" : `restart deferred: ${blockers.map((b) => b.message).join("; ")}`;
    return { safe: counts.totalActive === 0, counts, blockers, summary };
  }

  request(opts: { reason?: string; skipDeferral?: boolean; callerOrigin?: string }): RestartRequestResult {
    const preflight = this.preflight(opts.callerOrigin);
    const reason = opts.reason ?? DEFAULT_REASON;
    const coalesced = this.pending;
    const restart = { ok: true as const, pid: process.pid, signal: "SIGUSR1" as const, reason, mode: "emit" as const, cooldownMsApplied: 0, delayMs: 0, coalesced, emitHooksQueued: false as const };
    if (!coalesced) this.begin(reason, opts.skipDeferral === true);
    return { ok: true, status: coalesced ? "coalesced" : opts.skipDeferral || preflight.safe ? "scheduled" : "deferred", preflight, restart };
  }

  /** Also the restart-signal path of the CLI. Returns false when a restart is already under way. */
  begin(reason: string, skipDeferral: boolean): boolean {
    if (this.pending) return false;
    this.pending = true;
    // The response to the request goes out before the drain starts closing things.
    setImmediate(() => {
      void (async () => {
        if (!skipDeferral) await this.work.whenIdle(this.drainTimeoutMs);
        await this.perform(reason);
      })();
    });
    return true;
  }
}
