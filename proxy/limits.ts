/** The legacy gateway's limits (legacy-protocol.md section 1); the proxy's buffers never exceed them. */
export const MAX_PAYLOAD_BYTES = 26_214_400;
/** Until hello-ok a client frame may be this big (legacy MAX_PREAUTH_PAYLOAD_BYTES); more is closed 1009 from the header. */
export const MAX_PREAUTH_PAYLOAD_BYTES = 65_536;
export const MAX_BUFFERED_BYTES = 52_428_800;
/** Legacy pings every 25 s and allows 25 s for the pong; the proxy does the same on the client hop. */
export const KEEPALIVE_INTERVAL_MS = 25_000;
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * Default deadline for a hanzod-routed request: well inside the reference client's 30 s request timeout
 * (@openclaw/gateway-client DEFAULT_GATEWAY_REQUEST_TIMEOUT_MS), so the client gets the legacy-shaped
 * retryable UNAVAILABLE (or the legacy's answer) instead of its own timeout.
 */
export const HANZOD_DEADLINE_MS = 5_000;
