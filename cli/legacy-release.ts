/**
 * Which release hanzod should answer as beside a given legacy: the legacy says its release in hello-ok's
 * server.version; the frozen release at or before it in the supported window is the one to stand beside.
 */
import { SUPPORTED_WINDOW, compatReleaseFor, connectRaw, newestRelease } from "../protocol/index.js";

export interface CompatChoice {
  /** What hanzod gets as `compat`. */
  release: string;
  /** What the legacy reported, when it could be asked. */
  legacyVersion?: string;
  /** Why the choice is not the legacy's own release (printed to the operator). */
  note?: string;
}

export async function compatForLegacy(legacyUrl: string, token: string | undefined): Promise<CompatChoice> {
  let version: string | undefined;
  try {
    const { socket, hello } = await connectRaw(legacyUrl, token ? { token } : {});
    await socket.close();
    const server = (hello.payload as { server?: { version?: unknown } } | undefined)?.server;
    version = typeof server?.version === "string" ? server.version : undefined;
  } catch (err) {
    return { release: newestRelease(), note: `could not read the legacy's release (${(err as Error).message.slice(0, 200)}); hanzod answers as ${newestRelease()}` };
  }
  if (!version) return { release: newestRelease(), note: `the legacy's hello-ok names no server.version; hanzod answers as ${newestRelease()}` };
  const release = compatReleaseFor(version);
  if (!release) return { release: newestRelease(), legacyVersion: version, note: `legacy ${version} is outside the supported window ${SUPPORTED_WINDOW.from}..${SUPPORTED_WINDOW.to}; hanzod answers as ${newestRelease()}` };
  return { release, legacyVersion: version, ...(release !== version ? { note: `legacy ${version} is not frozen; hanzod answers as ${release}, the newest frozen release before it` } : {}) };
}
