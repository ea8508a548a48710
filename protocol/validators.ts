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
}

export interface ValidationOutcome {
  valid: boolean;
  issues: ContractIssue[];
}

function toIssues(definition: string, errors: ErrorObject[] | null | undefined): ContractIssue[] {
  if (!errors) return [];
  return errors.map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : "";
    return {
      definition: innermostDefinition(e.schemaPath) ?? definition,
      path: e.instancePath || "/",
      keyword: e.keyword,
      message: `${e.message ?? e.keyword}${extra}`,
    };
  });
}

function innermostDefinition(schemaPath: string): string | undefined {
  const m = /#\/definitions\/([^/]+)(?!.*#\/definitions\/)/.exec(schemaPath);
  return m?.[1];
}

/**
 * One JSON schema with `definitions` (the pinned contract, or a frozen release's), compiled lazily per
 * definition. Each instance owns its ajv engine, so releases never share compiled state.
 */
export class SchemaValidator {
  private ajv: Ajv | undefined;
  private schemaId = "";
  private readonly compiled = new Map<string, ValidateFunction | null>();

  constructor(private readonly load: () => { $id: string; definitions: Record<string, object> }) {}

  private engine(): Ajv {
    if (!this.ajv) {
      const schema = this.load();
      this.schemaId = schema.$id;
      // strict:false because the contract carries vendor keywords (x-openclaw-since) and a discriminator.
      this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, discriminator: false });
      this.ajv.addSchema(schema);
    }
    return this.ajv;
  }

  hasDefinition(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.load().definitions, name);
  }

  private validatorFor(definition: string): ValidateFunction | null {
    let fn = this.compiled.get(definition);
    if (fn === undefined) {
      const a = this.engine();
      fn = this.hasDefinition(definition) ? (a.getSchema(`${this.schemaId}#/definitions/${definition}`) ?? null) : null;
      this.compiled.set(definition, fn);
    }
    return fn;
  }

  /** Validate any value against a named definition. Unknown definitions are an issue, not a pass. */
  validate(definition: string, value: unknown): ValidationOutcome {
    const fn = this.validatorFor(definition);
    if (!fn) return { valid: false, issues: [{ definition, path: "/", keyword: "definition", message: `contract has no definition ${definition}` }] };
    const valid = fn(value) as boolean;
    return { valid, issues: valid ? [] : toIssues(definition, fn.errors) };
  }
}

const pinned = new SchemaValidator(loadContractSchema);

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
