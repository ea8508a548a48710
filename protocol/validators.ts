/**
 * ajv validators compiled from the frozen contract. Definitions compile lazily (the schema has 877 of
 * them), each on its own with only the definitions it references, and are cached: a process pays only
 * for what it validates. The whole contract never goes into ajv: adding it (3.5 MB) meant checking it
 * against the draft-07 meta-schema, walking it for ids and compiling its root, about a second per engine.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from "ajv";
import { CONTRACT_SCHEMA_PATH, loadContractSchema } from "./contract.js";
import { schemaFileSource, wholeSchemaSource, type DefinitionSource, type WholeSchema } from "./definition-source.js";
import type { Frame } from "./frames.js";
import { unescapePointerSegment } from "./json-pointer.js";
import { PRECOMPILED } from "./precompiled-validators.generated.js";
import { PRECOMPILED as PRECOMPILED_ALL } from "./precompiled-validators-all.generated.js";

/**
 * ajv (about 60 modules, 8 MB of RSS) is required when a definition without a precompiled validator is
 * first compiled: a process whose first connect and `health` are valid never loads it.
 */
const requireCjs = createRequire(import.meta.url);
let AjvCtor: typeof AjvClass | undefined;
function ajvClass(): typeof AjvClass {
  return (AjvCtor ??= (requireCjs("ajv") as typeof import("ajv")).Ajv);
}

/** The options of the engines; the precompiled validators (scripts/contract/precompile-validators.ts) use the same. */
export function engineOptions(allErrors: boolean): { strict: false; allErrors: boolean; validateFormats: false; discriminator: false; validateSchema: false } {
  // strict:false because the contract carries vendor keywords (x-openclaw-since) and a discriminator.
  return { strict: false, allErrors, validateFormats: false, discriminator: false, validateSchema: false };
}

export interface ContractIssue {
  /** Definition whose rule was broken, e.g. `HelloOk` or `RequestFrame`. */
  definition: string;
  /** JSON pointer into the validated value. */
  path: string;
  /** ajv keyword: additionalProperties, type, required, enum, ... */
  keyword: string;
  message: string;
  /** The property an `additionalProperties` or `required` issue names (client input: may be huge). */
  property?: string;
}

export interface ValidationOutcome {
  valid: boolean;
  issues: ContractIssue[];
}

interface Engine {
  allErrors: boolean;
  compiled: Map<string, ValidateFunction | null>;
}

/**
 * The two ajv instances (first error / all errors), shared by every SchemaValidator: each definition is
 * added under an id of its own contract instance, so nothing compiled is shared between contracts. A
 * fresh ajv instance compiles the draft-07 meta-schema before its first schema (over 100 ms on a loaded
 * 2-core machine); the frozen contracts are checked against it once in protocol/test/validators.test.ts
 * instead of on every start (validateSchema: false).
 */
const AJV: { first: AjvClass | undefined; all: AjvClass | undefined } = { first: undefined, all: undefined };
let nextContract = 0;

/** Values with more nodes than this are explained by their first error only. */
export const MAX_EXPLAINED_NODES = 2_000;

/** True when `value` has at most MAX_EXPLAINED_NODES objects, arrays and leaves (walk stops at the limit). */
function isSmall(value: unknown): boolean {
  let budget = MAX_EXPLAINED_NODES;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (--budget < 0) return false;
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      if (v.length > budget) return false;
      for (const item of v) stack.push(item);
    } else {
      for (const k in v) {
        if (stack.length > budget) return false;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return true;
}

function toIssues(definition: string, errors: ErrorObject[] | null | undefined): ContractIssue[] {
  if (!errors) return [];
  return errors.map((e) => {
    const params = e.params as { additionalProperty?: unknown; missingProperty?: unknown };
    const property = e.keyword === "additionalProperties" ? params.additionalProperty : e.keyword === "required" ? params.missingProperty : undefined;
    const issue: ContractIssue = {
      definition: innermostDefinition(e.schemaPath) ?? definition,
      path: e.instancePath || "/",
      keyword: e.keyword,
      message: `${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${String(property)})` : ""}`,
    };
    if (typeof property === "string") issue.property = property;
    return issue;
  });
}

function innermostDefinition(schemaPath: string): string | undefined {
  const m = /#\/definitions\/([^/]+)(?!.*#\/definitions\/)/.exec(schemaPath);
  return m?.[1];
}

const LOCAL_REF = /^#\/definitions\/([^/]+)$/;

/** `name` and every definition it reaches through local `#/definitions/<x>` refs, as a new `definitions` object. */
export function referencedDefinitions(source: DefinitionSource, name: string): Record<string, object> {
  const out: Record<string, object> = {};
  const todo = [name];
  while (todo.length > 0) {
    const n = todo.pop()!;
    if (Object.prototype.hasOwnProperty.call(out, n)) continue;
    const def = source.get(n);
    if (def === undefined) continue;
    out[n] = def;
    const stack: unknown[] = [def];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v !== "object" || v === null) continue;
      if (Array.isArray(v)) {
        for (const item of v) stack.push(item);
        continue;
      }
      for (const [k, child] of Object.entries(v)) {
        if (k === "$ref" && typeof child === "string") {
          const m = LOCAL_REF.exec(child);
          if (m) todo.push(unescapePointerSegment(m[1]!));
        } else stack.push(child);
      }
    }
  }
  return out;
}

/** Identifies a definition together with the definitions it references (see PRECOMPILED). */
export function definitionsDigest(definitions: Record<string, object>): string {
  return createHash("sha256").update(JSON.stringify(definitions)).digest("hex");
}

/**
 * One JSON schema with `definitions` (the pinned contract, or a frozen release's), compiled lazily per
 * definition. Each instance owns its compiled validators, so releases never share compiled state.
 *
 * Two engines over the same schema: `first` stops at the first error (every value is checked with it,
 * so a valid value or a huge invalid one costs one early-exit pass); `all` lists every error, and runs
 * only to explain a value small enough that listing its errors is cheap (see isSmall). A frame with
 * 40,000 unknown keys is refused with its first error instead of stalling the process to list them.
 */
export class SchemaValidator {
  private schemaId = "";
  private readonly instance = nextContract++;
  private readonly engines: { first: Engine; all: Engine } = {
    first: { allErrors: false, compiled: new Map() },
    all: { allErrors: true, compiled: new Map() },
  };

  private readonly source: DefinitionSource;

  /** A whole schema (loaded when first needed), or a source reading definitions one at a time. */
  constructor(source: (() => WholeSchema) | DefinitionSource) {
    this.source = typeof source === "function" ? wholeSchemaSource(source) : source;
  }

  private engine(e: Engine): AjvClass {
    const key = e.allErrors ? "all" : "first";
    AJV[key] ??= new (ajvClass())(engineOptions(e.allErrors));
    return AJV[key];
  }

  hasDefinition(name: string): boolean {
    return this.source.has(name);
  }

  /**
   * Compiles one definition: a schema root of the same `$id` holding `definition` and the definitions it
   * reaches through `#/definitions/...` refs (none, in the frozen contracts so far), so error paths
   * (`#/definitions/<name>/...`) and ref resolution read as they did with the whole contract added.
   */
  private compile(definition: string, e: Engine): ValidateFunction | null {
    this.schemaId ||= this.source.id();
    if (!this.hasDefinition(definition)) return null;
    const definitions = referencedDefinitions(this.source, definition);
    // ajv's own code for this very schema, generated ahead; used only while the definitions it was
    // generated from are byte for byte the ones read now (a changed contract compiles as before).
    const pre = (e.allErrors ? PRECOMPILED_ALL : PRECOMPILED)[this.schemaId]?.[definition];
    if (pre && pre.digest === definitionsDigest(definitions)) return pre.validate as ValidateFunction;
    // One root per definition, each under its own id: an engine keeps every definition it compiled.
    const id = `${this.schemaId}?contract=${this.instance}&definition=${encodeURIComponent(definition)}`;
    const a = this.engine(e);
    a.addSchema({ $id: id, definitions });
    return a.getSchema(`${id}#/definitions/${definition}`) ?? null;
  }

  private validatorFor(definition: string, e: Engine): ValidateFunction | null {
    let fn = e.compiled.get(definition);
    if (fn === undefined) {
      fn = this.compile(definition, e);
      e.compiled.set(definition, fn);
    }
    return fn;
  }

  /** Validate any value against a named definition. Unknown definitions are an issue, not a pass. */
  validate(definition: string, value: unknown): ValidationOutcome {
    const first = this.validatorFor(definition, this.engines.first);
    if (!first) return { valid: false, issues: [{ definition, path: "/", keyword: "definition", message: `contract has no definition ${definition}` }] };
    if (first(value) as boolean) return { valid: true, issues: [] };
    const all = isSmall(value) ? this.validatorFor(definition, this.engines.all) : null;
    if (all === null || (all(value) as boolean)) return { valid: false, issues: toIssues(definition, first.errors) };
    return { valid: false, issues: toIssues(definition, all.errors) };
  }
}

const pinned = new SchemaValidator(schemaFileSource(CONTRACT_SCHEMA_PATH, loadContractSchema));

export function hasDefinition(name: string): boolean {
  return pinned.hasDefinition(name);
}

/** Validate any value against a named definition of the pinned contract. Unknown definitions are an issue, not a pass. */
export function validateDefinition(definition: string, value: unknown): ValidationOutcome {
  return pinned.validate(definition, value);
}

const FRAME_DEFINITION = { req: "RequestFrame", res: "ResponseFrame", event: "EventFrame" } as const;

/** The pinned @openclaw/gateway-protocol contract; pass a release's validator (protocol/window.ts) to check against that release. */
export const PINNED_CONTRACT: SchemaValidator = pinned;

export function validateFrame(frame: Frame, contract: SchemaValidator = pinned): ValidationOutcome {
  const def = FRAME_DEFINITION[frame.type];
  return def ? contract.validate(def, frame) : { valid: false, issues: [{ definition: "Frame", path: "/type", keyword: "enum", message: "unknown frame type" }] };
}

/** `config.get` -> `ConfigGet`; the contract names params/result definitions this way. */
export function definitionStem(method: string): string {
  return method
    .split(/[.\-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

export function paramsDefinitionFor(method: string, contract: SchemaValidator = pinned): string | undefined {
  const name = `${definitionStem(method)}Params`;
  return contract.hasDefinition(name) ? name : undefined;
}

export function resultDefinitionFor(method: string, contract: SchemaValidator = pinned): string | undefined {
  const name = `${definitionStem(method)}Result`;
  return contract.hasDefinition(name) ? name : undefined;
}

/** Validates params where the contract defines them; `undefined` means the contract is silent. */
export function validateParams(method: string, params: unknown, contract: SchemaValidator = pinned): ValidationOutcome | undefined {
  const def = paramsDefinitionFor(method, contract);
  return def ? contract.validate(def, params) : undefined;
}

export function validateResult(method: string, payload: unknown, contract: SchemaValidator = pinned): ValidationOutcome | undefined {
  const def = resultDefinitionFor(method, contract);
  return def ? contract.validate(def, payload) : undefined;
}
