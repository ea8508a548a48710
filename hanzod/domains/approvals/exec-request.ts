/**
 * `exec.approval.request` params → the stored request, the presentation card and the refusals, as the legacy's
 * handler builds them (9.6 dist exec-approval-DrXULlUK.mjs:164-343; 9.1 exec-approval-r47xEzl8.js, the same
 * request shape), for the subset hanzod can reproduce exactly. Everything else is a decline (the proxy hands
 * the call to the legacy): hosts other than `node` (the legacy's own exec tool owns gateway-host approvals), a
 * session key (its approvals go to session audiences and `session.approval` subscribers), a run id (abort
 * markers, cron grants), env overrides, display extras (warning text, scope cards, spans, resolved path,
 * unavailable decisions), turn-source routes, and command text the legacy's display sanitizer or its
 * secret redaction could change, or whose command analysis hanzod does not port.
 */
import type { ApprovalDecision, ExecPresentation } from "../../state/operator-approvals.js";

export type RequestPlan =
  | { kind: "decline"; reason: string }
  | { kind: "invalid"; message: string; details?: Record<string, unknown> }
  | { kind: "ok"; request: Record<string, unknown>; presentation: ExecPresentation; explicitId: string | null; timeoutMs: number; twoPhase: boolean; requireDeliveryRoute: boolean; suppressDelivery: boolean; agentId: string | null; sessionId: string | null; toolCallId: string | null };

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

/**
 * Executables whose argv the legacy's command analysis (`analyzeCommandForPolicy` + the display summary)
 * reads as one plain segment with no inline-eval or command-carrier risk, checked against the legacy's own
 * analysis in the unit test. Anything else (shells, interpreters, carriers like xargs/find/env/sudo) declines.
 */
const PLAIN_EXECUTABLES = new Set(["echo", "printf", "true", "false", "touch", "ls", "cat", "pwd", "date", "uname", "whoami", "id", "hostname", "mkdir", "head", "tail", "wc", "sleep", "uptime", "df", "du", "stat", "basename", "dirname"]);

/**
 * Text the legacy's display sanitizer (invisible-char escaping, 16 KiB truncation) and its `tools` secret
 * redaction leave unchanged for certain: printable ASCII without credential-like words or long alphanumeric runs (opaque tokens).
 */
export function displaySafe(text: string): boolean {
  if (text.length > 512 || !/^[ -~]*$/.test(text)) return false;
  if (/key|token|secret|pass|pwd|auth|bearer|cred|session|cookie|sk-|ghp_|gho_|xox|akia/i.test(text)) return false;
  return !/[A-Za-z0-9]{20,}/.test(text);
}

/**
 * A paired node's id as the legacy mints it: its device id, the SHA-256 of its public key in lowercase hex
 * (64 chars). A long opaque run fails displaySafe, but the legacy's sanitizer leaves such an id unchanged in the
 * presentation card (its redaction patterns need a vendor prefix or a key name; checked against the legacy's own
 * sanitizer in the unit test).
 */
export function isDeviceId(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** formatExecCommand: minimal shell-style quoting for display. */
export function formatExecCommand(argv: readonly string[]): string {
  return argv.map((a) => (a.length === 0 ? '""' : !/\s|"/.test(a) ? a : `"${a.replace(/"/g, '\\"')}"`)).join(" ");
}

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** normalizeExecApprovalPolicySnapshot: undefined when absent, null when malformed; rules deduplicated and sorted. */
function normalizePolicySnapshot(v: unknown): Record<string, unknown> | null | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const c = v as Record<string, unknown>;
  const { security, ask, askFallback, autoAllowSkills, allowlistRules } = c;
  if ((security !== "deny" && security !== "allowlist" && security !== "full") || (ask !== "off" && ask !== "on-miss" && ask !== "always") || (askFallback !== "deny" && askFallback !== "allowlist" && askFallback !== "full") || typeof autoAllowSkills !== "boolean" || !Array.isArray(allowlistRules)) return null;
  const rules: { pattern: string; argPattern?: string; source?: "allow-always" }[] = [];
  for (const raw of allowlistRules as unknown[]) {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
    const r = raw as Record<string, unknown>;
    if (typeof r.pattern !== "string" || (r.argPattern !== undefined && typeof r.argPattern !== "string") || (r.source !== undefined && r.source !== "allow-always")) return null;
    rules.push({ pattern: r.pattern, ...(typeof r.argPattern === "string" ? { argPattern: r.argPattern } : {}), ...(r.source === "allow-always" ? { source: "allow-always" as const } : {}) });
  }
  const byKey = new Map(rules.map((r) => [JSON.stringify([r.pattern, r.argPattern ?? null, r.source ?? null]), r]));
  const opt = (a: string | undefined, b: string | undefined) => (a === undefined ? (b === undefined ? 0 : -1) : b === undefined ? 1 : utf8Compare(a, b));
  const sorted = [...byKey.values()].sort((a, b) => utf8Compare(a.pattern, b.pattern) || opt(a.argPattern, b.argPattern) || opt(a.source, b.source));
  return { security, ask, askFallback, autoAllowSkills, allowlistRules: sorted };
}

/** A system.run plan as the request stores it (the node's prepared plan, normalized); the binder reads it back. */
export interface Plan {
  argv: string[];
  cwd: string | null;
  commandText: string;
  commandPreview: string | null;
  agentId: string | null;
  sessionKey: string | null;
  policySnapshot?: Record<string, unknown>;
  /** The file the node bound the approval to (a script operand, or the executable itself when the node's user may change it). */
  mutableFileOperand?: FileOperand;
}

export interface FileOperand {
  argvIndex: number;
  path: string;
  sha256: string;
}

/**
 * normalizeSystemRunApprovalFileOperand: undefined when absent, null when malformed (null included). The node
 * hashes the file at prepare and re-checks it before the run; the gateway only stores and forwards it.
 */
function normalizeFileOperand(v: unknown): FileOperand | null | undefined {
  if (v === undefined) return undefined;
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const c = v as Record<string, unknown>;
  const argvIndex = typeof c.argvIndex === "number" && Number.isInteger(c.argvIndex) && c.argvIndex >= 0 ? c.argvIndex : null;
  const path = str(c.path);
  const sha256 = str(c.sha256);
  if (argvIndex === null || !path || !sha256) return null;
  return { argvIndex, path, sha256 };
}

/** normalizeSystemRunApprovalPlan: a malformed policy snapshot or file operand makes no plan at all. */
function normalizePlan(v: unknown): Plan | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const c = v as Record<string, unknown>;
  const argv = Array.isArray(c.argv) ? c.argv.map((e) => String(e)) : [];
  if (argv.length === 0) return null;
  const mutableFileOperand = normalizeFileOperand(c.mutableFileOperand);
  if (c.mutableFileOperand !== undefined && mutableFileOperand === null) return null;
  const policySnapshot = normalizePolicySnapshot(c.policySnapshot);
  if (c.policySnapshot !== undefined && policySnapshot === null) return null;
  const commandText = str(c.commandText) ?? str(c.rawCommand);
  if (!commandText) return null;
  return { argv, cwd: str(c.cwd), commandText, commandPreview: str(c.commandPreview), agentId: str(c.agentId), sessionKey: str(c.sessionKey), ...(policySnapshot ? { policySnapshot } : {}), ...(mutableFileOperand ? { mutableFileOperand } : {}) };
}

/** resolveExecApprovalRequestAllowedDecisions (no unavailable decisions: those decline). */
export function allowedDecisions(ask: unknown): ApprovalDecision[] {
  return str(ask)?.toLowerCase() === "always" ? ["allow-once", "deny"] : ["allow-once", "allow-always", "deny"];
}

const DECLINED_FIELDS = ["warningText", "scope", "commandSpans", "resolvedPath", "unavailableDecisions", "runId", "turnSourceChannel", "turnSourceTo", "turnSourceAccountId", "turnSourceThreadId"] as const;

export function planRequest(p: Record<string, unknown>): RequestPlan {
  const decline = (reason: string): RequestPlan => ({ kind: "decline", reason: `exec.approval.request ${reason}` });
  const host = str(p.host) ?? "";
  if (host !== "node") return decline(`with host "${host}": gateway-host exec approvals belong to the legacy's own exec runtime`);
  for (const f of DECLINED_FIELDS) if (p[f] !== undefined && p[f] !== null) return decline(`with ${f}: hanzod does not reproduce its handling`);
  if (p.env && typeof p.env === "object" && Object.keys(p.env).length > 0) return decline("with env overrides: hanzod does not reproduce the legacy's env binding");
  const nodeId = str(p.nodeId) ?? "";
  const plan = normalizePlan(p.systemRunPlan);
  // resolveSystemRunApprovalRequestContext: the plan decides argv, text, cwd, agent and session.
  const fallbackCommand = typeof p.command === "string" ? p.command : "";
  const commandText = plan ? plan.commandText || formatExecCommand(plan.argv) : fallbackCommand;
  const previewSource = plan ? (plan.commandPreview ?? fallbackCommand) : null;
  const preview = str(previewSource);
  const commandPreview = preview && preview !== commandText ? preview : null;
  const storedPlan: Plan | null = plan ? { ...plan, commandPreview } : null;
  const argv = storedPlan?.argv ?? (Array.isArray(p.commandArgv) && p.commandArgv.length > 0 ? p.commandArgv.map((e) => String(e)) : undefined);
  const cwd = (storedPlan?.cwd ?? null) ?? str(p.cwd);
  const agentId = (storedPlan?.agentId ?? null) ?? str(p.agentId);
  const sessionKey = (storedPlan?.sessionKey ?? null) ?? str(p.sessionKey);
  if (!nodeId) return { kind: "invalid", message: "nodeId is required for host=node" };
  if (!storedPlan) return { kind: "invalid", message: "systemRunPlan is required for host=node" };
  if (commandText.trim().length === 0) return { kind: "invalid", message: "command is required" };
  const explicitId = typeof p.id === "string" ? p.id : null;
  if (explicitId?.startsWith("plugin:")) return { kind: "invalid", message: "approval ids starting with plugin: are reserved" };
  if (!argv || argv.length === 0) return { kind: "invalid", message: "commandArgv is required for host=node" };
  if (sessionKey) return decline("with a session key: its approvals reach session audiences and session.approval subscribers, which hanzod does not serve");
  const exe = (argv[0] ?? "").split("/").pop() ?? "";
  if (!PLAIN_EXECUTABLES.has(exe)) return decline(`for ${JSON.stringify(exe)}: hanzod does not port the legacy's command analysis for it`);
  for (const text of [commandText, cwd ?? "", agentId ?? "", commandPreview ?? "", ...argv]) if (!displaySafe(text)) return decline("whose text the legacy's display sanitizer or secret redaction may rewrite");
  if (!displaySafe(nodeId) && !isDeviceId(nodeId)) return decline("whose node id the legacy's display sanitizer or secret redaction may rewrite");
  const security = str(p.security)?.toLowerCase();
  const ask = str(p.ask)?.toLowerCase();
  const decisions = allowedDecisions(p.ask);
  const sessionId = str(p.sessionId);
  const toolCallId = str(p.toolCallId);
  const binding = { argv, cwd, agentId, sessionKey: null, envHash: null };
  const request: Record<string, unknown> = {
    command: commandText,
    systemRunBinding: binding,
    systemRunPlan: storedPlan,
    cwd,
    nodeId,
    host: "node",
    security: security === "deny" || security === "allowlist" || security === "full" ? security : null,
    ask: ask === "off" || ask === "on-miss" || ask === "always" ? ask : null,
    warningText: null,
    scope: null,
    commandAnalysis: { commandCount: 1, nestedCommandCount: 0, riskKinds: [], warningLines: [] },
    allowedDecisions: decisions,
    agentId,
    resolvedPath: null,
    sessionKey: null,
    sessionId,
    runId: null,
    toolCallId,
    turnSourceChannel: null,
    turnSourceTo: null,
    turnSourceAccountId: null,
    turnSourceThreadId: null,
    cronExecutionSource: null,
    cronOperationBinding: null,
  };
  // buildExecApprovalPresentation on the stored request; the manager's allowed decisions (deny always last).
  const presentation: ExecPresentation = { kind: "exec", commandText, commandPreview, warningText: null, host: "node", nodeId, agentId, allowedDecisions: decisions };
  const timeoutMs = typeof p.timeoutMs === "number" ? p.timeoutMs : 1_800_000;
  return { kind: "ok", request, presentation, explicitId, timeoutMs, twoPhase: p.twoPhase === true, requireDeliveryRoute: p.requireDeliveryRoute !== false, suppressDelivery: p.suppressDelivery === true, agentId, sessionId, toolCallId };
}
