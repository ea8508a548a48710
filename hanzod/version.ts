/**
 * hanzod reports the legacy release it stands beside (clients compare server.version): `--compat`, or
 * the newest frozen release of the supported window.
 */
import { SUPPORTED_WINDOW, frozenReleases, inWindow, newestRelease } from "../protocol/index.js";
import { ConfigError } from "./config-error.js";

export function defaultCompatRelease(): string {
  return newestRelease();
}

/** The compat release to run as, or a configuration error (CLI exit 78) naming what is accepted. */
export function resolveCompatRelease(wanted: string | undefined): string {
  if (wanted === undefined) return defaultCompatRelease();
  const frozen = frozenReleases().filter(inWindow);
  if (!frozen.includes(wanted)) {
    throw new ConfigError(`--compat ${wanted}: hanzod answers as a frozen release of its window ${SUPPORTED_WINDOW.from}..${SUPPORTED_WINDOW.to} (${frozen.join(", ")})`);
  }
  return wanted;
}

export function hanzodBuildId(version: string): string {
  return `hanzod-${version}`;
}
