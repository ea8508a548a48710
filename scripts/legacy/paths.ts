/** Where the pinned legacy gateway and its Node 24 live: a cache folder outside git. */
import { homedir } from "node:os";
import { join } from "node:path";

/** The legacy the project runs by default (tests, `hanzonode up`, benchmarks): the release users run. */
export const DEFAULT_LEGACY_VERSION = "2026.9.6";
/**
 * Releases the suite tests against (each has a recorded suite in fixtures/recorded/<release>/ and a
 * frozen contract): the pinned contract's release and the default. `npm run legacy:install` installs all.
 */
export const TESTED_LEGACY_VERSIONS = ["2026.9.1", DEFAULT_LEGACY_VERSION] as const;
/** openclaw's install refuses Node < 24.16; pin one release so every machine runs the same runtime. */
export const PINNED_NODE24 = "24.21.0";
/** Real clients installed beside the gateway, pinned to the frozen contract's release. */
export const CLIENT_PACKAGES = ["@openclaw/gateway-client@2026.9.1", "openclaw-node@0.14.0"] as const;

export function cacheRoot(): string {
  return process.env.HANZONODE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hanzonode");
}

export function node24Dir(): string {
  return join(cacheRoot(), `node-${PINNED_NODE24}`);
}

/**
 * Node's compile cache for the legacy's processes. openclaw keeps it under the temp folder by default,
 * and each launch gets a throwaway TMPDIR, so every start compiled its whole bundle again (about two
 * thirds of a 30 s start on a 2-core machine). openclaw keys the folder by release and install, so
 * releases never share entries.
 */
export function legacyCompileCacheDir(): string {
  return join(cacheRoot(), "node-compile-cache");
}

export function legacyDir(version: string): string {
  return join(cacheRoot(), `openclaw-${version}`);
}
