/**
 * Where a connect comes from and which legacy exemptions that earns (dist: handshake-auth-helpers):
 * direct loopback without forwarded headers is "direct_local" (silent pairing, CLI scope preservation,
 * backend self-pairing skip); anything forwarded is remote.
 */
export type Locality = "direct_local" | "cli_container_local" | "shared_secret_loopback_local" | "remote";

export interface LocalityInput {
  isLocalClient: boolean;
  remoteIsLoopback: boolean;
  hasProxyHeaders: boolean;
  hasOrigin: boolean;
  sharedAuthOk: boolean;
  authMethod: string;
  clientId: string;
  clientMode: string;
}

const isSharedSecret = (m: string) => m === "token" || m === "password";
const isCliClient = (i: Pick<LocalityInput, "clientId" | "clientMode">) => i.clientId === "cli" && i.clientMode === "cli";

export function resolveLocality(i: LocalityInput): Locality {
  if (i.isLocalClient) return "direct_local";
  if (i.sharedAuthOk && isSharedSecret(i.authMethod) && !i.hasProxyHeaders && !i.hasOrigin && i.remoteIsLoopback) return isCliClient(i) ? "cli_container_local" : "shared_secret_loopback_local";
  return "remote";
}

/** The reserved gateway-client/backend loopback path keeps its scopes and skips device pairing. */
export function skipsBackendSelfPairing(i: LocalityInput, locality: Locality): boolean {
  const backend = i.clientId === "gateway-client" && i.clientMode === "backend";
  if (!backend || i.hasOrigin || (locality !== "direct_local" && locality !== "shared_secret_loopback_local")) return false;
  return i.authMethod === "none" || i.authMethod === "device-token" || (i.sharedAuthOk && isSharedSecret(i.authMethod));
}

/** `openclaw gateway call` on the gateway host keeps the scopes it asked for without a device. */
export function preservesLocalCliScopes(i: LocalityInput, locality: Locality): boolean {
  return isCliClient(i) && (locality === "direct_local" || locality === "cli_container_local") && !i.hasOrigin && i.sharedAuthOk && isSharedSecret(i.authMethod);
}

/** Silent auto-approval of a pairing request (legacy shouldAllowSilentLocalPairing). */
export function allowsSilentPairing(locality: Locality, hasOrigin: boolean, isUi: boolean, reason: string, authMethod: string, autoApproveLocal: boolean): boolean {
  if (locality === "remote") return false;
  if (hasOrigin && !isUi) return false;
  if (reason === "metadata-upgrade") return !hasOrigin && !isUi && (locality === "cli_container_local" || locality === "shared_secret_loopback_local");
  if (!autoApproveLocal) return false;
  if (reason === "scope-upgrade") return authMethod === "none" || authMethod === "token" || authMethod === "password";
  return true;
}
