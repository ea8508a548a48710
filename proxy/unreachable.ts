import type { Backend } from "./tap.js";

/** The one wording of "that backend is down" in answers and close reasons, whichever path finds out. */
export function notReachable(backend: Backend): string {
  return backend === "legacy" ? "the legacy gateway is not reachable" : "hanzod is not reachable";
}
