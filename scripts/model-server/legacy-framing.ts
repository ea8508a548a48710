/**
 * What the legacy puts around a person's message before a model sees it, and taking it off again, so the
 * script reads the person's own words (directives included) on every release:
 *
 * - a time stamp in front, "[Tue 2026-12-01 02:40 UTC] " (2026.9.1 and 2026.9.6);
 * - the system prompt's "Runtime: agent=… | host=… | repo=…" line, moved to the end of the conversation's
 *   first user message for prompt caching (2026.9.6: "\n\n" + the line on string content, its own text
 *   part on content-part arrays);
 * - runtime context (active exec sessions, subagents, system events) in a block between
 *   <<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> and <<<END_OPENCLAW_INTERNAL_CONTEXT>>> lines, sent as a user
 *   message of its own after the person's (2026.9.6), or put in front of an existing carrier's text;
 * - a turn the legacy retries after a failed model call is sent again inside its continuation prompt:
 *   "[Queued user message …]\n<the person's message>\n\nContinue the current task …" (2026.9.6); the
 *   person's message is still the turn (its directives hold, a [[fail:N*K]] count goes on). A queued
 *   message followed by a new message of the person's is left whole: where one ends is not marked.
 *
 * Each of these carries the time, the host or a session id: left in, an echo or a tool-call id would
 * differ between runs and between the legacy and hanzod.
 */
import { contentText } from "./content.js";

const TIME_STAMP = /^\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?: [A-Za-z0-9:+-]+)?\]\s*/;
/** One line of "key=value" facts joined by " | ", as the legacy's buildRuntimeLine writes it. */
const RUNTIME_LINE = /^Runtime: [a-z_]+=[^\n]*$/;
const TRAILING_RUNTIME_LINE = /\r?\n\r?\nRuntime: [a-z_]+=[^\n]*$/;
const QUEUED_MARKER = "[Queued user message from a previous active turn; preserved as context only. Continue with the active prompt below.]\n";
const CONTINUATION = /\n\nContinue the current task from the existing transcript, preserving completed work\. If an action was interrupted, inspect its state before deciding whether to retry it\. Do not restart the task or repeat completed actions\.(?: If a tool failed, say so; never claim completion or success\.)?$/;
const CONTEXT_BEGIN = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";
const CONTEXT_END = "<<<END_OPENCLAW_INTERNAL_CONTEXT>>>";

/**
 * The text without its internal-context blocks. As in the legacy, a delimiter counts only alone on its
 * line, blocks nest, a block left open runs to the end, and a stray end line is dropped.
 */
export function withoutInternalContext(text: string): string {
  if (!text.includes(CONTEXT_BEGIN) && !text.includes(CONTEXT_END)) return text;
  const kept: string[] = [];
  let depth = 0;
  for (const line of text.split("\n")) {
    const bare = line.trim();
    if (bare === CONTEXT_BEGIN) depth++;
    else if (bare === CONTEXT_END) depth = Math.max(0, depth - 1);
    else if (depth === 0) kept.push(line);
  }
  return kept.join("\n").trim();
}

/** A text part that is nothing but the relocated Runtime line. */
function isRuntimePart(part: unknown): boolean {
  const text = (part as { text?: unknown } | null)?.text;
  return typeof text === "string" && RUNTIME_LINE.test(text.trim());
}

/**
 * What the person wrote in a user message's content (a string or content parts), the legacy's framing
 * taken off; undefined when the message only carries the legacy's runtime context (not a person's turn).
 */
export function personText(content: unknown): string | undefined {
  const raw = Array.isArray(content) ? contentText(content.filter((p) => !isRuntimePart(p))) : contentText(content).replace(TRAILING_RUNTIME_LINE, "");
  const text = withoutInternalContext(raw).trim();
  if (text === "" && raw.includes(CONTEXT_BEGIN)) return undefined;
  return withoutContinuation(text.replace(TIME_STAMP, ""));
}

/** The person's message out of the legacy's "continue after a failure" prompt; other text as it is. */
function withoutContinuation(text: string): string {
  if (!text.startsWith(QUEUED_MARKER) || !CONTINUATION.test(text)) return text;
  return text.slice(QUEUED_MARKER.length).replace(CONTINUATION, "").trim().replace(TIME_STAMP, "");
}
