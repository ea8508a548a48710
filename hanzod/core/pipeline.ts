/**
 * One authenticated request as an ordered pipeline of hooks: authorize -> admit -> validate -> handle
 * -> send. Order and texts are the legacy's: `health` bypasses role/scope; wrong role -> "unauthorized
 * role"; then scope (admin passes everything, unknown methods need admin); then "unknown method"; then
 * the admission fence (restart / suspension: UNAVAILABLE except what a declaration lets through); then
 * params. Admitted requests are counted as root work (`ws:<method>`) while they run.
 *
 * Extra hooks (`HanzodOptions.hooks`) run after the built-in stage of the same name; production
 * registers none, tests register what they need (e.g. altering a result), so no test branch lives here.
 */
import { ADMIN_SCOPE, declinedError, Errors, errorResponse, isNodeRoleMethod, methodPolicy, releaseMethodRow, scopeSatisfies, validateParamsInWindow, type ErrorShape, type WindowVerdict } from "../../protocol/index.js";
import { formatIssues as formatIssuesFor } from "./handshake/validation.js";
import { answerAs } from "./compat.js";
import type { Runtime, CoreServices } from "./runtime.js";
import type { DomainRegistry, ResolvedMethod } from "./domains.js";
import type { RequestFrameLike } from "./request-frame.js";
import { MethodError, type CallerInfo, type HandlerContext, type MethodDeclaration, type ParamsCheck } from "./method.js";

/**
 * The contract window's verdict on a request's params, reached before the pipeline ran (the off-thread
 * intake checks large frames on a worker, so the main thread never walks them). Used by the validate
 * stage only for the release it was reached for; `verdict` undefined: the window has no definition.
 */
export interface ParamsPrecheck {
  compat: string;
  verdict: WindowVerdict | undefined;
}

/** What the pipeline sees of a request once its method is known. */
export interface Call {
  readonly id: string;
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly caller: CallerInfo;
  /** undefined: hanzod does not implement the method. */
  readonly decl: MethodDeclaration | undefined;
}

/**
 * A call whose params are read when a stage first needs them: a large frame refused by its precheck
 * never has its params rebuilt on the main thread (the frame's `params` may be a deferred getter).
 */
class RequestCall implements Call {
  private cached: Record<string, unknown> | undefined;
  constructor(
    private readonly req: RequestFrameLike,
    readonly caller: CallerInfo,
    readonly decl: MethodDeclaration | undefined,
  ) {}
  get id(): string {
    return this.req.id;
  }
  get method(): string {
    return this.req.method;
  }
  get params(): Record<string, unknown> {
    return (this.cached ??= (this.req.params ?? {}) as Record<string, unknown>);
  }
}

export type PipelineHook =
  | { stage: "authorize" | "admit" | "validate"; run(call: Call): ErrorShape | undefined }
  /** May replace the final payload. */
  | { stage: "send"; run(call: Call, payload: unknown): unknown };

/** The connection a call came in on. */
export interface CallOrigin {
  sendRaw(text: string): void;
  /** Aborts when this connection closes. */
  readonly signal: AbortSignal;
  subscribe(topic: string): () => void;
  /** Drops a topic this connection subscribed to (no-op when it had not). */
  unsubscribe(topic: string): void;
}

/**
 * Role and scope. `dynamic` methods compute their scope from params in the legacy: with a declaration,
 * its `scope(params)` decides; a declaration without one is refused to non-admins (fail closed, so a
 * future method cannot slip through on a fixed scope). Without a declaration, the least privilege any of
 * them needs (write) gates the lookup that then answers "unknown method", as the legacy's order does.
 * A method newer than the pinned contract takes its scope from the method table of `release` (the one
 * hanzod answers as) when that release has it; otherwise it is unknown there and needs admin.
 */
export function authorize(method: string, caller: CallerInfo, params?: Record<string, unknown>, decl?: Pick<MethodDeclaration, "scope">, release?: string): ErrorShape | undefined {
  if (method === "health") return undefined;
  const nodeMethod = isNodeRoleMethod(method);
  if (nodeMethod ? caller.role !== "node" : caller.role !== "operator") return Errors.unauthorizedRole(caller.role);
  if (caller.role === "node") return undefined;
  if (caller.scopes.includes(ADMIN_SCOPE)) return undefined;
  const policy = methodPolicy(method) ?? (release !== undefined && decl !== undefined ? releaseMethodRow(release, method) : undefined);
  let required: string;
  if (policy === undefined) required = ADMIN_SCOPE;
  else if (policy.scope !== "dynamic") required = policy.scope;
  else if (!decl) required = "operator.write";
  else required = decl.scope ? decl.scope(params ?? {}) : ADMIN_SCOPE;
  if (required === "node") return Errors.unauthorizedRole(caller.role);
  return scopeSatisfies(caller.scopes, required) ? undefined : Errors.missingScope(required);
}

/** undefined: admitted as root work; "control": runs without being counted; else the refusal. */
function admit(rt: Runtime, call: Call, decl: MethodDeclaration): ErrorShape | "control" | undefined {
  const restarting = rt.restart.isPending;
  const phase = rt.suspension.phase;
  if (!restarting && phase === "accepting") return undefined;
  const rule = decl.admission ?? "root";
  if (rule === "control") return "control";
  if (typeof rule === "function" && rule(call.params, { restarting, phase, activeWork: rt.work.count })) return "control";
  return Errors.gatewayWorkUnavailable(call.method, restarting ? "restart" : "suspension", phase);
}

/**
 * Params valid for any release of the supported window are accepted; a refusal is worded as the compat
 * release (the one hanzod answers as) would word it.
 */
function validate(call: Call, rule: ParamsCheck, compat: string, prechecked: ParamsPrecheck | undefined): ErrorShape | undefined {
  if (rule === "handler") return undefined;
  if (typeof rule === "function") return rule(call.params);
  const method = call.method;
  const check = prechecked && prechecked.compat === compat ? prechecked.verdict : validateParamsInWindow(method, call.params, compat);
  if (!check || check.valid) return undefined;
  return rule === "contract-terse" ? Errors.invalidParamsFor(method) : Errors.invalidMethodParams(method, formatIssuesFor(check.issues));
}

/** The handler's view of one call: one object per call, its parts made on first access. */
class CallContext implements HandlerContext {
  constructor(
    private readonly call: Call,
    private readonly resolved: ResolvedMethod,
    private readonly origin: CallOrigin,
    readonly core: CoreServices,
    private readonly rt: Runtime,
  ) {}

  get caller(): CallerInfo {
    return this.call.caller;
  }

  get params(): Record<string, unknown> {
    return this.call.params;
  }

  get signal(): AbortSignal {
    return this.origin.signal;
  }

  get state(): unknown {
    return this.resolved.domain.state();
  }

  // Handlers destructure their context, so these hand out bound functions, made only when asked for.
  get reply(): HandlerContext["reply"] {
    return { accepted: (payload) => this.origin.sendRaw(JSON.stringify({ type: "res", id: this.call.id, ok: true, payload })) };
  }

  get emit(): HandlerContext["emit"] {
    return (event, payload, opts) => {
      if (!this.resolved.decl.emits?.includes(event)) throw new Error(`hanzod: ${this.call.method} emits ${event} but does not declare it`);
      this.rt.broadcaster.broadcast(event, payload, opts);
    };
  }

  get subscribe(): HandlerContext["subscribe"] {
    return (topic) => this.origin.subscribe(topic);
  }

  get unsubscribe(): HandlerContext["unsubscribe"] {
    return (topic) => this.origin.unsubscribe(topic);
  }
}

export class Pipeline {
  private readonly before: Record<"authorize" | "admit" | "validate", ((call: Call) => ErrorShape | undefined)[]> = { authorize: [], admit: [], validate: [] };
  private readonly onSend: ((call: Call, payload: unknown) => unknown)[] = [];

  constructor(
    private readonly rt: Runtime,
    private readonly domains: DomainRegistry,
    hooks: readonly PipelineHook[] = [],
  ) {
    for (const h of hooks) {
      if (h.stage === "send") this.onSend.push(h.run);
      else this.before[h.stage].push(h.run);
    }
  }

  /** Answers the request on `origin`; returns the error it answered with, if any. */
  async run(req: RequestFrameLike, caller: CallerInfo, origin: CallOrigin, prechecked?: ParamsPrecheck): Promise<ErrorShape | undefined> {
    let found: ResolvedMethod | undefined;
    try {
      // Synchronous once the domain is loaded: no extra turn of the event loop on the hot path.
      const r = this.domains.resolve(req.method);
      found = r instanceof Promise ? await r : r;
      // A method newer than the pinned contract exists only from the release that added it.
      if (found !== undefined && methodPolicy(req.method) === undefined && releaseMethodRow(this.rt.version, req.method) === undefined) found = undefined;
    } catch (err) {
      return this.fail(origin, req.id, Errors.handlerFailed(String(err)));
    }
    const call = new RequestCall(req, caller, found?.decl);
    // authorize (params are read only by a declaration that computes its scope from them)
    const denied = authorize(req.method, caller, found?.decl?.scope ? call.params : undefined, found?.decl, this.rt.version) ?? this.extra("authorize", call);
    if (denied) return this.fail(origin, req.id, denied);
    if (!found) return this.fail(origin, req.id, notFound(req.method, this.rt.version));
    // admit
    const admitted = admit(this.rt, call, found.decl);
    if (admitted !== undefined && admitted !== "control") return this.fail(origin, req.id, admitted);
    const refused = this.extra("admit", call);
    if (refused) return this.fail(origin, req.id, refused);
    const workOrigin = admitted === undefined ? `ws:${req.method}` : undefined;
    if (workOrigin) this.rt.work.begin(workOrigin);
    try {
      // validate
      const invalid = validate(call, found.decl.params ?? "contract", this.rt.version, prechecked) ?? this.extra("validate", call);
      if (invalid) return this.fail(origin, req.id, invalid);
      // handle
      let payload = await found.decl.handler(new CallContext(call, found, origin, this.rt, this.rt));
      // send: as the compat release answers (hanzod/core/compat.ts), then the extra hooks
      payload = answerAs(`res:${req.method}`, payload, { release: this.rt.version, runtime: this.rt });
      for (const h of this.onSend) payload = h(call, payload);
      origin.sendRaw(JSON.stringify({ type: "res", id: req.id, ok: true, payload }));
      return undefined;
    } catch (err) {
      return this.fail(origin, req.id, err instanceof MethodError ? err.shape : Errors.handlerFailed(String(err)));
    } finally {
      if (workOrigin) this.rt.work.end(workOrigin);
    }
  }

  private extra(stage: "authorize" | "admit" | "validate", call: Call): ErrorShape | undefined {
    const hooks = this.before[stage];
    for (let i = 0; i < hooks.length; i++) {
      const r = (hooks[i] as (call: Call) => ErrorShape | undefined)(call);
      if (r) return r;
    }
    return undefined;
  }

  private fail(origin: CallOrigin, id: string, error: ErrorShape): ErrorShape {
    origin.sendRaw(JSON.stringify(errorResponse(id, error)));
    return error;
  }
}

/**
 * A method hanzod does not declare: one the release it speaks for has is the legacy's to answer (a
 * decline: behind the proxy the legacy answers it), any other name is unknown, as the legacy says.
 */
function notFound(method: string, release: string): ErrorShape {
  if (method === "connect") return Errors.connectAfterHello();
  if (releaseMethodRow(release, method) !== undefined) return declinedError(`hanzod does not serve ${method} yet; route this call to the legacy gateway`);
  return Errors.unknownMethod(method);
}
