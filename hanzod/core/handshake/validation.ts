/**
 * Connect-frame validation with the legacy's error text (formatValidationErrors in gateway-protocol):
 * `at <path>: <message>` joined by "; ", additional properties named, only the first missing property
 * per object (the legacy's validator stops an object's `required` check at the first miss).
 */
// Module by module, not the protocol barrel: the intake worker (../intake) loads this file too.
import { Errors } from "../../../protocol/errors.js";
import type { ErrorShape } from "../../../protocol/frames.js";
import { validateDefinition, type ContractIssue } from "../../../protocol/validators.js";
import { validateInWindow } from "../../../protocol/window.js";

/**
 * Client input echoed back (property names, paths) is cut to this many characters each, and the whole
 * text to MAX_ISSUES_TEXT: a frame with 40,000 unknown keys or a 1 MB key gets a short answer (and a
 * short log line) instead of its own size back. Below these the text is the legacy's, word for word.
 */
export const MAX_ECHO_CHARS = 64;
export const MAX_ISSUES_TEXT = 1024;

function echo(text: string): string {
  return text.length <= MAX_ECHO_CHARS ? text : `${text.slice(0, MAX_ECHO_CHARS)}…`;
}

function formatIssue(issue: ContractIssue): string {
  const path = issue.path === "/" ? "" : echo(issue.path);
  if (issue.keyword === "additionalProperties" && issue.property) return `${path ? `at ${path}` : "at root"}: unexpected property '${echo(issue.property)}'`;
  if (issue.keyword === "additionalProperties") return `${path ? `at ${path}: ` : ""}must NOT have additional properties`;
  return `${path ? `at ${path}: ` : ""}${issue.message}`;
}

/** Linear in the number of issues (a Set de-duplicates), and bounded in output whatever the input. */
export function formatIssues(issues: readonly ContractIssue[]): string {
  if (issues.length === 0) return "unknown validation error";
  const requiredSeen = new Set<string>();
  const seen = new Set<string>();
  let text = "";
  for (let i = 0; i < issues.length; i++) {
    const issue = issues[i]!;
    if (issue.keyword === "required") {
      if (requiredSeen.has(issue.path)) continue;
      requiredSeen.add(issue.path);
    }
    const part = formatIssue(issue);
    if (seen.has(part)) continue;
    seen.add(part);
    const next = text.length === 0 ? part : `${text}; ${part}`;
    if (next.length > MAX_ISSUES_TEXT) return `${text}; … (${issues.length - i} more)`;
    text = next;
  }
  return text;
}

export type FirstFrameVerdict =
  | { kind: "connect"; id: string; params: ConnectParamsShape }
  | { kind: "not-request" }
  | { kind: "reject"; id: string; error: ErrorShape };

/** The subset of ConnectParams hanzod reads; the contract validator has already checked the rest. */
export interface ConnectParamsShape {
  minProtocol: number;
  maxProtocol: number;
  client: { id: string; version: string; platform: string; mode: string; displayName?: string; deviceFamily?: string; modelIdentifier?: string; instanceId?: string; buildId?: string; timeZone?: string };
  role?: string;
  scopes?: string[];
  caps?: string[];
  auth?: { token?: string; password?: string; deviceToken?: string; bootstrapToken?: string };
  device?: { id: string; publicKey: string; signature: string; signedAt: number; nonce: string };
  [key: string]: unknown;
}

/** `compat`: the release whose wording a refusal takes; a connect valid for any window release is accepted. */
export function classifyFirstFrame(parsed: unknown, compat?: string): FirstFrameVerdict {
  if (!validateDefinition("RequestFrame", parsed).valid) return { kind: "not-request" };
  const frame = parsed as { id: string; method: string; params?: unknown };
  if (frame.method !== "connect") return { kind: "reject", id: frame.id, error: Errors.firstRequestNotConnect() };
  const outcome = validateInWindow("ConnectParams", frame.params, compat);
  if (!outcome.valid) return { kind: "reject", id: frame.id, error: Errors.invalidConnectParams(formatIssues(outcome.issues)) };
  return { kind: "connect", id: frame.id, params: frame.params as ConnectParamsShape };
}
