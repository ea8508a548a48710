/**
 * Connect-frame validation with the legacy's error text (formatValidationErrors in gateway-protocol):
 * `at <path>: <message>` joined by "; ", additional properties named, only the first missing property
 * per object (the legacy's validator stops an object's `required` check at the first miss).
 */
import { Errors, validateDefinition, validateInWindow, type ContractIssue, type ErrorShape } from "../../../protocol/index.js";

function formatIssue(issue: ContractIssue): string {
  const path = issue.path === "/" ? "" : issue.path;
  if (issue.keyword === "additionalProperties") {
    const prop = /\(([^)]*)\)$/.exec(issue.message)?.[1];
    if (prop) return `${path ? `at ${path}` : "at root"}: unexpected property '${prop}'`;
  }
  const message = issue.message.replace(/ \([^)]*\)$/, "");
  return `${path ? `at ${path}: ` : ""}${message}`;
}

export function formatIssues(issues: readonly ContractIssue[]): string {
  if (issues.length === 0) return "unknown validation error";
  const requiredSeen = new Set<string>();
  const parts: string[] = [];
  for (const issue of issues) {
    if (issue.keyword === "required") {
      if (requiredSeen.has(issue.path)) continue;
      requiredSeen.add(issue.path);
    }
    const part = formatIssue(issue);
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.join("; ");
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
