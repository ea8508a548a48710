/**
 * Validation across the supported window: a request that is valid for some frozen release in the window
 * is valid. A refusal is worded as the release hanzod stands beside (`compat`) would word it, since that
 * is the legacy the client would otherwise have met.
 */
import { loadRelease, newestRelease, windowReleases } from "./releases.js";
import { SchemaValidator, definitionStem, hasDefinition, validateDefinition, type ContractIssue } from "./validators.js";

const validators = new Map<string, SchemaValidator>();

export function releaseValidator(release: string): SchemaValidator {
  let v = validators.get(release);
  if (!v) {
    v = new SchemaValidator(() => loadRelease(release).schema);
    validators.set(release, v);
  }
  return v;
}

export interface WindowVerdict {
  valid: boolean;
  /** The release whose contract accepted the value (the compat release first, then newest to oldest). */
  acceptedBy?: string;
  /** When nothing accepted it: the compat release's issues (or the pinned contract's, see below). */
  issues: ContractIssue[];
}

/** Compat release first, then the rest of the window newest first: the likeliest acceptor is tried first. */
function order(compat: string): string[] {
  const rest = windowReleases().filter((r) => r !== compat).reverse();
  return windowReleases().includes(compat) ? [compat, ...rest] : rest;
}

/**
 * Validates `value` as `definition` of any window release. A definition no window release ships (the
 * release bundles leave out result schemas their server never checks) is checked against the pinned
 * @openclaw/gateway-protocol contract instead, as before releases were frozen.
 */
export function validateInWindow(definition: string, value: unknown, compat: string = newestRelease()): WindowVerdict {
  let first: ContractIssue[] | undefined;
  for (const release of order(compat)) {
    const v = releaseValidator(release);
    if (!v.hasDefinition(definition)) continue;
    const outcome = v.validate(definition, value);
    if (outcome.valid) return { valid: true, acceptedBy: release, issues: [] };
    first ??= outcome.issues;
  }
  if (first) return { valid: false, issues: first };
  const pinned = validateDefinition(definition, value);
  return pinned.valid ? { valid: true, acceptedBy: "pinned", issues: [] } : { valid: false, issues: pinned.issues };
}

/** `<Method>Params` of some window release (or the pinned contract); undefined when none defines one. */
export function validateParamsInWindow(method: string, params: unknown, compat?: string): WindowVerdict | undefined {
  const definition = `${definitionStem(method)}Params`;
  const known = hasDefinition(definition) || windowReleases().some((r) => releaseValidator(r).hasDefinition(definition));
  return known ? validateInWindow(definition, params, compat) : undefined;
}
