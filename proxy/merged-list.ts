/**
 * `exec.approval.list` with the node owner on hanzod (issue #12): each runtime holds approvals of its own
 * (hanzod those of operators' node runs, the legacy those of its agent turns' gateway-host runs), in memory,
 * so neither can list the other's. The proxy asks both and answers the union: hanzod's answer (the routed one)
 * merged with the legacy's copy, sent on the legacy leg under a proxy-internal id (shadow-dispatch.ts).
 * An approval id lives in one runtime only; a repeated id (none expected) is kept once, the routed one.
 */
import type { BackendAnswer, BackendFailure } from "../parity/shadow-sink.js";

export const MERGED_LIST_METHODS: ReadonlySet<string> = new Set(["exec.approval.list"]);

type Row = Record<string, unknown>;

function rows(v: unknown): Row[] | undefined {
  return Array.isArray(v) ? (v.filter((r) => typeof r === "object" && r !== null) as Row[]) : undefined;
}

/**
 * The client's list: the routed backend's rows and the copy's, oldest first (the legacy lists its pending map
 * in creation order). Undefined when the copy has nothing to add (failed, refused, or not a list): the routed
 * answer then stands as it is.
 */
export function mergedList(routed: unknown, copy: BackendAnswer | BackendFailure): unknown[] | undefined {
  const own = rows(routed);
  if (own === undefined || "failed" in copy || !copy.ok) return undefined;
  const other = rows(copy.payload);
  if (other === undefined) return undefined;
  const ids = new Set(own.map((r) => r.id));
  const all = [...own, ...other.filter((r) => !ids.has(r.id))];
  const at = (r: Row) => (typeof r.createdAtMs === "number" ? r.createdAtMs : 0);
  return all.sort((a, b) => at(a) - at(b));
}
