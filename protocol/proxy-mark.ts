/**
 * The hanzonode proxy names itself in its 101 response (a header the gateway protocol never reads, so
 * no client sees a difference): `hanzonode status` tells "a proxy in front of X" from "X" by it.
 */
export const PROXY_MARK_HEADER = "x-hanzonode-proxy";
/** Bumped if what the header carries ever changes. */
export const PROXY_MARK_VALUE = "1";
