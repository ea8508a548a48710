/**
 * Cooperative host suspension (`gateway.suspend.*`) with the legacy's semantics: one lease at a time,
 * two-minute expiry (renewed by repeating prepare with the same requestId/policy/drain), refuse-only
 * unless `drain`, and admission phases `accepting -> preparing -> (draining ->) prepared -> accepting`.
 * Every phase change is published (the runtime broadcasts `gateway.suspension {phase}`). hanzod has no
 * scheduler to pause, so the legacy's scheduler-recovery state never occurs here.
 */
import { randomUUID } from "node:crypto";
import type { ActiveWork, ActiveWorkBlocker, ActiveWorkSnapshot } from "./active-work.js";

export type SuspensionPhase = "accepting" | "preparing" | "draining" | "prepared";
export type TerminalPolicy = "preserve" | "terminate";

export const SUSPEND_LEASE_TTL_MS = 120_000;
export const SUSPEND_RETRY_AFTER_MS = 20_000;

export interface PrepareRequest {
  requestId: string;
  terminalPolicy: TerminalPolicy;
  drain: boolean;
  /** The origin of the request asking, excluded from the active-work snapshot. */
  callerOrigin: string;
}

interface HeldBody {
  suspensionId: string;
  expiresAtMs: number;
  activeCount: number;
  blockers: ActiveWorkBlocker[];
}
export type PrepareResult =
  | { status: "busy"; reason: "active-work" | "gateway-draining"; retryAfterMs: number; activeCount: number; blockers: ActiveWorkBlocker[] }
  | ({ status: "ready" } & HeldBody)
  | ({ status: "draining" } & HeldBody & { retryAfterMs: number })
  | { status: "conflict"; expiresAtMs: number };

export type StatusResult =
  | { status: "running" }
  | { status: "ready"; expiresAtMs: number }
  | { status: "draining"; expiresAtMs: number; activeCount: number; blockers: ActiveWorkBlocker[]; retryAfterMs: number }
  | { status: "conflict"; expiresAtMs: number };

export type ResumeResult = { ok: true; status: "running"; resumed: boolean } | { ok: false; reason: "suspension-mismatch" };

interface Lease {
  requestId: string;
  terminalPolicy: TerminalPolicy;
  drain: boolean;
  suspensionId: string;
  expiresAtMs: number;
  snapshot: ActiveWorkSnapshot;
  timer?: NodeJS.Timeout;
  /** `gateway.suspend.handoff` armed it: the host's next stop signal becomes a planned restart. */
  handoff?: boolean;
}

/** The legacy's coordinator answers (gateway-suspend-coordinator): a value, or the refusal's message. */
export type HandoffResult = { ok: true; value: { status: "armed"; suspensionId: string; expiresAtMs: number } } | { ok: false; error: string };

export class SuspensionCoordinator {
  private phaseNow: SuspensionPhase = "accepting";
  private lease: Lease | undefined;

  constructor(
    private readonly work: ActiveWork,
    private readonly onPhase: (phase: SuspensionPhase) => void,
    /** True while a restart owns admission; suspension cannot begin then. */
    private readonly restartPending: () => boolean,
  ) {}

  get phase(): SuspensionPhase {
    return this.phaseNow;
  }

  private setPhase(next: SuspensionPhase): void {
    if (this.phaseNow === next) return;
    this.phaseNow = next;
    this.onPhase(next);
  }

  private release(): void {
    if (this.lease) clearTimeout(this.lease.timer);
    this.lease = undefined;
    this.setPhase("accepting");
  }

  private armExpiry(lease: Lease, now: number): void {
    lease.expiresAtMs = now + SUSPEND_LEASE_TTL_MS;
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => {
      if (this.lease === lease) this.release();
    }, SUSPEND_LEASE_TTL_MS);
    lease.timer.unref();
  }

  /** Draining leases turn ready once the work they wait for has finished (checked when asked, as the legacy). */
  private refresh(lease: Lease): void {
    if (this.phaseNow !== "draining") return;
    const snap = this.work.snapshot();
    lease.snapshot = snap;
    if (snap.idle) this.setPhase("prepared");
  }

  private held(lease: Lease): PrepareResult {
    const body = { suspensionId: lease.suspensionId, expiresAtMs: lease.expiresAtMs, activeCount: lease.snapshot.counts.totalActive, blockers: lease.snapshot.blockers };
    return this.phaseNow === "draining" ? { status: "draining", ...body, retryAfterMs: SUSPEND_RETRY_AFTER_MS } : { status: "ready", ...body };
  }

  prepare(req: PrepareRequest, now = Date.now()): PrepareResult {
    const lease = this.lease;
    if (lease) {
      if (lease.requestId !== req.requestId || lease.terminalPolicy !== req.terminalPolicy || lease.drain !== req.drain) return { status: "conflict", expiresAtMs: lease.expiresAtMs };
      this.armExpiry(lease, now);
      this.refresh(lease);
      return this.held(lease);
    }
    if (this.phaseNow !== "accepting" || this.restartPending()) {
      const snap = this.work.snapshot(req.callerOrigin);
      return { status: "busy", reason: "gateway-draining", retryAfterMs: SUSPEND_RETRY_AFTER_MS, activeCount: snap.counts.totalActive, blockers: snap.blockers };
    }
    this.setPhase("preparing");
    const snap = this.work.snapshot(req.callerOrigin);
    if (!snap.idle && !req.drain) {
      this.setPhase("accepting");
      return { status: "busy", reason: "active-work", retryAfterMs: SUSPEND_RETRY_AFTER_MS, activeCount: snap.counts.totalActive, blockers: snap.blockers };
    }
    const created: Lease = { requestId: req.requestId, terminalPolicy: req.terminalPolicy, drain: req.drain, suspensionId: randomUUID(), expiresAtMs: 0, snapshot: snap };
    this.lease = created;
    this.armExpiry(created, now);
    this.setPhase(snap.idle ? "prepared" : "draining");
    return this.held(created);
  }

  status(suspensionId: string): StatusResult {
    const lease = this.lease;
    if (!lease) return { status: "running" };
    if (lease.suspensionId !== suspensionId) return { status: "conflict", expiresAtMs: lease.expiresAtMs };
    this.refresh(lease);
    if (this.phaseNow === "draining") {
      return { status: "draining", expiresAtMs: lease.expiresAtMs, activeCount: lease.snapshot.counts.totalActive, blockers: lease.snapshot.blockers, retryAfterMs: SUSPEND_RETRY_AFTER_MS };
    }
    return { status: "ready", expiresAtMs: lease.expiresAtMs };
  }

  resume(suspensionId: string): ResumeResult {
    const lease = this.lease;
    if (!lease) return { ok: true, status: "running", resumed: false };
    if (lease.suspensionId !== suspensionId) return { ok: false, reason: "suspension-mismatch" };
    this.release();
    return { ok: true, status: "running", resumed: true };
  }

  /**
   * armGatewaySuspendHandoff: the held lease with this id, not expired, its host still serving. hanzod runs
   * no chat turns, so no terminal persistence is ever pending (the legacy's third refusal never occurs), and
   * it has one host iteration per lease (a restart retires the lease), so "another host iteration" neither.
   */
  armHandoff(suspensionId: string, hostCurrent: boolean, now = Date.now()): HandoffResult {
    const lease = this.lease;
    if (!lease || lease.suspensionId !== suspensionId) return { ok: false, error: "gateway suspension id does not match" };
    const refusal = this.handoffRefusal(lease, hostCurrent, now);
    if (refusal) return { ok: false, error: refusal };
    lease.handoff = true;
    return { ok: true, value: { status: "armed", suspensionId: lease.suspensionId, expiresAtMs: lease.expiresAtMs } };
  }

  /**
   * consumeGatewaySuspendHandoff, at the host's stop signal: true when an armed lease turns this stop into a
   * planned restart; false when none is armed; the refusal when the lease is no longer current.
   */
  takeHandoff(hostCurrent: boolean, now = Date.now()): { ok: true; value: boolean } | { ok: false; error: string } {
    const lease = this.lease;
    if (!lease?.handoff) return { ok: true, value: false };
    lease.handoff = false;
    const refusal = this.handoffRefusal(lease, hostCurrent, now);
    return refusal ? { ok: false, error: refusal } : { ok: true, value: true };
  }

  private handoffRefusal(lease: Lease, hostCurrent: boolean, now: number): string | undefined {
    if (this.lease !== lease || now >= lease.expiresAtMs || !hostCurrent) return "gateway suspension or host iteration changed";
    return undefined;
  }

  /** A restart takes admission over: the lease is retired without a resume. */
  retireForRestart(): void {
    if (this.lease) this.release();
  }

  stop(): void {
    if (this.lease) clearTimeout(this.lease.timer);
    this.lease = undefined;
  }
}
