/** The handler contract: return the result payload, or throw a MethodError carrying a catalog shape. */
import type { ErrorShape } from "../../protocol/index.js";
import type { Runtime } from "../runtime.js";

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

export type MethodHandler = (ctx: MethodContext) => unknown;

export class MethodError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}
