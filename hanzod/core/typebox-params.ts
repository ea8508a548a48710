/**
 * A method's params checked against the contract, refused in the words of the legacy's own method
 * validator (TypeBox 1.3, en_US), where they differ from the contract validator's (ajv): limits in
 * lower case ("must not have more than 32 items", "must not have fewer than 1 characters") and
 * duplicates without item numbers ("must not have duplicate items"). Seen live on `users.prefs.get`,
 * `chat.history`, `agents.files.*` and `cron.get`. (The legacy's connect check is ajv's: not this.)
 */
import { Errors, validateParamsInWindow, type ContractIssue, type ErrorShape } from "../../protocol/index.js";
import { formatIssues } from "./handshake/validation.js";

const LIMIT_KEYWORD = /^(max|min)(Items|Length|Properties)$/;

export function typeboxWorded(issue: ContractIssue): ContractIssue {
  if (issue.keyword === "uniqueItems") return { ...issue, message: "must not have duplicate items" };
  if (LIMIT_KEYWORD.test(issue.keyword)) return { ...issue, message: issue.message.replace("must NOT have", "must not have") };
  return issue;
}

/** A params check (MethodDeclaration `params`) for `method`, answering the legacy's message. */
export function typeboxParams(method: string): (params: Record<string, unknown>) => ErrorShape | undefined {
  return (params) => {
    const check = validateParamsInWindow(method, params);
    if (!check || check.valid) return undefined;
    return Errors.invalidMethodParams(method, formatIssues(check.issues.map(typeboxWorded)));
  };
}
