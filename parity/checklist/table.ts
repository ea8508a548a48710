/**
 * The compiled, immutable routing table. A checklist change builds a new table and swaps the
 * reference; a request reads one table from start to end, so in-flight requests finish where they
 * started. Decisions are memoised per method name (safe: the table never changes).
 */
import picomatch from "picomatch";
import { CONTRACT_METHOD_NAMES, isSideEffecting, methodPolicy, releaseMethodRow, windowReleases, type MigrationPhase } from "../../protocol/index.js";
import type { Backend, Checklist, ChecklistEntry, CompareRules, GateOverride, PhaseName, Route } from "./schema.js";

/** The routing memo's bounds: entries, characters in all, and the longest name worth keeping. */
export const MEMO_MAX_ENTRIES = 10_000;
export const MEMO_MAX_CHARS = 512 * 1024;
export const MEMO_MAX_NAME_CHARS = 256;

export type RouteKind = "legacy" | "hanzod" | "shadow" | "canary";

export interface RouteDecision {
  readonly kind: RouteKind;
  /** Percent of connections sent to hanzod (canary only). */
  readonly canaryPercent: number;
  readonly fallback: boolean;
  readonly isolated: boolean;
  readonly compare: CompareRules | undefined;
  /** The deciding entry's own gate override (merged over the checklist's `gates:` by the parity gates). */
  readonly gate: GateOverride | undefined;
  /** Which checklist entry decided: `methods.<key>`, `phases.<phase>`, `default`, or `authOwner` (AUTH_BOUND_METHODS). */
  readonly source: string;
}

interface GlobRule {
  key: string;
  match: (m: string) => boolean;
  specificity: number;
  decision: RouteDecision;
}

function toDecision(entry: ChecklistEntry, source: string): RouteDecision {
  const e = typeof entry === "string" ? { route: entry } : entry;
  const route: Route = e.route;
  const canary = route.startsWith("canary:");
  return Object.freeze({
    kind: (canary ? "canary" : route) as RouteKind,
    canaryPercent: canary ? Number(route.slice(7)) : 0,
    fallback: "fallback" in e && e.fallback === "legacy",
    isolated: "shadow" in e && e.shadow === "isolated",
    compare: "compare" in e ? e.compare : undefined,
    gate: "gate" in e ? e.gate : undefined,
    source,
  });
}

export function isGlob(key: string): boolean {
  return /[*?[\]{}!]/.test(key);
}

/** Literal characters count most: `config.schema.*` beats `config.*` beats `*`. */
function specificityOf(pattern: string): number {
  return pattern.replace(/[*?[\]{}!]/g, "").length * 1000 + pattern.length;
}

/**
 * Methods whose answer only the backend holding the client's own connections can give, so unless the
 * checklist names one exactly they go where the connection's auth goes:
 * - a person's own view (openclaw 2026.9.6's mention Inbox: the view, its per-connection revision and the
 *   `mentions.changed` event that announces it). The proxy's brokered leg to the other backend carries no
 *   person (the legacy refuses it "Human mentions require a verified user profile");
 * - device pairing (`device.pair.list/approve/reject` and their `device.pair.*` events): a request is made by
 *   the auth owner when a device connects, `device.pair.list` marks a device `connected` from that backend's
 *   own connections, and an approval wakes what that backend holds for the device. Both runtimes keep the
 *   pairings themselves in the legacy's tables (hanzod/state/device-pairing.ts), so a flip of the auth owner
 *   loses none;
 * - device removal and token rotation/revocation (`device.pair.remove`, `device.token.rotate/revoke`): both
 *   runtimes close the device's open connections afterwards (4001 "device removed"), which only the backend
 *   holding them can do (elsewhere a revoked device would stay connected), and the own-device rules and
 *   in-band token delivery depend on the caller's connect (device-token auth) that only the auth owner saw.
 */
export const AUTH_BOUND_METHODS: ReadonlySet<string> = new Set([
  "mentions.list",
  "mentions.dismiss",
  "device.pair.list",
  "device.pair.approve",
  "device.pair.reject",
  "device.pair.remove",
  "device.token.rotate",
  "device.token.revoke",
]);

export class RoutingTable {
  readonly authOwner: Backend;
  readonly nodeOwner: Backend;
  readonly shadowQueueSize: number;
  readonly noiseSampleRate: number;
  /** Shadow copies per second per method (0 = every call). */
  readonly shadowMaxPerSecond: number;
  /** True when any entry can send traffic to hanzod (otherwise the proxy never opens a hanzod leg). */
  readonly usesHanzod: boolean;
  private readonly exact = new Map<string, RouteDecision>();
  private readonly globs: GlobRule[] = [];
  private readonly phases = new Map<PhaseName, RouteDecision>();
  private readonly fallbackDecision: RouteDecision;
  private readonly authOwnerDecision: RouteDecision;
  private readonly memo = new Map<string, RouteDecision>();
  private memoChars = 0;

  constructor(readonly checklist: Readonly<Checklist>) {
    this.authOwner = checklist.authOwner;
    this.nodeOwner = checklist.nodeOwner;
    this.shadowQueueSize = checklist.shadow.queueSize;
    this.noiseSampleRate = checklist.shadow.noiseSampleRate;
    this.shadowMaxPerSecond = checklist.shadow.maxPerSecond;
    for (const [key, entry] of Object.entries(checklist.methods)) {
      const decision = toDecision(entry, `methods.${key}`);
      if (isGlob(key)) this.globs.push({ key, match: picomatch(key, { dot: true }), specificity: specificityOf(key), decision });
      else this.exact.set(key, decision);
    }
    // Stable sort keeps file order for equally specific globs.
    this.globs.sort((a, b) => b.specificity - a.specificity);
    for (const [phase, entry] of Object.entries(checklist.phases) as Array<[PhaseName, ChecklistEntry]>) {
      this.phases.set(phase, toDecision(entry, `phases.${phase}`));
    }
    this.fallbackDecision = toDecision(checklist.default, "default");
    this.authOwnerDecision = toDecision(checklist.authOwner, "authOwner");
    const all = [this.fallbackDecision, ...this.exact.values(), ...this.globs.map((g) => g.decision), ...this.phases.values()];
    this.usesHanzod = checklist.authOwner === "hanzod" || checklist.nodeOwner === "hanzod" || all.some((d) => d.kind !== "legacy");
    Object.freeze(this.checklist);
  }

  /** exact > auth-bound (the auth owner) > glob (most specific) > phase > default. */
  decide(method: string): RouteDecision {
    const hit = this.memo.get(method);
    if (hit !== undefined) return hit;
    const d = this.resolve(method);
    // Names are client input: the memo is bounded by count and by characters kept, and a name longer
    // than any real method is resolved each time instead (it is rare, and resolving is linear).
    if (method.length <= MEMO_MAX_NAME_CHARS && this.memo.size < MEMO_MAX_ENTRIES && this.memoChars + method.length <= MEMO_MAX_CHARS) {
      this.memo.set(method, d);
      this.memoChars += method.length;
    }
    return d;
  }

  /** Characters of method names the memo holds (bounded by MEMO_MAX_CHARS). */
  get memoFootprint(): { entries: number; chars: number } {
    return { entries: this.memo.size, chars: this.memoChars };
  }

  private resolve(method: string): RouteDecision {
    const exact = this.exact.get(method);
    if (exact !== undefined) return exact;
    if (AUTH_BOUND_METHODS.has(method)) return this.authOwnerDecision;
    for (const g of this.globs) if (g.match(method)) return g.decision;
    const phase = methodPolicy(method)?.phase ?? releasePhase(method);
    if (phase !== undefined) {
      const p = this.phases.get(phase);
      if (p !== undefined) return p;
    }
    return this.fallbackDecision;
  }

  /**
   * Side-effecting methods that this table would shadow without `shadow: isolated`, grouped by the
   * entry responsible. Shadowing them against hanzod's real state would apply the effect twice.
   */
  unsafeShadows(): Map<string, string[]> {
    const bad = new Map<string, string[]>();
    const names = new Set<string>([...CONTRACT_METHOD_NAMES, ...this.exact.keys()]);
    for (const m of names) {
      const d = this.decide(m);
      if (d.kind === "shadow" && !d.isolated && isSideEffecting(m)) {
        const list = bad.get(d.source) ?? [];
        list.push(m);
        bad.set(d.source, list);
      }
    }
    this.memo.clear();
    this.memoChars = 0;
    return bad;
  }
}

/**
 * The phase of a method newer than the pinned contract, from the newest release of the window that has it
 * (its frozen method table assigns phases by the same rules, fixtures/contract/<release>/method-table.json).
 * Without it such a method fell to `default` and left its family: 2026.9.6's `gateway.suspend.handoff` went
 * to the legacy while the suspension it arms, prepared with `gateway.suspend.prepare` (phase 1), was held by
 * hanzod. A name no release has keeps `default`.
 */
function releasePhase(method: string): MigrationPhase | undefined {
  const releases = windowReleases();
  for (let i = releases.length - 1; i >= 0; i--) {
    const row = releaseMethodRow(releases[i]!, method);
    if (row !== undefined) return row.phase;
  }
  return undefined;
}
