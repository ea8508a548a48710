/**
 * The nodes domain: what node-role connections call once hanzod owns them (`nodeOwner: hanzod`), and the
 * operator side of node invocation (`node.list`, `node.describe`, `node.invoke`). The live registry is
 * core's (core/nodes.ts: connections register there whether or not this domain was loaded); the paired
 * rows are the legacy's (state/device-pairing.ts), read on every call.
 *
 * What hanzod answers and what it declines, per method, and why: hanzod/state/README.md ("Nodes").
 */
import { Errors, errorShape } from "../../../protocol/index.js";
import { defineDomain, declined, declinedMethod, invalidRequest, MethodError, type CallerInfo, type HandlerContext } from "../../core/method.js";
import { typeboxParams } from "../../core/typebox-params.js";
import { LegacyDevicePairing, PairingRefusal } from "../../state/device-pairing.js";
import { knownNodes, approvedLive, PRIVATE_NODE_COMMANDS } from "./catalog.js";
import { DECLINED_NODE_COMMANDS } from "./owner-gaps.js";
import { HOST_STATS_RELEASE, validHostStatsPayload } from "../../state/node-host-stats.js";
import { readLegacyConfigObject } from "../../config-file.js";
import type { SystemRunEvent } from "../../core/nodes.js";
import { normalizeSystemRun, notifiesOnExit, prepareSystemRun } from "./system-run.js";

interface NodesState {
  pairing: LegacyDevicePairing | undefined;
}

type Ctx = HandlerContext<NodesState>;

/** The legacy's 16 KiB cap on one progress chunk (MAX_PROGRESS_CHUNK_BYTES). */
const MAX_PROGRESS_CHUNK_BYTES = 16_384;
const ADMIN_ONLY_COMMANDS: ReadonlySet<string> = new Set(["browser.proxy", "browser.proxy.upload.v1", "fs.listDir", "terminal.upload"]);

function checkParams(method: string, params: Record<string, unknown>): void {
  const shape = typeboxParams(method)(params);
  if (shape) throw new MethodError(shape);
}

/** The node a node-role call acts for: its device id, else its client id (the legacy's callerNodeId). */
function callerNode(ctx: Ctx): string | undefined {
  return ctx.core.nodes.nodeOf(ctx.caller.connId);
}

function pairedRows(ctx: Ctx, method: string) {
  if (!ctx.state.pairing) throw declined(`${method}: hanzod needs the legacy's state dir (--state-dir) for its paired nodes`);
  try {
    return ctx.state.pairing.list().paired;
  } catch (err) {
    if (err instanceof PairingRefusal || err instanceof SyntaxError) throw declined(`${method}: ${err.message}`);
    throw err;
  }
}

function catalog(ctx: Ctx, method: string): Record<string, unknown>[] {
  const read = knownNodes(pairedRows(ctx, method), ctx.core.nodes.list(), ctx.core.version);
  if (read.kind === "refused") throw declined(`${method}: ${read.reason}`);
  // A caller that may not read pending pairings sees paired or connected nodes only (both always are here).
  return read.rows;
}

/** node.invoke.result's normalisation before validation (normalizeNodeInvokeResultParams). */
function normalizeResult(params: Record<string, unknown>): Record<string, unknown> {
  const p = { ...params };
  if (p.payloadJSON === null) delete p.payloadJSON;
  else if (p.payloadJSON !== undefined && typeof p.payloadJSON !== "string") {
    if (p.payload === undefined) p.payload = p.payloadJSON;
    delete p.payloadJSON;
  }
  if (p.error === null) delete p.error;
  return p;
}

/**
 * parseNodeRunnerInventoryDeclaration, reduced to what hanzod answers: no supervisor feature, or the current one
 * (`node-worker-supervisor-v6`) with worker hosting off, is "no-worker-host"; a malformed one "invalid"; the rest
 * (worker host enabled, retired supervisor features) named for the decline.
 */
function runnerDeclaration(v: Record<string, unknown>): "invalid" | "no-worker-host" | "worker host" | "retired supervisor" {
  const features = v.protocolFeatures;
  if (!Array.isArray(features)) return "invalid";
  const keys = Object.keys(v);
  if (features.length === 0) return keys.length === 1 ? "no-worker-host" : "invalid";
  if (features.length !== 1) return "invalid";
  if (typeof features[0] === "string" && /^node-worker-supervisor-v[1-5]$/.test(features[0])) return "retired supervisor";
  if (features[0] !== "node-worker-supervisor-v6" || keys.length !== 2) return "invalid";
  const host = v.workerHost;
  if (!host || typeof host !== "object" || Array.isArray(host) || typeof (host as { enabled?: unknown }).enabled !== "boolean") return "invalid";
  const hostKeys = Object.keys(host);
  if ((host as { enabled: boolean }).enabled) return "worker host";
  return hostKeys.length === 1 ? "no-worker-host" : "invalid";
}

/** The legacy's parsePayloadObject: a JSON object from the event's payload text, else null. */
function parseObject(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The legacy's parseGatewayPayload: a trimmed JSON text parsed, else wrapped. */
function parsePayload(text: string | null | undefined): unknown {
  const t = typeof text === "string" ? text.trim() : "";
  if (!t) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return { payloadJSON: text };
  }
}

function nodeInvokeError(error: unknown, dispatched: boolean): MethodError {
  const e = error && typeof error === "object" ? (error as Record<string, unknown>) : null;
  const code = typeof e?.code === "string" ? e.code.trim() : "";
  const msg = (typeof e?.message === "string" ? e.message.trim() : "") || "node invoke failed";
  return new MethodError(errorShape("UNAVAILABLE", code ? `${code}: ${msg}` : msg, { nodeError: error ?? null, nodeCommandDispatched: dispatched }));
}

function hasScope(caller: CallerInfo, scope: string): boolean {
  return caller.scopes.includes(scope);
}

/** The legacy's config as hanzod reads it (tools.exec.notifyOnExit); undefined when hanzod has no config to read. */
function legacyConfig(ctx: Ctx): Record<string, unknown> | undefined {
  const path = ctx.core.opts.configPath ?? ctx.core.legacy?.configPath;
  if (!path) return undefined;
  try {
    return readLegacyConfigObject(path);
  } catch (err) {
    throw declined(`node.invoke system.run: the legacy's config cannot be read (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * The params a `system.run` is forwarded with (the legacy's sanitizeSystemRunParamsForForwarding), and the
 * approval record's release when an approval was bound. Declined before any side effect when the legacy must
 * judge: a rawCommand only its shell parser can judge, a run whose end the legacy would tell an agent session.
 */
function systemRunParams(ctx: Ctx, nodeId: string, raw: unknown): { params: unknown; release?: () => void } {
  const prepared = prepareSystemRun(raw);
  if (prepared.kind === "refused") throw new MethodError(prepared.error);
  if (prepared.kind === "declined") throw declined(`node.invoke system.run: ${prepared.why}`);
  if (notifiesOnExit(raw, legacyConfig(ctx))) throw declined("node.invoke system.run without suppressNotifyOnExit while tools.exec.notifyOnExit is on: the legacy queues the node's exec.finished as a system event in its agent session and wakes it, which hanzod cannot do");
  if (prepared.kind === "forward") return { params: prepared.params };
  // The node is held here, so the approval must be too: hanzod's binder, or none held yet (core/system-run-approvals.ts).
  const binder = ctx.core.systemRunApprovals.current;
  const c = ctx.caller;
  const bound = binder.bind({
    nodeId,
    params: prepared.params,
    requester: { connId: c.connId, ...(c.deviceId ? { deviceId: c.deviceId } : {}), ...(c.callerDeviceId ? { deviceTokenAuth: true } : {}), ...(c.clientId ? { clientId: c.clientId } : {}), ...(c.clientMode ? { clientMode: c.clientMode } : {}), scopes: c.scopes },
  });
  if (!bound.ok) throw new MethodError(bound.error);
  return { params: bound.params, release: bound.release };
}

/**
 * A node's report on a run it was sent (server-node-events-MNEnnRJP.mjs:657-713): matched against the runs
 * this process forwarded (`{ok: true}`), else `unmatched_exec_event`. A matched event reaches no agent
 * session here: hanzod forwards only runs that do not notify (systemRunParams).
 */
function execEvent(ctx: Ctx, event: string, payloadJSON: string | null): Record<string, unknown> {
  const obj = parseObject(payloadJSON);
  if (!obj) return { ok: true };
  const nodeId = callerNode(ctx) ?? "";
  const runId = typeof obj.runId === "string" ? obj.runId.trim() : "";
  const sessionKey = (typeof obj.sessionKey === "string" ? obj.sessionKey.trim() : "") || `node-${nodeId}`;
  const matched = ctx.core.nodes.authorizeSystemRunEvent({ nodeId, connId: ctx.caller.connId, ...(runId ? { runId } : {}), sessionKey, terminal: event !== "exec.started" });
  return matched ? { ok: true } : { ok: true, event, handled: false, reason: "unmatched_exec_event" };
}

/** A node-role update of a list hanzod keeps only empty: answered exactly for [], declined otherwise. */
function emptyListUpdate(method: string, key: "tools" | "skills") {
  return {
    name: method,
    params: typeboxParams(method),
    handler: (ctx: Ctx) => {
      const nodeId = callerNode(ctx);
      if (!nodeId) throw invalidRequest("unknown nodeId");
      const list = ctx.params[key];
      if (!Array.isArray(list) || list.length > 0) throw declined(`${method} with ${key}: the legacy normalises and keeps them for its agents' tool and skill lists, which hanzod does not serve`);
      return { nodeId, [key]: [] };
    },
  };
}

export default defineDomain<NodesState>({
  name: "nodes",
  events: [{ name: "node.hostStats", guard: "operator.read" }],
  setup: (core) => ({ pairing: core.legacy ? new LegacyDevicePairing(core.legacy.stateDb) : undefined }),
  teardown: (state) => state.pairing?.close(),
  methods: [
    // ---- node role: what the node host calls on its own connection ----
    {
      name: "node.invoke.result",
      params: "handler",
      handler: (ctx) => {
        const p = normalizeResult(ctx.params);
        checkParams("node.invoke.result", p);
        const nodeId = callerNode(ctx);
        if (nodeId !== undefined && nodeId !== p.nodeId) throw invalidRequest("nodeId mismatch");
        const handled = ctx.core.nodes.handleResult({
          id: p.id as string,
          nodeId: p.nodeId as string,
          connId: ctx.caller.connId,
          ok: p.ok === true,
          payload: p.payload,
          payloadJSON: typeof p.payloadJSON === "string" ? p.payloadJSON : null,
          error: (p.error as Record<string, unknown> | undefined) ?? null,
        });
        return handled ? { ok: true } : { ok: true, ignored: true };
      },
    },
    {
      name: "node.invoke.progress",
      params: typeboxParams("node.invoke.progress"),
      handler: (ctx) => {
        const nodeId = callerNode(ctx);
        if (nodeId !== undefined && nodeId !== ctx.params.nodeId) throw invalidRequest("nodeId mismatch");
        if (Buffer.byteLength(String(ctx.params.chunk), "utf8") > MAX_PROGRESS_CHUNK_BYTES) throw invalidRequest("progress chunk too large");
        // Progress reaches only streaming invokes (the legacy's plugin runtime); hanzod starts none, so the
        // legacy's answer for every other invoke: ignored.
        return { ok: true, ignored: true };
      },
    },
    emptyListUpdate("node.pluginTools.update", "tools"),
    emptyListUpdate("node.skills.update", "skills"),
    {
      name: "node.runnerInventory.update",
      params: "handler",
      handler: (ctx) => {
        const kind = runnerDeclaration(ctx.params);
        if (kind === "invalid") throw invalidRequest("invalid node runner inventory");
        // A worker host (slots, bundle, issues in node.list) or a retired supervisor (update-required issue): the legacy's.
        if (kind !== "no-worker-host") throw declined(`node.runnerInventory.update of a ${kind}: the legacy keeps its runner inventory (worker slots, bundle, issues) for node.list`);
        const nodeId = callerNode(ctx);
        if (!nodeId || !ctx.state.pairing) throw declined("node.runnerInventory.update: not a node connection hanzod registered, or no legacy state dir");
        const device = pairedRows(ctx, "node.runnerInventory.update").find((d) => d.deviceId === nodeId);
        // Before approval the legacy answers with the pending request's id (retry after pairing): not reproduced.
        if (!device?.nodeSurface) throw declined("node.runnerInventory.update before the node's surface is approved");
        // Not a session host: the legacy stores that consent (node.updateSessionHost) and answers the node id.
        if (!ctx.state.pairing.updateNodeSurface(nodeId, (s) => ({ ...s, sessionHost: false }))) throw new MethodError(errorShape("UNAVAILABLE", "node runner inventory publication lost its pairing ownership; retry"));
        return { nodeId };
      },
    },
    {
      name: "node.event",
      params: typeboxParams("node.event"),
      emits: ["node.hostStats"],
      handler: (ctx) => {
        const p = ctx.params;
        // Host stats (2026.9.6): kept on the live node, persisted in its paired row, told to operators.
        if (p.event === "node.host.stats" && ctx.core.version === HOST_STATS_RELEASE) {
          const payloadJSON = typeof p.payloadJSON === "string" ? p.payloadJSON : p.payload !== undefined ? JSON.stringify(p.payload) : null;
          const stats = parseObject(payloadJSON);
          if (!stats || !validHostStatsPayload(stats)) return { ok: true, event: p.event, handled: false, reason: "invalid_payload" };
          const nodeId = callerNode(ctx);
          const hostStats = nodeId === undefined ? null : ctx.core.nodes.updateHostStats(nodeId, ctx.caller.connId, stats);
          if (!hostStats) return { ok: true, event: p.event, handled: false, reason: "stale_connection" };
          ctx.emit("node.hostStats", { nodeId, hostStats }, { dropIfSlow: true });
          return { ok: true, event: p.event, handled: true, reason: "updated" };
        }
        if (p.event === "exec.started" || p.event === "exec.finished" || p.event === "exec.denied") return execEvent(ctx, p.event, typeof p.payloadJSON === "string" ? p.payloadJSON : p.payload !== undefined ? JSON.stringify(p.payload) : null);
        throw declined(`node.event ${String(p.event)}: the legacy dispatches node events to chat, agent runs, exec approvals, presence, voice wake and push registration`);
      },
    },
    declinedMethod("node.pending.pull", "pending node actions are queued by the legacy for iOS foreground commands, under the node's pairing generation"),
    declinedMethod("node.pending.ack", "pending node actions are the legacy's (see node.pending.pull)"),
    declinedMethod("node.pending.drain", "the legacy's pending work queue (node wake, worker supervision) is not held by hanzod"),
    declinedMethod("node.pluginSurface.refresh", "plugin node-capability URLs are minted by the legacy's plugin runtime"),
    declinedMethod("skills.bins", "the legacy answers the binaries its agents' skills need, from its skill loader"),
    // ---- operator side ----
    {
      name: "node.list",
      params: typeboxParams("node.list"),
      handler: (ctx) => ({ ts: Date.now(), nodes: catalog(ctx, "node.list") }),
    },
    {
      name: "node.describe",
      params: typeboxParams("node.describe"),
      handler: (ctx) => {
        const id = typeof ctx.params.nodeId === "string" ? ctx.params.nodeId.trim() : "";
        if (!id) throw invalidRequest("nodeId required");
        const node = catalog(ctx, "node.describe").find((n) => n.nodeId === id);
        if (!node) throw invalidRequest("unknown nodeId");
        return { ts: Date.now(), ...node };
      },
    },
    {
      name: "node.invoke",
      params: typeboxParams("node.invoke"),
      // The legacy's least-privilege rule: admin-only host commands need admin, everything else write. (Its
      // browser-proxy mutation case, write then refused by the handler, is declined below either way.)
      scope: (params) => (ADMIN_ONLY_COMMANDS.has(params.command as string) ? "operator.admin" : "operator.write"),
      handler: async (ctx) => {
        const p = ctx.params;
        const nodeId = typeof p.nodeId === "string" ? p.nodeId.trim() : "";
        const command = typeof p.command === "string" ? p.command.trim() : "";
        if (!nodeId || !command) throw invalidRequest("nodeId and command required");
        if (PRIVATE_NODE_COMMANDS.has(command)) throw invalidRequest("node.invoke does not allow private node controls", { command });
        if (command === "system.execApprovals.get" || command === "system.execApprovals.set") throw invalidRequest("node.invoke does not allow system.execApprovals.*; use exec.approvals.node.*", { command });
        if (command === "agent.cli.claude.run.v1") throw invalidRequest("node.invoke does not allow Claude agent runs; use sessions.catalog.continue", { command });
        if (ADMIN_ONLY_COMMANDS.has(command) && !hasScope(ctx.caller, "operator.admin")) throw new MethodError(Errors.missingScope("operator.admin"));
        const declinedWhy = DECLINED_NODE_COMMANDS.get(command);
        if (declinedWhy !== undefined) throw declined(`node.invoke ${command}: ${declinedWhy}`);
        if (ADMIN_ONLY_COMMANDS.has(command) || command.startsWith("talk.") || command === "mcp.tools.call.v1") throw declined(`node.invoke ${command}: the legacy applies its own policy to this command`);
        const live = ctx.core.nodes.get(nodeId);
        // Not connected here: the legacy first tries to wake the node (APNs) and waits for it to reconnect.
        if (!live) throw declined(`node.invoke: node ${nodeId} is not connected to hanzod (the legacy's wake and reconnect wait)`);
        const device = pairedRows(ctx, "node.invoke").find((d) => d.deviceId === nodeId);
        if (!device?.nodeSurface || device.pendingNodeSurface !== undefined) throw declined(`node.invoke: node ${nodeId} has no settled approved surface in the paired rows`);
        // A command outside the approved, declared surface: the legacy's refusal carries a config-dependent hint.
        if (!approvedLive(live, device.nodeSurface).commands.includes(command)) throw declined(`node.invoke ${command}: not in node ${nodeId}'s approved surface (the legacy's refusal names its allowlist configuration)`);
        // timeoutMs 0 (the schema allows it): the legacy's invoke then has no deadline of its own and its
        // stream timers decide; hanzod does not reproduce that.
        if (p.timeoutMs === 0) throw declined("node.invoke with timeoutMs 0: the legacy's invoke stream timers decide its end");
        let forwarded = p.params;
        let systemRunEvent: SystemRunEvent | undefined;
        let release: (() => void) | undefined;
        if (command === "system.run") {
          const run = systemRunParams(ctx, nodeId, p.params);
          const normalized = normalizeSystemRun(run.params);
          forwarded = normalized.params;
          systemRunEvent = normalized.event;
          release = run.release;
        }
        const res = await ctx.core.nodes.invoke({
          nodeId,
          command,
          ...(forwarded !== undefined ? { params: forwarded } : {}),
          ...(systemRunEvent ? { systemRunEvent } : {}),
          ...(typeof p.timeoutMs === "number" ? { timeoutMs: p.timeoutMs } : {}),
          idempotencyKey: p.idempotencyKey as string,
          ...(typeof p.sessionKey === "string" && p.sessionKey.trim() ? { sessionKey: p.sessionKey.trim() } : {}),
        }).finally(() => release?.());
        if (!res.ok) throw nodeInvokeError(res.error, res.dispatched);
        const payload = res.payloadJSON ? parsePayload(res.payloadJSON) : res.payload;
        return { ok: true, nodeId, command, payload, payloadJSON: res.payloadJSON ?? null };
      },
    },
  ],
});
