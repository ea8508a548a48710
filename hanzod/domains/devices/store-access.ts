/**
 * How the devices domain reaches the legacy's pairing tables: the store, or a decline when hanzod runs without
 * the legacy's state dir; and a store refusal (a row or release rule hanzod cannot answer exactly) turned into
 * a decline, so the proxy hands the call to the legacy instead of the client seeing hanzod's reason.
 */
import { declined } from "../../core/method.js";
import { PairingRefusal, type LegacyDevicePairing } from "../../state/device-pairing.js";

export interface PairingState {
  pairing: LegacyDevicePairing | undefined;
}

export function pairingStore(state: PairingState | undefined, method: string): LegacyDevicePairing {
  if (!state?.pairing) throw declined(`${method}: hanzod needs the legacy's state dir (--state-dir) for its pairing tables`);
  return state.pairing;
}

export function refusing<T>(method: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof PairingRefusal) throw declined(`${method}: ${err.message}`);
    throw err;
  }
}
