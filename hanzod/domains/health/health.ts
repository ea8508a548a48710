/** `health`: the current snapshot at once; a refresh (new health version + `health` event) follows. */
import type { CoreServices } from "../../core/runtime.js";

export function health(core: CoreServices): unknown {
  const snap = core.health.current();
  core.refreshHealth();
  return snap;
}
