/**
 * Which leg one request goes to under a checklist decision, and whether a copy is shadowed. Canary
 * requests with an idempotency key stick to one backend per key so a retry never lands on the other.
 * A shadowed call beyond the per-method shadow budget is routed to legacy without a copy.
 */
import { hasIdempotencyKey, isSideEffecting } from "../protocol/index.js";
import type { RouteDecision, RoutingTable } from "../parity/checklist/index.js";
import type { ProxyContext } from "./context.js";
import type { LegKey } from "./leg.js";
import type { ShadowMode } from "./pending.js";
import { bucketOf } from "./routing.js";
import { mayHaveIdempotencyKey } from "../protocol/sniff.js";
import type { Backend } from "./tap.js";

export interface Pick {
  readonly leg: LegKey;
  readonly shadow: ShadowMode;
}

// Every possible pick, made once: routing a request allocates nothing.
const LEGACY: Pick = { leg: "legacy", shadow: "none" };
const HANZOD: Pick = { leg: "hanzod", shadow: "none" };
const SHADOW_HANZOD: Pick = { leg: "legacy", shadow: "hanzod" };
const SHADOW_ISOLATED: Pick = { leg: "legacy", shadow: "isolated" };

/**
 * `params` decodes the request lazily: most requests are routed on the sniffed method alone. `table` is
 * the one the request was decided on: a request reads a single table from start to end.
 */
export function pickLeg(ctx: ProxyContext, table: RoutingTable, decision: RouteDecision, method: string, data: Buffer, params: () => unknown, bucket: number): Pick {
  switch (decision.kind) {
    case "legacy":
      return LEGACY;
    case "hanzod":
      return HANZOD;
    case "canary": {
      const p = mayHaveIdempotencyKey(data) ? params() : undefined;
      const key = hasIdempotencyKey(p) ? (p as { idempotencyKey: unknown }).idempotencyKey : undefined;
      const toHanzod = (b: number): Backend => (b < decision.canaryPercent ? "hanzod" : "legacy");
      const backend = typeof key === "string" ? ctx.stickiness.pick(key, () => toHanzod(bucketOf(key))) : toHanzod(bucket);
      return backend === "hanzod" ? HANZOD : LEGACY;
    }
    case "shadow": {
      // Never copy a side effect to hanzod's real state: runtime idempotency keys count too. (An isolated
      // copy runs against throwaway state, so it needs no check and its params are never decoded for one.)
      if (!decision.isolated && (isSideEffecting(method) || (mayHaveIdempotencyKey(data) && hasIdempotencyKey(params())))) {
        ctx.metrics.shadowSkipped.inc();
        return LEGACY;
      }
      if (!ctx.shadowBudget.take(method, table.shadowMaxPerSecond)) {
        ctx.metrics.shadowOverBudget.inc();
        return LEGACY;
      }
      return decision.isolated ? SHADOW_ISOLATED : SHADOW_HANZOD;
    }
  }
}
