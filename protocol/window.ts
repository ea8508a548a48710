/**
 * Validation across the supported window: a request that is valid for some frozen release in the window
 * is valid. A refusal is worded as the release hanzod stands beside (`compat`) would word it, since that
 * is the legacy the client would otherwise have met.
 */
import { join } from "node:path";
import { RELEASE_FILES, loadRelease, newestRelease, windowReleases } from "./releases.js";
import { schemaFileSource, type DefinitionSource } from "./definition-source.js";
import { SchemaValidator, definitionStem, hasDefinition, validateDefinition, type ContractIssue } from "./validators.js";

const validators = new Map<string, SchemaValidator>();

export function releaseValidator(release: string): SchemaValidator {
  let v = validators.get(release);
  if (!v) {
    // Made on first use, as the whole schema was loaded before: an unfrozen release is refused then, by loadRelease.
    let source: DefinitionSource | undefined;
    const s = (): DefinitionSource => {
      if (!source) {
        const contract = loadRelease(release);
        source = schemaFileSource(join(contract.dir, RELEASE_FILES.schema), () => contract.schema);
      }
      return source;
    };
    v = new SchemaValidator({ id: () => s().id(), has: (name) => s().has(name), get: (name) => s().get(name) });
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

/**
 * Compat release first, then the rest of the window newest first: the likeliest acceptor is tried first.
 * Memoized per compat release: every request's params pass through here, and listing the frozen releases
 * reads the contract folder (a process serves one window).
 */
const orders = new Map<string, readonly string[]>();
function order(compat: string): readonly string[] {
  let o = orders.get(compat);
  if (!o) {
    const window = windowReleases();
    const rest = window.filter((r) => r !== compat).reverse();
    o = window.includes(compat) ? [compat, ...rest] : rest;
    orders.set(compat, o);
  }
  return o;
}

/**
 * Validates `value` as `definition` of any window release. A definition no window release ships (the
 * release bundles leave out result schemas their server never checks) is checked against the pinned
 * @openclaw/gateway-protocol contract instead, as before releases were frozen.
 */
/** The default compat release, read once: listing the contract folder on every request cost hanzod's hot path two syscalls per call. */
let newest: string | undefined;
const defaultCompat = (): string => (newest ??= newestRelease());

export function validateInWindow(definition: string, value: unknown, compat: string = defaultCompat()): WindowVerdict {
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
  const definition = paramsDefinitionInWindow(method);
  return definition ? validateInWindow(definition, params, compat) : undefined;
}

/** Method -> its `<Method>Params` definition in the window (or the pinned contract), null when none has one. */
const paramsDefinitions = new Map<string, string | null>();
/** Method names come from clients: the memo keeps at most this many (hanzod's own methods fit easily). */
const MAX_MEMO_METHODS = 4096;

function paramsDefinitionInWindow(method: string): string | null {
  let definition = paramsDefinitions.get(method);
  if (definition === undefined) {
    const name = `${definitionStem(method)}Params`;
    definition = hasDefinition(name) || windowReleases().some((r) => releaseValidator(r).hasDefinition(name)) ? name : null;
    if (paramsDefinitions.size < MAX_MEMO_METHODS) paramsDefinitions.set(method, definition);
  }
  return definition;
}
