/** hanzod reports the legacy release it is wire-compatible with, as clients compare server.version. */
import { LEGACY_GATEWAY_VERSION } from "../protocol/index.js";

export const HANZOD_VERSION = LEGACY_GATEWAY_VERSION;
export const HANZOD_BUILD_ID = `hanzod-${LEGACY_GATEWAY_VERSION}`;
