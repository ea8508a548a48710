/**
 * `config.get` on the legacy's own config file, in the legacy's answer shape (dist `config-get-response`:
 * the redacted snapshot, its `hash` projected through the installation's revision key, `configRevisionHash`
 * and `appliedConfigHash`). hanzod answers exactly where it reproduces the legacy byte for byte: a file
 * the legacy cannot read or parse. For a parseable or missing file the legacy's answer comes from its
 * validator (zod + plugin schemas), its migrations and the defaults it materializes, and its redaction of
 * `raw`/`parsed` is decided by that validation (an invalid file's text is withheld entirely): hanzod has
 * none of these, so it refuses rather than answer a guess or show text the legacy would withhold.
 */
import { createHash } from "node:crypto";
import { compareReleases } from "../../../protocol/releases.js";
import { declined } from "../../core/method.js";
import { readConfigFile } from "../../state/config-snapshot.js";
import type { ConfigRevisionProjector } from "../../state/config-revision.js";

/**
 * `configRevisionHash` of an invalid snapshot: 2026.9.6 answers null; 2026.9.1 projects the hash of its
 * (empty) resolved config all the same: hashRuntimeConfigValue({}) = sha256 base64url of the stable "{}".
 */
function invalidRevisionHash(release: string, projector: ConfigRevisionProjector): string | null {
  if (compareReleases(release, "2026.9.6") >= 0) return null;
  return projector.projectResolvedHash(createHash("sha256").update("{}").digest("base64url"));
}

export function configGet(configPath: string, release: string, projector: () => ConfigRevisionProjector): Record<string, unknown> {
  const read = readConfigFile(configPath);
  if (read.kind !== "invalid") {
    throw declined(
      `config.get: hanzod cannot answer for ${read.kind === "missing" ? "a missing" : "a parseable"} config file yet (the legacy's validation, migrations and defaults decide that answer); route config.* to the legacy`,
    );
  }
  // redactConfigSnapshot of an invalid snapshot: raw/parsed withheld, every config view empty.
  return {
    path: read.path,
    includedPaths: [],
    exists: true,
    raw: null,
    parsed: null,
    sourceConfig: {},
    resolved: {},
    valid: false,
    runtimeConfig: {},
    config: {},
    hash: projector().projectRawHash(read.rawHash),
    ...(read.readError ? { readError: read.readError } : {}),
    issues: read.issues,
    warnings: [],
    legacyIssues: [],
    configRevisionHash: invalidRevisionHash(release, projector()),
    // The hash of the config this runtime applied: hanzod runs no config of its own yet.
    appliedConfigHash: null,
  };
}
