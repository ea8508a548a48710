/** `health`: the current snapshot at once; a refresh (new health version + `health` event) follows. */
import type { MethodHandler } from "../../core/method.js";

export const health: MethodHandler = ({ runtime }) => {
  const snap = runtime.health.current();
  runtime.refreshHealth();
  return snap;
};
