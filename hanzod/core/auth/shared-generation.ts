/**
 * The shared-gateway session generation, as both window releases compute it (dist
 * `ws-shared-generation.ts` `resolveSharedGatewaySessionGeneration`): a digest of the configured shared
 * secret (`sha256Base64Url(mode + "\0" + secret)`, the secret hashed as configured, untrimmed) or, in
 * trusted-proxy mode, of that setup. It changes exactly when the credential is rotated.
 *
 * Why hanzod needs it: the legacy issues a browser device's token under the `shared-gateway-auth` issuer of
 * this generation and refuses such a token once the generation moved. hanzod on the legacy's state, with the
 * same secret (as `hanzonode up` starts it), computes the same value, so a token either runtime issued is
 * accepted by the other; with another secret the generations differ and each refuses the other's browser
 * tokens, as the legacy refuses them after a rotation. Only the digest is ever kept or compared.
 */
import { createHash } from "node:crypto";
import type { HanzodAuthOptions } from "../../options.js";

const sha256Base64Url = (text: string): string => createHash("sha256").update(text).digest("base64url");

export function sharedGatewaySessionGeneration(auth: HanzodAuthOptions, trustedProxies: readonly string[] | undefined): string | undefined {
  const secret = auth.mode === "token" ? auth.token : auth.mode === "password" ? auth.password : undefined;
  if (typeof secret === "string" && secret.trim().length > 0) return sha256Base64Url(`${auth.mode}\u0000${secret}`);
  if (auth.mode !== "trusted-proxy") return undefined;
  const tp = auth.trustedProxy;
  return sha256Base64Url(
    JSON.stringify({
      mode: auth.mode,
      trustedProxy: { userHeader: tp?.userHeader, requiredHeaders: [...(tp?.requiredHeaders ?? [])].sort(), allowUsers: [...(tp?.allowUsers ?? [])].sort(), allowLoopback: tp?.allowLoopback },
      trustedProxies: [...(trustedProxies ?? [])].sort(),
    }),
  );
}

/**
 * The connecting client the legacy issues a shared-auth device token to (`isBrowserOperatorUiClient` ||
 * `isWebchatClient`): the Control UI, the browser copilot, the web chat (by id or by `webchat` mode).
 */
export function isBrowserSessionClient(client: { id?: string; mode?: string }): boolean {
  const id = client.id?.trim().toLowerCase();
  return id === "openclaw-control-ui" || id === "openclaw-browser-copilot" || id === "webchat-ui" || client.mode?.trim().toLowerCase() === "webchat";
}
