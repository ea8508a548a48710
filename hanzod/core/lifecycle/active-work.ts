/**
 * Process-wide inventory of admitted root work (in-flight requests and connects), by origin
 * (`ws:<method>`, `ws:connect`), as the legacy's gateway-active-work snapshot reports it. hanzod runs
 * no agents, queues, cron, terminals or tasks, so every other legacy counter is truthfully zero.
 */

/** The legacy's counter set, in its key order (the restart preflight reports a subset). */
export interface ActiveWorkCounts {
  queueSize: number;
  pendingReplies: number;
  embeddedRuns: number;
  backgroundExecSessions: number;
  cronRuns: number;
  activeTasks: number;
  rootRequests: number;
  sessionAdmissions: number;
  sessionMutations: number;
  chatRuns: number;
  queuedTurns: number;
  terminalPersistence: number;
  terminalSessions: number;
  totalActive: number;
}

export interface ActiveWorkBlocker {
  kind: "root-request";
  count: number;
  message: string;
}

/** An owner phase holding lifecycle write custody (2026.9.6's `writeCustody` entries). */
export interface WriteCustodyFact {
  phase: string;
  count: number;
}

export interface ActiveWorkSnapshot {
  idle: boolean;
  counts: ActiveWorkCounts;
  blockers: ActiveWorkBlocker[];
  /**
   * Who holds write custody, as 2026.9.6 reports it: the registered owners (migration, backup: hanzod
   * runs neither), then the session-mutation and terminal-persistence counters when non-zero.
   */
  writeCustody: WriteCustodyFact[];
}

/** The counters 2026.9.6 also reports as write custody, by phase, in its order. */
const CUSTODY_COUNTERS = [
  ["session-mutation", "sessionMutations"],
  ["terminal-persistence", "terminalPersistence"],
] as const;

const MAX_NAMED_HOLDERS = 8;

export class ActiveWork {
  private readonly byOrigin = new Map<string, number>();
  private total = 0;
  private readonly idleWaiters = new Set<() => void>();

  get count(): number {
    return this.total;
  }

  begin(origin: string): void {
    this.byOrigin.set(origin, (this.byOrigin.get(origin) ?? 0) + 1);
    this.total++;
  }

  end(origin: string): void {
    const n = this.byOrigin.get(origin) ?? 0;
    if (n <= 1) this.byOrigin.delete(origin);
    else this.byOrigin.set(origin, n - 1);
    this.total = Math.max(0, this.total - 1);
    if (this.total === 0 && this.idleWaiters.size > 0) {
      const waiters = [...this.idleWaiters];
      this.idleWaiters.clear();
      for (const w of waiters) w();
    }
  }

  /** Resolves when no root work is in flight, or after `timeoutMs` (the restart drain is bounded). */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.total === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  /** Snapshot excluding one unit of `excludeOrigin` (the request asking), as the legacy's excludeCurrent. */
  snapshot(excludeOrigin?: string): ActiveWorkSnapshot {
    const holders: string[] = [];
    let rootRequests = 0;
    for (const [origin, n] of this.byOrigin) {
      const count = origin === excludeOrigin ? n - 1 : n;
      if (count <= 0) continue;
      rootRequests += count;
      holders.push(count > 1 ? `${origin} (${count})` : origin);
    }
    const counts: ActiveWorkCounts = {
      queueSize: 0,
      pendingReplies: 0,
      embeddedRuns: 0,
      backgroundExecSessions: 0,
      cronRuns: 0,
      activeTasks: 0,
      rootRequests,
      sessionAdmissions: 0,
      sessionMutations: 0,
      chatRuns: 0,
      queuedTurns: 0,
      terminalPersistence: 0,
      terminalSessions: 0,
      totalActive: rootRequests,
    };
    const blockers: ActiveWorkBlocker[] = [];
    if (rootRequests > 0) {
      const names = holders.sort().slice(0, MAX_NAMED_HOLDERS);
      if (holders.length > names.length) names.push(`+${holders.length - names.length} more`);
      blockers.push({ kind: "root-request", count: rootRequests, message: `${rootRequests} active gateway request(s): ${names.join(", ")}` });
    }
    const writeCustody = CUSTODY_COUNTERS.filter(([, key]) => counts[key] > 0).map(([phase, key]) => ({ phase, count: counts[key] }));
    return { idle: rootRequests === 0, counts, blockers, writeCustody };
  }
}
