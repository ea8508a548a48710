/**
 * How a domain declares itself and its methods: once, like a fastify plugin with route options. The
 * dispatch pipeline (pipeline.ts) reads these declarations; hello-ok's discovery lists and the static
 * registry (domains/manifest.generated.ts) are derived from them, so a method name is written once.
 */
import { declinedError, errorShape, type ErrorShape } from "../../protocol/index.js";
import type { CoreServices } from "./runtime.js";
import type { SuspensionPhase } from "./lifecycle/suspension.js";

export interface CallerInfo {
  connId: string;
  role: string;
  scopes: readonly string[];
  /** The connect's declared client capabilities (some answers depend on them, e.g. agents.list's `agent-kind`). */
  caps?: readonly string[];
  /** The connect's client id (e.g. the Control UI's `openclaw-control-ui`). */
  clientId?: string;
  /** The connect's client display name (the legacy names an approval's resolver by it, else by the client id). */
  clientDisplayName?: string;
  /** The connect's client mode (e.g. `backend`, `cli`, `webchat`): the legacy stores it with a sent chat turn. */
  clientMode?: string;
  /**
   * The person this connection is attributed to (the legacy's `authenticatedUserProfile`): from
   * 2026.9.6 the gateway owner's profile for a tracked shared-secret operator; none for ephemeral
   * clients (CLI, backend, probe) and proxy legs, as in the legacy.
   */
  profileId?: string;
  /** How the connect authenticated: the legacy attributes the owner's profile by it when gateway.roles is configured. */
  authMethod?: string;
  /**
   * The connect carried a verified user identity (trusted proxy, proxy leg): the legacy attributes that
   * person's own profile (resolved from the identity), which hanzod does not resolve.
   */
  verifiedUser?: true;
  /**
   * The connect's device id when the connect authenticated with that device's own token (the legacy's
   * `resolveDeviceSessionAuthz().callerDeviceId`: `isDeviceTokenAuth` and a device id). Absent for a
   * shared secret, a trusted proxy or a proxy leg, even when the connect signed with a device: the legacy
   * limits a non-admin's view of pairings (e.g. `node.pair.list`) to its own device only in this case.
   */
  callerDeviceId?: string;
  /**
   * The device the connect signed with, however it authenticated (the legacy's `client.connect.device.id`):
   * exec approvals bind their requester to it and show a record to its requesting device.
   */
  deviceId?: string;
}

/** A handler's refusal: the catalog shape (protocol/errors.ts) goes to the client as is. */
export class MethodError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

/** The legacy's INVALID_REQUEST answer with its own wording (and details, where it gives some). */
export function invalidRequest(message: string, details?: Record<string, unknown>): MethodError {
  return new MethodError(errorShape("INVALID_REQUEST", message, details));
}

/**
 * A call hanzod declares but cannot answer as the legacy would in this state: thrown before any side
 * effect, so the proxy can hand the same request to the legacy (protocol/declined.ts).
 */
export function declined(message: string): MethodError {
  return new MethodError(declinedError(message));
}

/**
 * A method hanzod declares only so that its owner gate sees it: every call declines with `why`, before any side
 * effect, and the proxy hands it to the legacy. Params are the legacy's to check.
 */
export function declinedMethod<S>(name: string, why: string): MethodDeclaration<S> {
  return {
    name,
    params: "handler",
    handler: () => {
      throw declined(`${name}: ${why}`);
    },
  };
}

/**
 * How params are checked before the handler runs:
 * - "contract": the frozen schema; a failure lists the issues (the legacy's usual validator message);
 * - "contract-terse": the frozen schema; a failure is the legacy's detail-free "invalid <method> params";
 * - "handler": the handler checks them itself (the legacy answers its own messages there);
 * - a function: a custom check; its ErrorShape answers the request.
 */
export type ParamsCheck = "contract" | "contract-terse" | "handler" | ((params: Record<string, unknown>) => ErrorShape | undefined);

/** What the admission fence knows while a restart or suspension holds admission closed. */
export interface AdmissionGate {
  restarting: boolean;
  phase: SuspensionPhase;
  /** Admitted root work in flight (requests, connects). */
  activeWork: number;
}

/**
 * "root" (default): admitted only while admission is open, counted as root work while it runs;
 * "control": always admitted, never counted (the suspension's own controls);
 * a function: passes the closed fence (uncounted) when it returns true for these params.
 */
export type Admission = "root" | "control" | ((params: Record<string, unknown>, gate: AdmissionGate) => boolean);

export interface EmitOptions {
  /** Slow consumers lose this event (their seq still advances) instead of being closed. */
  dropIfSlow?: boolean;
  withStateVersion?: boolean;
  /** For "subscribers" events: only connections subscribed to this topic, or to any of these (default: the event's name). */
  topic?: string | readonly string[];
}

export interface Reply {
  /**
   * An interim answer on the request's id (the legacy's `status: "accepted"`); the handler's return
   * value follows as the final answer on the same id.
   */
  accepted(payload: Record<string, unknown>): void;
}

export interface HandlerContext<S = unknown> {
  caller: CallerInfo;
  params: Record<string, unknown>;
  /** Aborts when the client's connection closes before the answer. */
  readonly signal: AbortSignal;
  reply: Reply;
  /** Broadcast one of the events this method declares in `emits`. */
  emit(event: string, payload: unknown, opts?: EmitOptions): void;
  /** Subscribe the calling connection to a topic (e.g. a session's changes); returns the unsubscribe. */
  subscribe(topic: string): () => void;
  /** Drop the calling connection's subscription to a topic (a later call's undo, e.g. an unsubscribe method). */
  unsubscribe(topic: string): void;
  /** What core offers every domain (health, presence, lifecycle, settings). */
  core: CoreServices;
  /** This domain's own state, built by its `setup` on first use. */
  state: S;
}

export interface MethodDeclaration<S = unknown> {
  /** A contract method; its scope comes from the method table (protocol/methods.ts). */
  name: string;
  params?: ParamsCheck;
  /** Only for `dynamic`-scope methods: the operator scope these params need. Without it non-admins are refused. */
  scope?: (params: Record<string, unknown>) => string;
  admission?: Admission;
  /** Events this method may emit; `emit` refuses any other. */
  emits?: readonly string[];
  handler(ctx: HandlerContext<S>): unknown;
}

/**
 * An event hanzod can send. `guard`: null = any authenticated role; a scope = operators holding it
 * (the legacy's EVENT_SCOPE_GUARDS). `audience`: "all" recipients the guard lets through, "subscribers"
 * of a topic only, or "connection" (sent to one socket directly, never broadcast).
 */
export interface EventDeclaration {
  name: string;
  guard: string | null;
  audience?: "all" | "subscribers" | "connection";
}

export interface DomainDeclaration<S = unknown> {
  name: string;
  /**
   * Loaded before hanzod listens instead of on first call: for the few small domains every deployment
   * calls at once (health), so their first answer pays no module load. Everything else loads lazily.
   */
  eager?: boolean;
  /** Runs on the domain's first call: the stores it owns, visible only inside it. */
  setup?(core: CoreServices): S;
  teardown?(state: S): void | Promise<void>;
  methods: readonly MethodDeclaration<S>[];
  events?: readonly EventDeclaration[];
}

/** Identity, for inference: `state` in every handler is typed by `setup`'s return. */
export function defineDomain<S = undefined>(domain: DomainDeclaration<S>): DomainDeclaration<S> {
  return domain;
}
