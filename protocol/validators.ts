/**
 * ajv validators compiled from the frozen contract. Definitions compile lazily (the schema has 877 of
 * them) and are cached, so a process pays only for what it validates.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { loadContractSchema } from "./contract.js";
import type { Frame } from "./frames.js";

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

let ajv: Ajv | undefined;
let schemaId = "";
const compiled = new Map<string, ValidateFunction | null>();

function engine(): Ajv {
  if (!ajv) {
    const schema = loadContractSchema();
    schemaId = schema.$id;
    // strict:false because the contract carries vendor keywords (x-openclaw-since) and a discriminator.
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, discriminator: false });
    ajv.addSchema(schema);
  }
  return ajv;
}

export function hasDefinition(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(loadContractSchema().definitions, name);
}

function validatorFor(definition: string): ValidateFunction | null {
  let fn = compiled.get(definition);
  if (fn === undefined) {
    const a = engine();
    fn = hasDefinition(definition) ? (a.getSchema(`${schemaId}#/definitions/${definition}`) ?? null) : null;
    compiled.set(definition, fn);
  }
  return fn;
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

/** Validate any value against a named contract definition. Unknown definitions are an issue, not a pass. */
export function validateDefinition(definition: string, value: unknown): ValidationOutcome {
  const fn = validatorFor(definition);
  if (!fn) return { valid: false, issues: [{ definition, path: "/", keyword: "definition", message: `contract has no definition ${definition}` }] };
  const valid = fn(value) as boolean;
  return { valid, issues: valid ? [] : toIssues(definition, fn.errors) };
}

const FRAME_DEFINITION = { req: "RequestFrame", res: "ResponseFrame", event: "EventFrame" } as const;

export function validateFrame(frame: Frame): ValidationOutcome {
  const def = FRAME_DEFINITION[frame.type];
  return def ? validateDefinition(def, frame) : { valid: false, issues: [{ definition: "Frame", path: "/type", keyword: "enum", message: "unknown frame type" }] };
}

/** `config.get` -> `ConfigGet`; the contract names params/result definitions this way. */
export function definitionStem(method: string): string {
  return method
    .split(/[.\-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

export function paramsDefinitionFor(method: string): string | undefined {
  const name = `${definitionStem(method)}Params`;
  return hasDefinition(name) ? name : undefined;
}

export function resultDefinitionFor(method: string): string | undefined {
  const name = `${definitionStem(method)}Result`;
  return hasDefinition(name) ? name : undefined;
}

/** Validates params where the contract defines them; `undefined` means the contract is silent. */
export function validateParams(method: string, params: unknown): ValidationOutcome | undefined {
  const def = paramsDefinitionFor(method);
  return def ? validateDefinition(def, params) : undefined;
}

export function validateResult(method: string, payload: unknown): ValidationOutcome | undefined {
  const def = resultDefinitionFor(method);
  return def ? validateDefinition(def, payload) : undefined;
}
