/**
 * OpenAI chat-completions wire objects (https://platform.openai.com/docs/api-reference/chat): the
 * non-streaming completion, the streaming chunks, the model list and the error body. Shapes only; what
 * goes in them is decided by script.ts.
 */
import type { Plan, ToolCallPlan } from "./script.js";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CompletionIds {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
}

function toolCallObject(t: ToolCallPlan): { id: string; type: "function"; function: { name: string; arguments: string } } {
  return { id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } };
}

export function finishReason(plan: Plan): "stop" | "tool_calls" {
  return plan.toolCalls.length > 0 ? "tool_calls" : "stop";
}

export function completion(ids: CompletionIds, plan: Plan, usage: Usage): object {
  const content = plan.chunks.join("");
  return {
    id: ids.id,
    object: "chat.completion",
    created: ids.created,
    model: ids.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: plan.toolCalls.length > 0 && content === "" ? null : content,
          refusal: null,
          ...(plan.toolCalls.length > 0 ? { tool_calls: plan.toolCalls.map(toolCallObject) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(plan),
      },
    ],
    usage,
  };
}

function chunk(ids: CompletionIds, delta: object, finish: string | null): object {
  return { id: ids.id, object: "chat.completion.chunk", created: ids.created, model: ids.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
}

export function roleChunk(ids: CompletionIds): object {
  return chunk(ids, { role: "assistant", content: "" }, null);
}

export function contentChunk(ids: CompletionIds, text: string): object {
  return chunk(ids, { content: text }, null);
}

/** A tool call as models stream it: the head (id, name, empty arguments), then the arguments. */
export function toolCallChunks(ids: CompletionIds, t: ToolCallPlan, index: number): object[] {
  return [
    chunk(ids, { tool_calls: [{ index, id: t.id, type: "function", function: { name: t.name, arguments: "" } }] }, null),
    chunk(ids, { tool_calls: [{ index, function: { arguments: t.arguments } }] }, null),
  ];
}

export function finishChunk(ids: CompletionIds, plan: Plan): object {
  return chunk(ids, {}, finishReason(plan));
}

/** Sent when the request asked `stream_options.include_usage`: empty choices, the usage. */
export function usageChunk(ids: CompletionIds, usage: Usage): object {
  return { id: ids.id, object: "chat.completion.chunk", created: ids.created, model: ids.model, choices: [], usage };
}

export function modelList(models: readonly string[], created: number): object {
  return { object: "list", data: models.map((id) => ({ id, object: "model", created, owned_by: "hanzonode-test" })) };
}

export interface ApiError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

/** The error bodies OpenAI sends for these statuses (message wording as the API words it). */
export function apiError(status: number, detail?: string): ApiError {
  const e = (message: string, type: string, code: string | null, param: string | null = null): ApiError => ({ status, body: { error: { message, type, param, code } } });
  switch (status) {
    case 400:
      return e(detail ?? "Invalid request.", "invalid_request_error", null);
    case 401:
      return e("Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
    case 404:
      return e(detail ?? "The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found", "model");
    case 429:
      return e("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded");
    case 503:
      return e("The engine is currently overloaded, please try again later.", "server_error", null);
    default:
      return e(detail ?? "The server had an error while processing your request. Sorry about that!", "server_error", null);
  }
}

/** Rough, deterministic token counts: a word piece is a token (good enough for usage plumbing). */
export function usageFor(promptText: string, plan: Plan): Usage {
  const prompt = Math.ceil(promptText.length / 4);
  const completionTokens = plan.chunks.length + plan.toolCalls.reduce((n, t) => n + Math.ceil(t.arguments.length / 4) + 1, 0);
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
}
