/** The handler contract: return the result payload, or throw a MethodError carrying a catalog shape. */
import type { ErrorShape } from "../../protocol/index.js";
import type { Runtime } from "./runtime.js";

export interface CallerInfo {
  connId: string;
  role: string;
  scopes: readonly string[];
}

export interface MethodContext {
  runtime: Runtime;
  params: Record<string, unknown>;
  caller: CallerInfo;
}

export interface MethodHandler {
  (ctx: MethodContext): unknown;
  /**
   * For `dynamic`-scope methods: the operator scope these params require (the legacy computes it per
   * call). A dynamic method whose handler lacks this is refused to non-admins (fail closed).
   */
  resolveScope?: (params: Record<string, unknown>) => string;
  /** The handler checks its params itself and answers with the legacy's own (detail-free) message. */
  validatesOwnParams?: boolean;
}

export class MethodError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}
